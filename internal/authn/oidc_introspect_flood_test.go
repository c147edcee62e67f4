package authn

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// Every distinct junk opaque token used to cost one call to the provider's
// introspection endpoint (the negative cache is per token): a client could
// make the proxy call the provider, with the proxy's own client
// credentials, as fast as it sent requests, until the provider
// rate-limited the proxy's client and every opaque-token user got 503.
// Inactive answers now count as failed logins of the client's address, as
// wrong Basic passwords do: once locked out, its junk is refused without a
// call, while other addresses and cached valid tokens still work.
func TestIntrospectionJunkTokensAreRateLimitedPerAddress(t *testing.T) {
	var calls atomic.Int32
	srv := introspectionServer(t, &calls)
	claims, err := NewClaimMapping(ClaimOptions{RealmName: "oidc1", RealmType: "oidc", ClaimPrincipal: "email"})
	if err != nil {
		t.Fatal(err)
	}
	clock := newBearerClock(time.Now())
	limiter := NewLoginLimiter(LoginLimiterOptions{MaxFailures: 5, Window: time.Minute, Lockout: time.Minute, Clock: clock.Now})
	a, err := NewIntrospectionAuthenticator(IntrospectionOptions{
		Endpoint: srv.URL, ClientID: "portcullis", ClientSecret: "s", Issuers: []string{"https://idp"}, Audiences: []string{"portcullis"},
		Claims: claims, RoleMapper: fixedRoles{"logs_reader"}, Limiter: limiter, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	from := func(addr, token string) error {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		r.Header.Set("Authorization", "Bearer "+token)
		_, err := a.Authenticate(r)
		return err
	}
	// A legitimate token, introspected once and cached, from the address
	// that will flood.
	if err := from("192.0.2.7:1111", "good"); err != nil {
		t.Fatal(err)
	}
	before := calls.Load()
	var limited int
	for i := 0; i < 50; i++ {
		err := from("192.0.2.7:1111", fmt.Sprintf("junk-%d", i))
		var rl *RateLimitError
		switch {
		case errors.As(err, &rl):
			limited++
		case err == nil:
			t.Fatal("junk token accepted")
		}
	}
	if got := calls.Load() - before; got > 5 {
		t.Fatalf("50 junk tokens from one address made %d introspection calls", got)
	}
	if limited < 45 {
		t.Fatalf("only %d of 50 junk tokens were refused by the rate limit", limited)
	}
	// The cached valid token of that address still works; another address
	// is not affected.
	if err := from("192.0.2.7:1111", "good"); err != nil {
		t.Fatalf("cached valid token refused: %v", err)
	}
	if err := from("198.51.100.9:2222", "noaud-ourclient"); err != nil {
		t.Fatalf("another address refused: %v", err)
	}
	// After the lockout, the address may try again.
	clock.Add(2 * time.Minute)
	n := calls.Load()
	var rl *RateLimitError
	if err := from("192.0.2.7:1111", "junk-late"); errors.As(err, &rl) || calls.Load() != n+1 {
		t.Fatalf("after the lockout: %v, %d calls", err, calls.Load()-n)
	}
}
