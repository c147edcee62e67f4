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

// TestOwnerOfSeveralIssuers: in a realm trusting several OpenID providers,
// the same user name from two issuers is two owners (two realms in
// Elasticsearch), and a token keeps its owner's issuer; an owner without
// one encodes as before.
func TestOwnerOfSeveralIssuers(t *testing.T) {
	of := func(iss string) Owner {
		return OwnerOf(&authn.Principal{Username: "alice", Realm: "jwt1", RealmType: "jwt", Issuer: iss})
	}
	a, b, none := of("https://a.example"), of("https://b.example"), of("")
	if sameOwner(a, b) || sameOwner(a, none) || !sameOwner(a, of("https://a.example")) {
		t.Fatalf("owners: %+v %+v %+v", a, b, none)
	}
	bd := newTestBinder(t, "issuers")
	for _, o := range []Owner{a, none} {
		tok := mustWrap(t, bd, KindScroll, "upstream-id", bindingFor(o, "logs"))
		_, got, err := bd.Unwrap(KindScroll, tok)
		if err != nil || got.Owner != o {
			t.Fatalf("owner %+v after a round trip: %+v %v", o, got.Owner, err)
		}
		if err := got.Check(b, got.Fingerprint); err == nil {
			t.Fatalf("the other issuer's alice continues %+v's cursor", o)
		}
	}
}
