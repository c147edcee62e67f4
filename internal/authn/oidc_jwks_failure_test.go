package authn

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A provider whose JWKS endpoint fails (overloaded, 503) must not receive
// one request per forged token naming it: failed fetches are throttled like
// successful ones, or a flood of junk bearer tokens would keep it down.
func TestBearerFailingJWKSIsNotFloodedByForgedTokens(t *testing.T) {
	var jwksHits atomic.Int32
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": srv.URL, "jwks_uri": srv.URL + "/keys",
			"authorization_endpoint": srv.URL + "/auth", "token_endpoint": srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		jwksHits.Add(1)
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	other := newFakeIssuer(t)
	clock := newBearerClock(time.Now())
	a, err := NewBearerAuthenticator(t.Context(), BearerOptions{
		Issuers: []string{srv.URL}, Audiences: []string{"portcullis"}, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		c := map[string]any{"iss": srv.URL, "sub": "x", "aud": "portcullis", "exp": clock.Now().Add(time.Hour).Unix(), "iat": clock.Now().Unix(), "jti": i}
		tok := signRS256(t, other.key("k1"), fmt.Sprintf("kid-%d", i), c)
		if p, err := authBearer(a, tok); err == nil || p != nil {
			t.Fatal("forged token accepted")
		}
	}
	if h := jwksHits.Load(); h > 2 {
		t.Fatalf("the failing JWKS endpoint was called %d times for 40 forged tokens", h)
	}
}
