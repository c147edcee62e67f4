package oidcweb

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/session"
)

func TestRefresh(t *testing.T) {
	tests := []struct {
		name        string
		advance     time.Duration
		setup       func(e *env)
		wantOK      bool
		wantErr     error
		refreshes   int32
		sessionGone bool
	}{
		{name: "well before expiry: no refresh", advance: 30 * time.Minute, wantOK: true},
		{name: "within the margin: refreshed", advance: 59*time.Minute + 30*time.Second, wantOK: true, refreshes: 1},
		{name: "after expiry: refreshed", advance: 3 * time.Hour, wantOK: true, refreshes: 1},
		{name: "refresh token revoked: session ends", advance: 3 * time.Hour, setup: func(e *env) { e.op.refreshRejects.Store(true) },
			wantErr: authn.ErrNoCredentials, refreshes: 1, sessionGone: true},
		{name: "provider down, tokens still valid: served", advance: 59*time.Minute + 30*time.Second,
			setup: func(e *env) { e.op.refreshDown.Store(true) }, wantOK: true, refreshes: 1},
		{name: "provider down, tokens expired: unavailable", advance: 3 * time.Hour,
			setup: func(e *env) { e.op.refreshDown.Store(true) }, wantErr: authn.ErrUnavailable, refreshes: 1},
		// A provider shedding load (rate limit, temporarily unavailable)
		// has not refused the refresh token: nobody is logged out, as
		// when it is down. An attacker who exhausts the proxy client's
		// quota at the provider (junk codes posted to the callback) must
		// not end every session that refreshes meanwhile.
		{name: "provider rate-limiting, tokens still valid: served, session kept", advance: 59*time.Minute + 30*time.Second,
			setup: func(e *env) { e.op.refreshBusy.Store("429 too_many_requests") }, wantOK: true, refreshes: 1},
		{name: "provider rate-limiting, tokens expired: unavailable, session kept", advance: 3 * time.Hour,
			setup: func(e *env) { e.op.refreshBusy.Store("429 too_many_requests") }, wantErr: authn.ErrUnavailable, refreshes: 1},
		{name: "provider temporarily unavailable (400), tokens expired: unavailable, session kept", advance: 3 * time.Hour,
			setup: func(e *env) { e.op.refreshBusy.Store("400 temporarily_unavailable") }, wantErr: authn.ErrUnavailable, refreshes: 1},
		{name: "refreshed ID token about someone else: session ends", advance: 3 * time.Hour,
			setup:   func(e *env) { e.op.mutateIDToken = func(c map[string]any) { c["sub"] = "sub-mallory" } },
			wantErr: authn.ErrNoCredentials, refreshes: 1, sessionGone: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			token := e.login(e.client, "/")
			before, _ := e.sessions.Load(context.Background(), token)
			if tc.setup != nil {
				tc.setup(e)
			}
			e.clock.Advance(tc.advance)
			p, err := e.svc.Authenticate(requestWithCookie(e, "GET", token))
			if tc.wantOK != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("Authenticate = %v, %v", p, err)
			}
			if n := e.op.refreshCalls.Load(); n != tc.refreshes {
				t.Fatalf("refresh calls %d, want %d", n, tc.refreshes)
			}
			after, err := e.sessions.Load(context.Background(), token)
			if tc.sessionGone != errors.Is(err, session.ErrNotFound) {
				t.Fatalf("session after: %v (want gone %v)", err, tc.sessionGone)
			}
			busy, _ := e.op.refreshBusy.Load().(string)
			if tc.wantOK && tc.refreshes == 1 && !tc.sessionGone && !e.op.refreshDown.Load() && busy == "" {
				if after.RefreshToken == before.RefreshToken || after.Refreshes != 1 || !after.TokenExpiry.After(before.TokenExpiry) {
					t.Fatalf("refresh not stored: before %+v after %+v", before.Data, after.Data)
				}
			}
		})
	}
}

// TestConcurrentRefreshRotatingTokens: many requests of one session at
// expiry time make one refresh; the rotated refresh token is kept, so the
// next refresh works too (a second refresh with the old token would fail).
func TestConcurrentRefreshRotatingTokens(t *testing.T) {
	e := newEnv(t, nil, nil)
	token := e.login(e.client, "/")
	for round := 1; round <= 2; round++ {
		e.clock.Advance(2 * time.Hour)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.svc.Authenticate(requestWithCookie(e, "GET", token))
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if n := e.op.refreshCalls.Load(); n != int32(round) {
			t.Fatalf("round %d: %d refreshes in all, want %d", round, n, round)
		}
	}
}

func TestNoRefreshTokenSessionEndsWithTokens(t *testing.T) {
	e := newEnv(t, nil, nil)
	token := e.login(e.client, "/")
	_, err := e.sessions.Update(context.Background(), token, func(cur *session.Session) (*session.Data, error) {
		d := cur.Data
		d.RefreshToken = ""
		return &d, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(59 * time.Minute)
	if _, err := e.svc.Authenticate(requestWithCookie(e, "GET", token)); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	e.clock.Advance(3 * time.Minute)
	if _, err := e.svc.Authenticate(requestWithCookie(e, "GET", token)); !errors.Is(err, authn.ErrNoCredentials) {
		t.Fatalf("expired without refresh token: %v", err)
	}
}

func requestWithCookie(e *env, method, token string) *http.Request {
	r := httptest.NewRequest(method, e.site.URL+"/logs-web/_doc", nil)
	r.AddCookie(&http.Cookie{Name: e.svc.CookieName(), Value: token})
	return r
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.AllowedOrigins = []string{"https://kibana.example.com/"} })
	token := e.login(e.client, "/")
	site := strings.TrimSuffix(e.site.URL, "/")
	tests := []struct {
		method string
		header map[string]string
		ok     bool
	}{
		{"GET", nil, true},
		{"HEAD", nil, true},
		{"OPTIONS", nil, true},
		{"POST", nil, false},
		{"PUT", map[string]string{"Origin": "https://evil.example"}, false},
		{"DELETE", map[string]string{"Origin": "null"}, false},
		{"POST", map[string]string{"Origin": site + ":1"}, false}, // same site, other origin
		{"POST", map[string]string{"Referer": site + "/"}, false}, // Referer is not enough
		{"POST", map[string]string{"kbn-xsrf": "true"}, true},
		{"POST", map[string]string{"Kbn-Xsrf": ""}, true}, // presence is what counts
		{"POST", map[string]string{"Origin": site}, true},
		{"PATCH", map[string]string{"Origin": "https://kibana.example.com"}, true},
	}
	for _, tc := range tests {
		r := requestWithCookie(e, tc.method, token)
		for k, v := range tc.header {
			r.Header[http.CanonicalHeaderKey(k)] = []string{v}
		}
		p, err := e.svc.Authenticate(r)
		var ce *authn.CSRFError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s %v: refused: %v", tc.method, tc.header, err)
		case !tc.ok && !errors.As(err, &ce):
			t.Errorf("%s %v: not refused as CSRF: %v %v", tc.method, tc.header, p, err)
		case !tc.ok && (ce.Principal == nil || ce.Principal.Username != "alice@example.com" || !strings.Contains(ce.Reason, "kbn-xsrf")):
			t.Errorf("%s %v: CSRF error %+v", tc.method, tc.header, ce)
		}
	}
}

func TestAuthenticateSkips(t *testing.T) {
	e := newEnv(t, nil, nil)
	token := e.login(e.client, "/")
	r := requestWithCookie(e, "GET", token)
	r.Header.Set("Authorization", "Basic YTpi")
	if _, err := e.svc.Authenticate(r); err != authn.ErrNoCredentials {
		t.Fatalf("with an Authorization header: %v (explicit credentials win)", err)
	}
	if _, err := e.svc.Authenticate(httptest.NewRequest("GET", "/", nil)); err != authn.ErrNoCredentials {
		t.Fatalf("without a cookie: %v", err)
	}
	if _, err := e.svc.Authenticate(requestWithCookie(e, "GET", "forged-"+token[7:])); !errors.Is(err, authn.ErrNoCredentials) {
		t.Fatalf("unknown session: %v", err)
	}
}

// failingBackend is a store that cannot be reached.
type failingBackend struct{ session.Backend }

var errDown = errors.New("connection refused")

func (failingBackend) Get(context.Context, string) ([]byte, time.Duration, error) {
	return nil, 0, errDown
}
func (failingBackend) Create(context.Context, session.Record) error { return errDown }
func (failingBackend) Delete(context.Context, ...string) error      { return errDown }

func TestStoreUnavailableFailsClosed(t *testing.T) {
	e := newEnv(t, nil, nil)
	token := e.login(e.client, "/")
	keys, _ := session.NewKeyring([][]byte{[]byte(strings.Repeat("k", 32))}, "session")
	down, _ := session.NewManager(session.Options{Backend: failingBackend{e.backend}, Keys: keys})
	e.svc.o.Sessions = down
	if _, err := e.svc.Authenticate(requestWithCookie(e, "GET", token)); !errors.Is(err, authn.ErrUnavailable) {
		t.Fatalf("store down: %v", err)
	}
	// A new login cannot create its session: a clear 503, no cookie.
	c := newBrowser(t)
	r := e.do(c, "GET", "/x", nil)
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "session store is unavailable") {
		t.Fatalf("login with the store down: %d %s", r.status, r.body)
	}
	// Logout clears the cookie but says the session could not be revoked.
	r = e.do(noRedirect(e.client), "GET", LogoutPath, nil)
	if r.status != http.StatusServiceUnavailable || findSetCookie(r.header, "portcullis_session").MaxAge >= 0 {
		t.Fatalf("logout with the store down: %d %v", r.status, r.header)
	}
}

func TestStripCookies(t *testing.T) {
	e := newEnv(t, nil, nil)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Add("Cookie", "a=1; portcullis_session=secret; b=2")
	r.Header.Add("Cookie", "portcullis_login=x;c=3")
	e.svc.StripCookies(r)
	if got := r.Header.Values("Cookie"); len(got) != 1 || got[0] != "a=1; b=2; c=3" {
		t.Fatalf("Cookie after strip: %q", got)
	}
	// Go's cookie parser trims blanks around a name, so these authenticate
	// with the session: they must not reach the upstream either.
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Add("Cookie", "a=1; portcullis_session =secret1;\tportcullis_login\t=x; b=2")
	e.svc.StripCookies(r)
	if got := r.Header.Values("Cookie"); len(got) != 1 || got[0] != "a=1; b=2" {
		t.Fatalf("Cookie after strip: %q", got)
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "portcullis_session=secret")
	e.svc.StripCookies(r)
	if _, ok := r.Header["Cookie"]; ok {
		t.Fatalf("empty Cookie header left: %q", r.Header.Get("Cookie"))
	}
}

func TestSessionInfo(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.login(e.client, "/")
	r := e.do(e.client, "GET", SessionPath, nil)
	if r.status != 200 || !strings.Contains(r.body, `"username":"alice@example.com"`) || !strings.Contains(r.body, `"roles":["logs_reader"]`) ||
		!strings.Contains(r.body, `"refresh_possible":true`) || strings.Contains(r.body, "token\":\"") {
		t.Fatalf("session info: %d %s", r.status, r.body)
	}
	r = e.do(newBrowser(t), "GET", SessionPath, nil)
	if r.status != 401 || !strings.Contains(r.body, "security_exception") {
		t.Fatalf("session info without a session: %d %s", r.status, r.body)
	}
	r = e.do(e.client, "DELETE", SessionPath, nil)
	if r.status != 405 {
		t.Fatalf("DELETE %s: %d", SessionPath, r.status)
	}
	r = e.do(e.client, "GET", PathPrefix+"anything", nil)
	if r.status != 404 {
		t.Fatalf("unknown reserved path: %d", r.status)
	}
}

// ForeignOrigin flags requests that carry the session cookie from an
// origin the site does not allow, whatever their method (a GET passes the
// CSRF check, but its response must not be readable by that origin).
func TestForeignOrigin(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.AllowedOrigins = []string{"https://kibana.example.com/"} })
	token := e.login(e.client, "/")
	site := strings.TrimSuffix(e.site.URL, "/")
	for _, tc := range []struct {
		origin  string
		cookie  bool
		foreign bool
	}{
		{"https://blog.example.com", true, true},
		{site + ":1", true, true},
		{"null", true, true},
		{"", true, false}, // same-origin GETs send no Origin
		{site, true, false},
		{"HTTPS://KIBANA.example.com", true, false},
		{"https://blog.example.com", false, false}, // no session cookie: nothing ambient to protect
	} {
		r := httptest.NewRequest("GET", "/_search", nil)
		if tc.cookie {
			r = requestWithCookie(e, "GET", token)
		}
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := e.svc.ForeignOrigin(r); got != tc.foreign {
			t.Errorf("origin %q cookie %v: ForeignOrigin %v, want %v", tc.origin, tc.cookie, got, tc.foreign)
		}
	}
}

// CrossSiteRequest: the session cookie, no anti-CSRF header, and another
// site as the sender (by its Origin, or by Sec-Fetch-Site when a GET
// navigation sends no Origin).
func TestCrossSiteRequest(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.AllowedOrigins = []string{"https://kibana.example.com"} })
	token := e.login(e.client, "/")
	site := strings.TrimSuffix(e.site.URL, "/")
	for _, tc := range []struct {
		header map[string]string
		cookie bool
		cross  bool
	}{
		{map[string]string{"Sec-Fetch-Site": "cross-site"}, true, true},
		{map[string]string{"Sec-Fetch-Site": "same-site"}, true, true},
		{map[string]string{"Origin": "https://evil.example"}, true, true},
		{map[string]string{"Sec-Fetch-Site": "same-origin"}, true, false},
		{map[string]string{"Sec-Fetch-Site": "none"}, true, false}, // typed by the user
		{nil, true, false}, // a client that says nothing (not a browser made to send it)
		{map[string]string{"Sec-Fetch-Site": "cross-site", "kbn-xsrf": "1"}, true, false},
		{map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://kibana.example.com"}, true, false},
		{map[string]string{"Origin": site}, true, false},
		{map[string]string{"Sec-Fetch-Site": "cross-site"}, false, false},
	} {
		r := httptest.NewRequest("GET", "/_flush", nil)
		if tc.cookie {
			r = requestWithCookie(e, "GET", token)
		}
		for k, v := range tc.header {
			r.Header.Set(k, v)
		}
		if got := e.svc.CrossSiteRequest(r); got != tc.cross {
			t.Errorf("%v cookie %v: CrossSiteRequest %v, want %v", tc.header, tc.cookie, got, tc.cross)
		}
	}
}
