package browser

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRefreshKeepsTheUserLoggedIn: Dex's tokens live BROWSER_DEX_TOKEN_TTL;
// the proxy refreshes them before they expire, and again after Dex rotated
// the refresh token, while the browser keeps seeing its page.
func TestRefreshKeepsTheUserLoggedIn(t *testing.T) {
	e := getEnv(t)
	if e.tokenTTL > time.Minute {
		t.Skipf("Dex tokens live %s: too long to wait for a refresh (start Dex with DEX_ID_TOKENS_EXPIRY=20s)", e.tokenTTL)
	}
	up := newUpstream(t)
	p := startProxy(t, proxyConfig{Port: 18451, Issuer: e.issuer, Upstream: up.URL})
	b := newBrowser(t, e)
	page := p.URL + "/logs-web/_search"
	b.open(page)
	b.dexLogin("alice@example.com")
	token := b.cookie(p.URL, "portcullis_session").Value
	_, first := getSession(t, p.URL, token)
	for round := 1; round <= 2; round++ {
		_, before := getSession(t, p.URL, token)
		time.Sleep(time.Until(before.TokensExpireAt) + time.Second) // past the tokens' expiry
		text := b.open(page)
		if b.onDexLogin() || !strings.Contains(text, marker) {
			t.Fatalf("round %d: the page was lost after the tokens expired: at %s: %s", round, b.location(), text)
		}
		status, after := getSession(t, p.URL, token)
		if status != 200 || after.Refreshes != round || !after.TokensExpireAt.After(before.TokensExpireAt) {
			t.Fatalf("round %d: session %d %+v (before %+v)", round, status, after, before)
		}
	}
	if first.Refreshes != 0 {
		t.Fatalf("refreshed at login: %+v", first)
	}
}

// TestIdleTimeoutAndLifespan: an unused session ends after the idle
// timeout; a used one ends at its lifespan all the same. Both send the
// browser back to the provider.
func TestIdleTimeoutAndLifespan(t *testing.T) {
	e := getEnv(t)
	up := newUpstream(t)
	p := startProxy(t, proxyConfig{Port: 18456, Issuer: e.issuer, Upstream: up.URL, IdleTimeout: "3s", Lifespan: "9s"})
	b := newBrowser(t, e)
	page := p.URL + "/logs-web/_search"

	b.open(page)
	b.dexLogin("alice@example.com")
	time.Sleep(4 * time.Second)
	if b.open(page); !b.onDexLogin() {
		t.Fatalf("idle session still valid: at %s", b.location())
	}

	text := b.dexLogin("alice@example.com")
	start := time.Now()
	if !strings.Contains(text, marker) {
		t.Fatalf("second login: %s", text)
	}
	for time.Since(start) < 7*time.Second { // used every 1.5 s: never idle
		time.Sleep(1500 * time.Millisecond)
		if text := b.open(page); !strings.Contains(text, marker) {
			t.Fatalf("active session ended early, %s after login: at %s", time.Since(start).Round(time.Millisecond), b.location())
		}
	}
	time.Sleep(time.Until(start.Add(9*time.Second + 500*time.Millisecond)))
	if b.open(page); !b.onDexLogin() {
		t.Fatalf("session outlived its lifespan: at %s", b.location())
	}
}

// TestConcurrentSessionLimit: with max_per_user 2, a third login evicts
// the oldest session.
func TestConcurrentSessionLimit(t *testing.T) {
	e := getEnv(t)
	up := newUpstream(t)
	p := startProxy(t, proxyConfig{Port: 18456, Issuer: e.issuer, Upstream: up.URL, MaxPerUser: 2})
	var tokens []string
	for i := 0; i < 3; i++ {
		tokens = append(tokens, httpLogin(t, p.URL, "alice@example.com"))
		time.Sleep(20 * time.Millisecond) // distinct creation times
	}
	other := httpLogin(t, p.URL, "admin@example.com")
	for i, want := range []int{401, 200, 200} {
		if status, _ := getSession(t, p.URL, tokens[i]); status != want {
			t.Fatalf("alice's session %d: %d, want %d", i, status, want)
		}
	}
	if status, _ := getSession(t, p.URL, other); status != 200 {
		t.Fatalf("another user's session: %d", status)
	}
}

// burst sends n concurrent requests with the session token, spread over
// urls, and returns the statuses.
func burst(t *testing.T, urls []string, token string, n int) []int {
	t.Helper()
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", urls[i%len(urls)]+"/logs-web/_search", nil)
			req.Header.Set("Cookie", "portcullis_session="+token)
			resp, err := noRedirects().Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	return statuses
}
