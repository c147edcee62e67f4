package authn

import (
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// signRawRS256 signs payload exactly as given (member order and spelling
// kept, unlike a marshalled map) with typ as the header's typ ("" for none).
func signRawRS256(t testing.TB, key *rsa.PrivateKey, kid, typ string, payload []byte) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithHeader("kid", kid)
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// withMember appends `"name": value` to the JSON object of claims, after
// its other members.
func withMember(t testing.TB, claims map[string]any, name string, value any) []byte {
	t.Helper()
	base, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	v, err := json.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := json.Marshal(name)
	return []byte(strings.TrimSuffix(string(base), "}") + "," + string(n) + ":" + string(v) + "}")
}

// A token the provider issued to another client (aud "other-app") must
// not pass the audience check because a custom claim spelled "Aud" (which
// that client's owner may add at many providers: only the exact reserved
// names are protected) names the proxy: Elasticsearch reads aud, exactly.
// Likewise for the other registered claims the verification relies on.
func TestBearerRegisteredClaimsAreReadExactly(t *testing.T) {
	f := newFakeIssuer(t)
	now := time.Now()
	clock := newBearerClock(now)
	a := newTestBearer(t, f, clock, nil)
	k := f.key("k1")
	foreign := baseClaims(f, now)
	foreign["aud"] = "other-app"
	cases := map[string][]byte{
		"Aud after aud":      withMember(t, foreign, "Aud", "portcullis"),
		"AUD after aud":      withMember(t, foreign, "AUD", []string{"portcullis"}),
		"Iss after iss":      withMember(t, baseClaims(f, now), "Iss", f.url()+"/"),
		"SUB after sub":      withMember(t, baseClaims(f, now), "SUB", "admin"),
		"Exp next to exp":    withMember(t, baseClaims(f, now), "Exp", now.Add(time.Hour).Unix()),
		"NONCE in the token": withMember(t, baseClaims(f, now), "NONCE", "n"),
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			tok := signRawRS256(t, k, "k1", "JWT", payload)
			p, err := authBearer(a, tok)
			expectAuthError(t, tok, p, err, "")
		})
	}
	// The exact spelling alone is still accepted, and an unrelated claim
	// whose name only differs from another unregistered one in case is fine.
	ok := withMember(t, baseClaims(f, now), "Department", "x")
	if _, err := authBearer(a, signRawRS256(t, k, "k1", "JWT", ok)); err != nil {
		t.Fatalf("ordinary token refused: %v", err)
	}
}

// ID tokens and RFC 9068 access tokens (typ at+jwt: API clients present
// access tokens for the configured audiences, as to Elasticsearch's JWT
// realm with token_type access_token) are bearer credentials; a
// back-channel logout token (typ logout+jwt, or any token carrying the
// logout event) or a security event token the provider signed for the
// proxy's client is not.
func TestBearerRefusesTokensOfAnotherType(t *testing.T) {
	f := newFakeIssuer(t)
	now := time.Now()
	clock := newBearerClock(now)
	a := newTestBearer(t, f, clock, nil)
	k := f.key("k1")
	claims, _ := json.Marshal(baseClaims(f, now))
	logout := baseClaims(f, now)
	logout["events"] = map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}
	logout["jti"] = "j1"
	logoutJSON, _ := json.Marshal(logout)
	delete(logout, "events")
	logout["Events"] = map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}
	logoutOtherCase, _ := json.Marshal(logout)
	for name, tok := range map[string]string{
		"logout+jwt":                 signRawRS256(t, k, "k1", "logout+jwt", logoutJSON),
		"logout token typed JWT":     signRawRS256(t, k, "k1", "JWT", logoutJSON),
		"logout token without a typ": signRawRS256(t, k, "k1", "", logoutJSON),
		"logout token with Events":   signRawRS256(t, k, "k1", "", logoutOtherCase),
		"secevent+jwt":               signRawRS256(t, k, "k1", "secevent+jwt", claims),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := authBearer(a, tok)
			expectAuthError(t, tok, p, err, "")
		})
	}
	for _, typ := range []string{"JWT", "jwt", "", "at+jwt", "application/at+jwt"} {
		if _, err := authBearer(a, signRawRS256(t, k, "k1", typ, claims)); err != nil {
			t.Errorf("ID token with typ %q refused: %v", typ, err)
		}
	}
}
