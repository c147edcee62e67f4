package oidcweb

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// TestSessionBoundToItsSite: two sites whose sessions end up in one store
// with the same sealing keys (one Redis spelled two ways, "localhost:6379"
// and "127.0.0.1:6379", with the default key_prefix, and one key file
// deployed to both: the configuration checks compare addresses as text
// and key files by identity). A session cookie made by site A's login
// must not authenticate at site B, whose users, role mappings and cluster
// are another tenant's; and B must not end A's session either.
func TestSessionBoundToItsSite(t *testing.T) {
	e := newEnv(t, nil, nil)
	token := e.login(e.client, "/app")

	claims, _ := authn.NewClaimMapping(authn.ClaimOptions{RealmName: "oidc1", RealmType: "oidc", ClaimPrincipal: "email", ClaimMail: "email"})
	siteB, err := New(context.Background(), Options{
		Issuer: e.op.issuer(), ClientID: "portcullis", ClientSecret: "s3cret", RedirectURL: "https://tenant-b.example" + CallbackPath,
		Claims: claims, RoleMapper: groupsMapper{}, Sessions: e.sessions, StateKeys: e.svc.o.StateKeys, Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "https://tenant-b.example/app", nil)
	r.Header.Set("Cookie", siteB.CookieName()+"="+token)
	if p, err := siteB.Authenticate(r); err == nil {
		t.Fatalf("site A's session authenticated at site B as %q %v", p.Username, p.Roles)
	} else if !errors.Is(err, authn.ErrNoCredentials) {
		t.Fatalf("site A's session at site B: %v, want a missing session (log in here)", err)
	}
	// Logging out at B does not end it either.
	out := httptest.NewRequest("POST", "https://tenant-b.example"+LogoutPath, nil)
	out.Header.Set("Cookie", siteB.CookieName()+"="+token)
	out.Header.Set("Origin", "https://tenant-b.example")
	siteB.ServeHTTP(httptest.NewRecorder(), WithRecorder(out, e.audit.record))
	// Still A's.
	c, hdr := e.withCookie(token)
	if r := e.do(c, "GET", "/app", hdr); r.status != 200 {
		t.Fatalf("site A's own session after its use at B: %d %s", r.status, r.body)
	}
}
