package authn

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type bearerClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *bearerClock) Now() time.Time         { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *bearerClock) Add(d time.Duration)    { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newBearerClock(t time.Time) *bearerClock { return &bearerClock{t: t} }

func testMapper(t testing.TB) *RoleMapper {
	t.Helper()
	m, ps := LoadRoleMappings("testdata/role_mapping_oidc.yml")
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	return m
}

func newTestBearer(t testing.TB, f *fakeIssuer, clock *bearerClock, mod func(*BearerOptions)) *BearerAuthenticator {
	t.Helper()
	o := BearerOptions{
		RealmName: "oidc1", RealmType: "oidc",
		Issuers: []string{f.url()}, Audiences: []string{"portcullis", "other-aud"},
		ClaimMail: "email", ClaimName: "name",
		RoleMapper: testMapper(t), Now: clock.Now,
	}
	if mod != nil {
		mod(&o)
	}
	a, err := NewBearerAuthenticator(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func baseClaims(f *fakeIssuer, now time.Time) map[string]any {
	return map[string]any{
		"iss": f.url(), "sub": "alice-sub", "aud": "portcullis",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
		"email": "alice@example.com", "email_verified": true, "name": "Alice",
		"groups": []string{"logs-readers", "team-a"}, "nested": map[string]any{"x": 1},
	}
}

func authBearer(a *BearerAuthenticator, tok string) (*Principal, error) {
	r := httptest.NewRequest("GET", "/_search", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return a.Authenticate(r)
}

func expectAuthError(t *testing.T, tok string, p *Principal, err error, reasonHas string) {
	t.Helper()
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("want *AuthError, got principal %v, err %v", p, err)
	}
	if p != nil {
		t.Fatalf("principal returned with error")
	}
	if reasonHas != "" && !strings.Contains(ae.Reason, reasonHas) {
		t.Fatalf("reason %q does not contain %q", ae.Reason, reasonHas)
	}
	for _, seg := range strings.Split(tok, ".") {
		if len(seg) >= 8 && strings.Contains(err.Error(), seg) {
			t.Fatalf("error leaks the token: %v", err)
		}
	}
}

func TestBearerValidToken(t *testing.T) {
	f := newFakeIssuer(t)
	clock := newBearerClock(time.Now())
	a := newTestBearer(t, f, clock, nil)
	tok := signRS256(t, f.key("k1"), "k1", baseClaims(f, clock.Now()))
	p, err := authBearer(a, tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Username != "alice-sub" || p.Realm != "oidc1" || p.RealmType != "oidc" || p.Email != "alice@example.com" || p.FullName != "Alice" {
		t.Fatalf("principal %+v", p)
	}
	if want := []string{"logs_reader", "team_a_role", "user_alice-sub"}; !slices.Equal(p.Roles, want) {
		t.Fatalf("roles %v, want %v", p.Roles, want)
	}
	for _, k := range []string{"oidc(email)", "jwt_claim_email", "oidc(groups)", "jwt_claim_email_verified", "oidc(exp)"} {
		if _, ok := p.Metadata[k]; !ok {
			t.Errorf("metadata %q missing: %v", k, p.Metadata)
		}
	}
	if _, ok := p.Metadata["oidc(nested)"]; ok {
		t.Error("object claims are not mapped to metadata")
	}
	if g := p.Metadata[MetadataGroups]; !slices.Equal(g.([]string), []string{"logs-readers", "team-a"}) {
		t.Errorf("groups %v", g)
	}
	// Second call hits the cache and returns an independent copy.
	p.Roles[0] = "tampered"
	p.Metadata["x"] = 1
	p2, err := authBearer(a, tok)
	if err != nil || p2.Roles[0] != "logs_reader" || p2.Metadata["x"] != nil {
		t.Fatalf("cached principal altered: %v %v", p2, err)
	}
	if a.cache.Len() != 1 {
		t.Fatalf("cache len %d", a.cache.Len())
	}
}

func TestBearerRefusals(t *testing.T) {
	f := newFakeIssuer(t)
	other := newFakeIssuer(t)
	now := time.Now()
	clock := newBearerClock(now)
	a := newTestBearer(t, f, clock, nil)
	k := f.key("k1")
	with := func(mod func(c map[string]any)) map[string]any {
		c := baseClaims(f, now)
		mod(c)
		return c
	}
	good := signRS256(t, k, "k1", baseClaims(f, now))
	parts := strings.Split(good, ".")
	sig := []byte(parts[2])
	if sig[10] == 'A' {
		sig[10] = 'B'
	} else {
		sig[10] = 'A'
	}
	tampered := parts[0] + "." + parts[1] + "." + string(sig)
	payloadSwap := parts[0] + "." + b64(with(func(c map[string]any) { c["sub"] = "admin" })) + "." + parts[2]
	cases := []struct {
		name, tok, reason string
	}{
		{"tampered signature", tampered, "invalid bearer token"},
		{"payload swapped", payloadSwap, "invalid bearer token"},
		{"wrong audience", signRS256(t, k, "k1", with(func(c map[string]any) { c["aud"] = "someone-else" })), "audience"},
		{"audience list without ours", signRS256(t, k, "k1", with(func(c map[string]any) { c["aud"] = []string{"a", "b"} })), "audience"},
		{"expired beyond skew", signRS256(t, k, "k1", with(func(c map[string]any) { c["exp"] = now.Add(-61 * time.Second).Unix() })), "expired"},
		{"no exp", signRS256(t, k, "k1", with(func(c map[string]any) { delete(c, "exp") })), "exp"},
		{"no iat", signRS256(t, k, "k1", with(func(c map[string]any) { delete(c, "iat") })), "iat"},
		{"iat in future", signRS256(t, k, "k1", with(func(c map[string]any) { c["iat"] = now.Add(5 * time.Minute).Unix() })), "future"},
		{"nbf in future", signRS256(t, k, "k1", with(func(c map[string]any) { c["nbf"] = now.Add(5 * time.Minute).Unix() })), "not valid before"},
		{"alg none", noneToken(baseClaims(f, now)), "invalid bearer token"},
		{"hmac with public key pem", hmacWithPublicKey(t, &k.PublicKey, "k1", baseClaims(f, now), true), "invalid bearer token"},
		{"hmac with public key der", hmacWithPublicKey(t, &k.PublicKey, "k1", baseClaims(f, now), false), "invalid bearer token"},
		{"unknown issuer", signRS256(t, other.key("k1"), "k1", with(func(c map[string]any) { c["iss"] = other.url() })), "untrusted issuer"},
		{"trusted iss claim signed by other key", signRS256(t, other.key("k1"), "k1", baseClaims(f, now)), "invalid bearer token"},
		{"missing principal claim", signRS256(t, k, "k1", with(func(c map[string]any) { delete(c, "sub") })), "principal"},
		{"no iss", signRS256(t, k, "k1", with(func(c map[string]any) { delete(c, "iss") })), "malformed"},
		{"garbage jwt", "a.b.c", "malformed"},
		{"bad json payload", "eyJhbGciOiJSUzI1NiJ9." + b64("x") + ".sig", "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := authBearer(a, tc.tok)
			expectAuthError(t, tc.tok, p, err, tc.reason)
		})
	}
	if a.cache.Len() != 0 {
		t.Fatalf("refused tokens must not be cached")
	}
}

func TestBearerClockSkewAndCacheExpiry(t *testing.T) {
	f := newFakeIssuer(t)
	now := time.Now()
	clock := newBearerClock(now)
	a := newTestBearer(t, f, clock, nil)
	c := baseClaims(f, now)
	c["exp"] = now.Add(10 * time.Second).Unix()
	tok := signRS256(t, f.key("k1"), "k1", c)
	if _, err := authBearer(a, tok); err != nil {
		t.Fatal(err)
	}
	clock.Add(40 * time.Second) // past exp, within 60 s skew: re-validated, accepted
	if _, err := authBearer(a, tok); err != nil {
		t.Fatalf("within skew: %v", err)
	}
	clock.Add(40 * time.Second) // past exp+skew: refused even though it was cached
	p, err := authBearer(a, tok)
	expectAuthError(t, tok, p, err, "expired")
	var ae *AuthError
	errors.As(err, &ae)
	if ae.Username != "alice-sub" {
		t.Errorf("verified token's subject should be reported, got %q", ae.Username)
	}
}

func TestBearerSchemesAndHeaders(t *testing.T) {
	f := newFakeIssuer(t)
	clock := newBearerClock(time.Now())
	a := newTestBearer(t, f, clock, nil)
	for _, h := range []string{"", "Basic YWxpY2U6cGFzc3dvcmQ=", "ApiKey abc", "Bearer not-a-jwt", "Bearer dGhpcyBpcyBhbiBFUyB0b2tlbg=="} {
		r := httptest.NewRequest("GET", "/", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		if _, err := a.Authenticate(r); !errors.Is(err, ErrNoCredentials) {
			t.Errorf("%q: want ErrNoCredentials, got %v", h, err)
		}
	}
	tok := signRS256(t, f.key("k1"), "k1", baseClaims(f, clock.Now()))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "bearer  "+tok)
	if _, err := a.Authenticate(r); err != nil {
		t.Errorf("scheme is case-insensitive: %v", err)
	}
	r.Header.Add("Authorization", "Bearer "+tok)
	if _, err := a.Authenticate(r); err == nil {
		t.Error("two Authorization headers must be refused")
	}
}

func TestBearerJWKSRotationUnknownKid(t *testing.T) {
	f := newFakeIssuer(t)
	clock := newBearerClock(time.Now())
	a := newTestBearer(t, f, clock, func(o *BearerOptions) { o.JWKSRefreshInterval = 50 * time.Millisecond })
	if _, err := authBearer(a, signRS256(t, f.key("k1"), "k1", baseClaims(f, clock.Now()))); err != nil {
		t.Fatal(err)
	}
	hits := f.jwksHits.Load()
	k2 := f.addKey(t, "k2")           // the provider rotates: new kid
	time.Sleep(60 * time.Millisecond) // past the test's JWKSRefreshInterval
	if _, err := authBearer(a, signRS256(t, k2, "k2", baseClaims(f, clock.Now()))); err != nil {
		t.Fatalf("token signed with rotated key: %v", err)
	}
	if f.jwksHits.Load() <= hits {
		t.Fatal("JWKS was not refetched for an unknown kid")
	}
}

func TestBearerClaimPatternAndMapping(t *testing.T) {
	f := newFakeIssuer(t)
	clock := newBearerClock(time.Now())
	a := newTestBearer(t, f, clock, func(o *BearerOptions) {
		o.ClaimPrincipal = "email"
		o.PrincipalPattern = `^([^@]+)@example\.com$`
		o.RealmType, o.RealmName = "jwt", "jwt1"
	})
	p, err := authBearer(a, signRS256(t, f.key("k1"), "k1", baseClaims(f, clock.Now())))
	if err != nil || p.Username != "alice" || p.RealmType != "jwt" {
		t.Fatalf("%v %v", p, err)
	}
	// realm.name is jwt1: the oidc1-only mapping does not apply.
	if want := []string{"team_a_role", "user_alice"}; !slices.Equal(p.Roles, want) {
		t.Fatalf("roles %v want %v", p.Roles, want)
	}
	c := baseClaims(f, clock.Now())
	c["email"] = "mallory@evil.com"
	tok := signRS256(t, f.key("k1"), "k1", c)
	p, err = authBearer(a, tok)
	expectAuthError(t, tok, p, err, "claim_patterns")
}

func TestBearerSharedSecret(t *testing.T) {
	f := newFakeIssuer(t)
	clock := newBearerClock(time.Now())
	a := newTestBearer(t, f, clock, func(o *BearerOptions) { o.ClientSharedSecret = "s3cret" })
	tok := signRS256(t, f.key("k1"), "k1", baseClaims(f, clock.Now()))
	for h, ok := range map[string]bool{"": false, "SharedSecret wrong": false, "SharedSecret s3cret": true} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		if h != "" {
			r.Header.Set("ES-Client-Authentication", h)
		}
		_, err := a.Authenticate(r)
		if (err == nil) != ok {
			t.Errorf("%q: err %v", h, err)
		}
	}
}

func TestBearerIssuerDownAtStartThenUp(t *testing.T) {
	clock := newBearerClock(time.Now())
	a, err := NewBearerAuthenticator(context.Background(), BearerOptions{
		Issuers: []string{"http://127.0.0.1:1/none"}, Audiences: []string{"x"}, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.DiscoveryErrors()) != 1 {
		t.Fatal("discovery error should be reported")
	}
	tok := "eyJhbGciOiJSUzI1NiJ9." + b64(map[string]any{"iss": "http://127.0.0.1:1/none"}) + ".c2ln"
	p, err := authBearer(a, tok)
	expectAuthError(t, tok, p, err, "unavailable")
}

func TestBearerOptionsValidation(t *testing.T) {
	ctx := context.Background()
	bad := []BearerOptions{
		{Audiences: []string{"a"}},
		{Issuers: []string{"http://127.0.0.1:1"}},
		{Issuers: []string{"http://127.0.0.1:1"}, Audiences: []string{"a"}, AllowedAlgorithms: []string{"HS256"}},
		{Issuers: []string{"http://127.0.0.1:1"}, Audiences: []string{"a"}, AllowedAlgorithms: []string{"none"}},
		{Issuers: []string{"http://127.0.0.1:1"}, Audiences: []string{"a"}, PrincipalPattern: "("},
		{Issuers: []string{"http://127.0.0.1:1"}, Audiences: []string{"a"}, PrincipalPattern: "^a$"},
		{Issuers: []string{"http://127.0.0.1:1"}, Audiences: []string{"a"}, RealmType: "saml"},
	}
	for i, o := range bad {
		if _, err := NewBearerAuthenticator(ctx, o); err == nil {
			t.Errorf("case %d: want error", i)
		}
	}
}

func TestBearerCacheBounded(t *testing.T) {
	f := newFakeIssuer(t)
	clock := newBearerClock(time.Now())
	a := newTestBearer(t, f, clock, func(o *BearerOptions) { o.CacheSize = 3 })
	for i := 0; i < 10; i++ {
		c := baseClaims(f, clock.Now())
		c["jti"] = i
		if _, err := authBearer(a, signRS256(t, f.key("k1"), "k1", c)); err != nil {
			t.Fatal(err)
		}
	}
	if a.cache.Len() != 3 {
		t.Fatalf("cache len %d", a.cache.Len())
	}
}

// Garbage never panics and never yields a principal.
func FuzzBearerToken(f *testing.F) {
	iss := "http://127.0.0.1:1/x"
	for _, s := range []string{"a.b.c", "..", "eyJ9.eyJ9.", noneToken(map[string]any{"iss": iss}), "\x00.\xff.\x01"} {
		f.Add(s)
	}
	a, err := NewBearerAuthenticator(context.Background(), BearerOptions{Issuers: []string{iss}, Audiences: []string{"x"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{"Bearer " + tok}
		if p, err := a.Authenticate(r); err == nil || p != nil {
			t.Fatalf("garbage accepted: %q", tok)
		}
	})
}

// Forged tokens naming the trusted issuer do not turn into a JWKS request
// each: refetches are throttled.
func TestBearerForgedTokensDoNotFloodJWKS(t *testing.T) {
	f := newFakeIssuer(t)
	clock := newBearerClock(time.Now())
	a := newTestBearer(t, f, clock, nil) // default 5 s interval
	other := newFakeIssuer(t)
	for i := 0; i < 50; i++ {
		c := baseClaims(f, clock.Now())
		c["jti"] = i
		tok := signRS256(t, other.key("k1"), fmt.Sprintf("kid-%d", i), c)
		if _, err := authBearer(a, tok); err == nil {
			t.Fatal("forged token accepted")
		}
	}
	if h := f.jwksHits.Load(); h > 2 {
		t.Fatalf("JWKS fetched %d times for 50 forged tokens", h)
	}
	if _, err := authBearer(a, signRS256(t, f.key("k1"), "k1", baseClaims(f, clock.Now()))); err != nil {
		t.Fatalf("genuine token after the flood: %v", err)
	}
}
