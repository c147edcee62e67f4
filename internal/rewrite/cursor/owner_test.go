package cursor

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// TestOwnerOfAPIKey: a cursor opened through an API key belongs to that
// key: another key of the same user (with other descriptors) is another
// owner, and so is the user with their password.
func TestOwnerOfAPIKey(t *testing.T) {
	key := func(id string) *authn.Principal {
		return &authn.Principal{Username: "alice", Realm: authn.APIKeyRealm, RealmType: authn.APIKeyRealm, APIKey: &authn.APIKeyRef{ID: id}}
	}
	k1, k2 := OwnerOf(key("k1")), OwnerOf(key("k2"))
	plain := OwnerOf(&authn.Principal{Username: "alice", Realm: "default_file", RealmType: "file"})
	if k1.APIKeyID != "k1" || k1 == k2 || k1 == plain || k1 != OwnerOf(key("k1")) {
		t.Fatalf("owners: %+v %+v %+v", k1, k2, plain)
	}
	if k1.digest() == k2.digest() {
		t.Fatal("two keys of one user share a cursor digest")
	}
}
