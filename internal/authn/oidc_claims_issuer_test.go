package authn

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A realm trusting several issuers names its users by issuer and name
// (Principal.Issuer); one trusting a single issuer leaves Issuer empty, so
// owners recorded before stay the same.
func TestClaimMappingIssuer(t *testing.T) {
	claims := map[string]any{"iss": "https://b.example", "sub": "alice"}
	for _, several := range []bool{false, true} {
		m, err := NewClaimMapping(ClaimOptions{RealmName: "jwt1", RealmType: "jwt", SeveralIssuers: several})
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Principal(claims)
		if err != nil {
			t.Fatal(err)
		}
		want := ""
		if several {
			want = "https://b.example"
		}
		if p.Issuer != want || p.Clone().Issuer != want {
			t.Fatalf("several issuers %v: Issuer %q, want %q", several, p.Issuer, want)
		}
	}
}

// Two trusted issuers: the same sub from each is two principals, told
// apart by Issuer (cached ones included); one issuer: no Issuer.
func TestBearerSeveralIssuersNameTheirUsers(t *testing.T) {
	a, b := newFakeIssuer(t), newFakeIssuer(t)
	ka, kb := a.addKey(t, "ka"), b.addKey(t, "kb")
	clock := newBearerClock(time.Now())
	both := newTestBearer(t, a, clock, func(o *BearerOptions) { o.Issuers = []string{a.url(), b.url()} })
	fromA, fromB := signRS256(t, ka, "ka", baseClaims(a, clock.Now())), signRS256(t, kb, "kb", baseClaims(b, clock.Now()))
	for round := 0; round < 2; round++ { // the second from the cache
		pa, errA := authBearer(both, fromA)
		pb, errB := authBearer(both, fromB)
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if pa.Username != pb.Username || pa.Issuer != a.url() || pb.Issuer != b.url() {
			t.Fatalf("round %d: %q@%q and %q@%q", round, pa.Username, pa.Issuer, pb.Username, pb.Issuer)
		}
	}
	one := newTestBearer(t, a, clock, nil)
	if p, err := authBearer(one, fromA); err != nil || p.Issuer != "" {
		t.Fatalf("one issuer: %+v %v", p, err)
	}
}

// A realm trusting several issuers cannot name a user whose token names no
// issuer (an introspection answer without iss): with Issuer "" that user was
// the owner of every key, profile and cursor recorded before the realm
// trusted a second issuer (owner_issuer "", whatever the key's
// jwt_claim_iss), so issuer B's alice took over issuer A's alice's keys
// and profile through B's introspection endpoint. Such a token is refused;
// a realm trusting one issuer still takes it.
func TestClaimMappingSeveralIssuersNeedsIss(t *testing.T) {
	for _, claims := range []map[string]any{
		{"sub": "alice"},
		{"sub": "alice", "iss": ""},
		{"sub": "alice", "iss": []any{"https://a.example"}},
	} {
		several, err := NewClaimMapping(ClaimOptions{RealmName: "jwt1", RealmType: "jwt", SeveralIssuers: true})
		if err != nil {
			t.Fatal(err)
		}
		if p, err := several.Principal(claims); err == nil {
			t.Errorf("several issuers, claims %v: principal %q of issuer %q, want a refusal", claims, p.Username, p.Issuer)
		}
		one, err := NewClaimMapping(ClaimOptions{RealmName: "jwt1", RealmType: "jwt"})
		if err != nil {
			t.Fatal(err)
		}
		if p, err := one.Principal(claims); err != nil || p.Username != "alice" || p.Issuer != "" {
			t.Errorf("one issuer, claims %v: %+v %v", claims, p, err)
		}
	}
}

// Through introspection: an answer without iss is refused (an *AuthError)
// when the realm trusts several issuers, one naming a trusted issuer is
// that issuer's user.
func TestIntrospectionSeveralIssuersNeedsIss(t *testing.T) {
	now := time.Now().Unix()
	answers := map[string]string{
		"noiss": fmt.Sprintf(`{"active":true,"sub":"alice","aud":"portcullis","exp":%d}`, now+600),
		"iss-b": fmt.Sprintf(`{"active":true,"sub":"alice","iss":"https://b.example","aud":"portcullis","exp":%d}`, now+600),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, answers[r.PostFormValue("token")])
	}))
	t.Cleanup(srv.Close)
	claims, err := NewClaimMapping(ClaimOptions{RealmName: "jwt1", RealmType: "jwt", SeveralIssuers: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewIntrospectionAuthenticator(IntrospectionOptions{
		Endpoint: srv.URL, ClientID: "portcullis", ClientSecret: "s", Issuers: []string{"https://a.example", "https://b.example"},
		Audiences: []string{"portcullis"}, Claims: claims,
	})
	if err != nil {
		t.Fatal(err)
	}
	auth := func(tok string) (*Principal, error) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return a.Authenticate(r)
	}
	var ae *AuthError
	if p, err := auth("noiss"); !errors.As(err, &ae) {
		t.Fatalf("answer without iss: %+v %v, want an *AuthError", p, err)
	}
	if p, err := auth("iss-b"); err != nil || p.Username != "alice" || p.Issuer != "https://b.example" {
		t.Fatalf("answer of issuer b: %+v %v", p, err)
	}
}

// An introspection endpoint bound to its provider (Issuer): an answer
// naming another trusted issuer is refused (issuer A's endpoint cannot
// vouch for issuer B's alice, whose keys, cursors and profile are hers
// alone), and an answer naming none is the endpoint's provider's user.
func TestIntrospectionBoundToItsIssuer(t *testing.T) {
	now := time.Now().Unix()
	answers := map[string]string{
		"noiss": fmt.Sprintf(`{"active":true,"sub":"alice","aud":"portcullis","exp":%d}`, now+600),
		"iss-a": fmt.Sprintf(`{"active":true,"sub":"alice","iss":"https://a.example","aud":"portcullis","exp":%d}`, now+600),
		"iss-b": fmt.Sprintf(`{"active":true,"sub":"alice","iss":"https://b.example","aud":"portcullis","exp":%d}`, now+600),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, answers[r.PostFormValue("token")])
	}))
	t.Cleanup(srv.Close)
	claims, err := NewClaimMapping(ClaimOptions{RealmName: "jwt1", RealmType: "jwt", SeveralIssuers: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewIntrospectionAuthenticator(IntrospectionOptions{
		Endpoint: srv.URL, ClientID: "portcullis", ClientSecret: "s", Issuers: []string{"https://a.example", "https://b.example"},
		Issuer: "https://a.example", Audiences: []string{"portcullis"}, Claims: claims,
	})
	if err != nil {
		t.Fatal(err)
	}
	auth := func(tok string) (*Principal, error) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return a.Authenticate(r)
	}
	var ae *AuthError
	if p, err := auth("iss-b"); !errors.As(err, &ae) {
		t.Fatalf("issuer a's endpoint naming issuer b's user: %+v %v, want an *AuthError", p, err)
	}
	for _, tok := range []string{"iss-a", "noiss"} {
		if p, err := auth(tok); err != nil || p.Username != "alice" || p.Issuer != "https://a.example" {
			t.Fatalf("%s: %+v %v", tok, p, err)
		}
	}
}
