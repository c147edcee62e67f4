package server

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// TestAuthenticatePKI: _authenticate of a PKI user names the PKI realm and
// shows pki_dn, not the internal _dn key.
func TestAuthenticatePKI(t *testing.T) {
	const dn = "CN=alice, OU=eng, O=corp"
	p := &authn.Principal{Username: "alice", Realm: "pki1", RealmType: authn.RealmTypePKI, Roles: []string{"reader"},
		Metadata: map[string]any{authn.MetadataDN: dn, authn.MetadataPKIDN: dn}}
	s, _ := newTestServer(t, fakeAuthn{p: p}, fakeAuthz{true}, 10)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/_security/_authenticate", nil))
	var got authenticateResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != 200 || err != nil {
		t.Fatalf("%d %s (%v)", rec.Code, rec.Body, err)
	}
	want := realmRef{Name: "pki1", Type: "pki"}
	if got.Username != "alice" || got.AuthenticationRealm != want || got.LookupRealm != want || got.AuthenticationType != "realm" {
		t.Fatalf("realm: %s", rec.Body)
	}
	if got.Metadata["pki_dn"] != dn || len(got.Metadata) != 1 {
		t.Fatalf("metadata: %v, want only pki_dn", got.Metadata)
	}
}
