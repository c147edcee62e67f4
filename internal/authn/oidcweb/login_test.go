package oidcweb

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

func TestLoginFlowStepByStep(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := noRedirect(newBrowser(t))

	r := e.do(c, "GET", "/logs-web/_search?q=a%20b", nil)
	if r.status != http.StatusFound || r.header.Get("Location") != LoginPath+"?return="+url.QueryEscape("/logs-web/_search?q=a%20b") {
		t.Fatalf("protected page without a session: %d %q", r.status, r.header.Get("Location"))
	}
	r = e.do(c, "GET", r.header.Get("Location"), nil)
	auth, _ := url.Parse(r.header.Get("Location"))
	q := auth.Query()
	if r.status != http.StatusFound || !strings.HasPrefix(auth.String(), e.op.issuer()+"/auth?") ||
		q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 43 ||
		len(q.Get("nonce")) < 43 || q.Get("redirect_uri") != e.site.URL+CallbackPath || q.Get("scope") != "openid email profile offline_access" {
		t.Fatalf("authorization request: %d %s", r.status, auth)
	}
	stateCookie := findSetCookie(r.header, "portcullis_login")
	if stateCookie == nil || !stateCookie.HttpOnly || stateCookie.SameSite != http.SameSiteLaxMode || stateCookie.MaxAge != 600 ||
		strings.Contains(stateCookie.Value, q.Get("state")) || strings.Contains(stateCookie.Value, q.Get("nonce")) {
		t.Fatalf("pre-login cookie: %+v (must be sealed, HttpOnly, Lax, 10 minutes)", stateCookie)
	}
	resp, err := c.Get(auth.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back := resp.Header.Get("Location")
	if !strings.HasPrefix(back, e.site.URL+CallbackPath+"?") {
		t.Fatalf("provider redirect: %q", back)
	}
	r = e.do(c, "GET", strings.TrimPrefix(back, e.site.URL), nil)
	if r.status != http.StatusFound || r.header.Get("Location") != "/logs-web/_search?q=a%20b" {
		t.Fatalf("callback: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	sc := findSetCookie(r.header, "portcullis_session")
	if sc == nil || !sc.HttpOnly || sc.Secure || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || len(sc.Value) != 43 || sc.MaxAge != 0 {
		t.Fatalf("session cookie: %+v", sc)
	}
	if cleared := findSetCookie(r.header, "portcullis_login"); cleared == nil || cleared.MaxAge >= 0 {
		t.Fatalf("pre-login cookie not cleared: %+v", cleared)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("callback Cache-Control %q", cc)
	}
	r = e.do(c, "GET", "/logs-web/_search?q=a%20b", nil)
	if r.status != 200 || r.body != "hello alice@example.com logs_reader" {
		t.Fatalf("with the session: %d %q", r.status, r.body)
	}
	// The callback cannot be replayed: the pre-login cookie is gone.
	r = e.do(c, "GET", strings.TrimPrefix(back, e.site.URL), nil)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "no login in progress") {
		t.Fatalf("replayed callback: %d %s", r.status, r.body)
	}
}

func findSetCookie(h http.Header, suffix string) *http.Cookie {
	resp := http.Response{Header: h}
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, suffix) {
			return c
		}
	}
	return nil
}

func TestHTTPSCookies(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.RedirectURL = "https://proxy.example.com" + CallbackPath })
	if e.svc.CookieName() != "__Host-portcullis_session" {
		t.Fatalf("cookie name %q", e.svc.CookieName())
	}
	rec := httptestRecorder()
	e.svc.setSessionCookie(rec, "tok")
	e.svc.setLoginState(rec, &loginState{State: "s", IssuedAt: e.clock.Now()})
	for _, name := range []string{"__Host-portcullis_session", "__Host-portcullis_login"} {
		c := findSetCookie(rec.Header(), name)
		if c == nil || c.Name != name || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" {
			t.Fatalf("%s: %+v", name, c)
		}
	}
}

func TestCallbackRefusals(t *testing.T) {
	tests := []struct {
		name   string
		op     func(*fakeOP)
		tamper func(q url.Values)
		fresh  bool // callback in another browser (no pre-login cookie)
		status int
		want   string
	}{
		{name: "state of another login", tamper: func(q url.Values) { q.Set("state", "forged") }, status: 400, want: "does not match"},
		{name: "callback in another browser", fresh: true, status: 400, want: "no login in progress"},
		{name: "provider error", tamper: func(q url.Values) {
			q.Del("code")
			q.Set("error", "access_denied")
			q.Set("error_description", "<b>no</b>")
		}, status: 401, want: "access_denied &lt;b&gt;no&lt;/b&gt;"},
		{name: "code not accepted", tamper: func(q url.Values) { q.Set("code", "stolen") }, status: 401, want: "did not accept the login code"},
		{name: "nonce mismatch", op: func(o *fakeOP) { o.mutateIDToken = func(c map[string]any) { c["nonce"] = "replayed" } }, status: 401, want: "nonce"},
		{name: "nonce missing", op: func(o *fakeOP) { o.mutateIDToken = func(c map[string]any) { delete(c, "nonce") } }, status: 401, want: "nonce"},
		{name: "audience of another client", op: func(o *fakeOP) { o.mutateIDToken = func(c map[string]any) { c["aud"] = "other" } }, status: 401, want: "audience"},
		{name: "azp of another client", op: func(o *fakeOP) {
			o.mutateIDToken = func(c map[string]any) { c["aud"] = []string{"portcullis", "other"}; c["azp"] = "other" }
		}, status: 401, want: "another client"},
		{name: "several audiences without azp", op: func(o *fakeOP) {
			o.mutateIDToken = func(c map[string]any) { c["aud"] = []string{"portcullis", "other"} }
		}, status: 401, want: "no azp"},
		{name: "expired ID token", op: func(o *fakeOP) {
			o.mutateIDToken = func(c map[string]any) { c["exp"] = time.Now().Add(-2 * time.Hour).Unix() }
		}, status: 401, want: "expired"},
		{name: "issued in the future", op: func(o *fakeOP) {
			o.mutateIDToken = func(c map[string]any) { c["iat"] = time.Now().Add(time.Hour).Unix() }
		}, status: 401, want: "future"},
		{name: "other issuer", op: func(o *fakeOP) { o.mutateIDToken = func(c map[string]any) { c["iss"] = "https://evil" } }, status: 401, want: "different provider"},
		{name: "no principal claim", op: func(o *fakeOP) { o.mutateIDToken = func(c map[string]any) { delete(c, "email") } }, status: 401, want: "principal"},
		{name: "no ID token", op: func(o *fakeOP) { o.noIDToken = true }, status: 401, want: "no ID token"},
		{name: "access token typed at+jwt in place of the ID token", op: func(o *fakeOP) { o.idTokenType = "at+jwt" }, status: 401, want: "not an ID token"},
		{name: "logout token in place of the ID token", op: func(o *fakeOP) {
			o.idTokenType = "logout+jwt"
			o.mutateIDToken = func(c map[string]any) { c["events"] = map[string]any{backchannelEvent: map[string]any{}} }
		}, status: 401, want: "not an ID token"},
		{name: "a second spelling of aud", op: func(o *fakeOP) {
			o.mutateIDToken = func(c map[string]any) { c["AUD"] = "other" }
		}, status: 401, want: "case-sensitive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.op, nil)
			c := noRedirect(newBrowser(t))
			r := e.do(c, "GET", LoginPath+"?return=/x", nil)
			resp, err := c.Get(r.header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			back, _ := url.Parse(resp.Header.Get("Location"))
			q := back.Query()
			if tc.tamper != nil {
				tc.tamper(q)
			}
			back.RawQuery = q.Encode()
			if tc.fresh {
				c = noRedirect(newBrowser(t))
			}
			r = e.do(c, "GET", back.RequestURI(), nil)
			if r.status != tc.status || !strings.Contains(r.body, tc.want) {
				t.Fatalf("callback: %d %s\nwant %d containing %q", r.status, r.body, tc.status, tc.want)
			}
			if findSetCookie(r.header, "portcullis_session") != nil {
				t.Fatal("a refused callback set a session cookie")
			}
			if ct := r.header.Get("Content-Security-Policy"); !strings.Contains(ct, "default-src 'none'") {
				t.Fatalf("error page CSP %q", ct)
			}
		})
	}
}

func TestSafeReturn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/app/kibana#/discover?x=1", "/app/kibana#/discover?x=1"},
		{"/logs-*/_search?q=a%20b", "/logs-*/_search?q=a%20b"},
		{"/%2F%2Fevil.example", "/%2F%2Fevil.example"}, // a path on this site
		{"", "/"},
		{"//evil.example/x", "/"},
		{"///evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/ /evil.example", "/"},
		{"/caf\u00e9", "/"},
		{"/_portcullis/logout", "/"},
		{"/_PORTCULLIS/login", "/"},
		{"/" + strings.Repeat("a", 3000), "/"},
	}
	for _, tc := range tests {
		if got := safeReturn(tc.in); got != tc.want {
			t.Errorf("safeReturn(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Anyone can start logins (no provider call) and post junk codes to the
// callback, each one a token-endpoint call with the proxy's client
// credentials. Refused codes count as failed logins of the address: once
// it is locked out, callbacks are refused with 429 before any call, and
// audited as failed logins; after the lockout, logins work again.
func TestJunkCallbackCodesAreRateLimited(t *testing.T) {
	var e *env
	e = newEnv(t, nil, func(o *Options) {
		o.Limiter = authn.NewLoginLimiter(authn.LoginLimiterOptions{MaxFailures: 3, Window: time.Minute, Lockout: time.Minute,
			Clock: func() time.Time { return e.clock.Now() }})
	})
	junkCallback := func() response {
		c := noRedirect(newBrowser(t))
		r := e.do(c, "GET", LoginPath+"?return=/x", nil)
		resp, err := c.Get(r.header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		back, _ := url.Parse(resp.Header.Get("Location"))
		q := back.Query()
		q.Set("code", "junk")
		back.RawQuery = q.Encode()
		return e.do(c, "GET", back.RequestURI(), nil)
	}
	before := e.op.tokenCalls.Load()
	var limited int
	for i := 0; i < 12; i++ {
		switch r := junkCallback(); r.status {
		case http.StatusTooManyRequests:
			limited++
		case http.StatusUnauthorized:
		default:
			t.Fatalf("junk code: %d %s", r.status, r.body)
		}
	}
	if calls := e.op.tokenCalls.Load() - before; calls > 3 {
		t.Fatalf("12 junk codes from one address made %d token-endpoint calls", calls)
	}
	if limited != 9 {
		t.Fatalf("%d of 12 junk callbacks rate-limited, want 9", limited)
	}
	e.clock.Advance(2 * time.Minute)
	if tok := e.login(newBrowser(t), "/"); tok == "" {
		t.Fatal("no session after the lockout")
	}
}

// TestCrossSiteLoginKeepsTheSession: a page of another site that sends a
// logged-in browser to the login endpoint does not log it out (starting a
// login ends the browser's session); the browser goes where the login
// would have taken it, still logged in. The user's own navigation (no
// Sec-Fetch-Site, or "none") still starts a new login.
func TestCrossSiteLoginKeepsTheSession(t *testing.T) {
	e := newEnv(t, nil, nil)
	token := e.login(newBrowser(t), "/logs-web/_search")
	c, h := e.withCookie(token)
	cross := map[string]string{"Cookie": h["Cookie"], "Sec-Fetch-Site": "cross-site"}
	r := e.do(c, "GET", LoginPath+"?return="+url.QueryEscape("/logs-web/_search"), cross)
	if r.status != http.StatusFound || r.header.Get("Location") != "/logs-web/_search" || findSetCookie(r.header, "portcullis_session") != nil {
		t.Fatalf("cross-site login with a live session: %d %q %v", r.status, r.header.Get("Location"), r.header["Set-Cookie"])
	}
	if r := e.do(c, "GET", "/logs-web/_search", h); r.status != 200 {
		t.Fatalf("the session after a cross-site login request: %d %s", r.status, r.body)
	}
	own := map[string]string{"Cookie": h["Cookie"], "Sec-Fetch-Site": "none"}
	if r := e.do(c, "GET", LoginPath, own); r.status != http.StatusFound || !strings.HasPrefix(r.header.Get("Location"), e.op.issuer()) {
		t.Fatalf("the user's own login request: %d %q", r.status, r.header.Get("Location"))
	}
	if r := e.do(c, "GET", "/logs-web/_search", h); r.status == 200 {
		t.Fatal("the user's own new login kept the old session")
	}
}
