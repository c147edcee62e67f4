package authn

import (
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
