package oidcweb

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

func TestLocalLogout(t *testing.T) {
	e := newEnv(t, nil, nil)
	token := e.login(e.client, "/")
	c := noRedirect(e.client)
	r := e.do(c, "POST", LogoutPath, nil)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "kbn-xsrf") {
		t.Fatalf("POST logout without kbn-xsrf: %d %s", r.status, r.body)
	}
	r = e.do(c, "POST", LogoutPath, map[string]string{"kbn-xsrf": "1"})
	if r.status != http.StatusFound || r.header.Get("Location") != e.site.URL+LoggedOutPath {
		t.Fatalf("logout: %d %q", r.status, r.header.Get("Location"))
	}
	if sc := findSetCookie(r.header, "portcullis_session"); sc == nil || sc.MaxAge >= 0 {
		t.Fatalf("cookie not cleared: %+v", sc)
	}
	// A copy of the cookie is worthless: the session is gone from the store.
	if _, err := e.svc.Authenticate(requestWithCookie(e, "GET", token)); !errors.Is(err, authn.ErrNoCredentials) {
		t.Fatalf("old cookie after logout: %v", err)
	}
	r = e.do(e.client, "GET", LoggedOutPath, nil)
	if r.status != 200 || !strings.Contains(r.body, "You are logged out.") {
		t.Fatalf("logged-out page: %d %s", r.status, r.body)
	}
}

// TestRPInitiatedLogout: by default the browser is taken to the
// provider's end-session endpoint by a self-submitting POST form, so the
// ID token hint is in no URL; the page allows its one script and nothing
// else. With EndSessionByRedirect it is a redirect carrying the hint.
func TestRPInitiatedLogout(t *testing.T) {
	t.Run("post form", func(t *testing.T) {
		e := newEnv(t, func(o *fakeOP) { o.endSession = true }, nil)
		e.login(e.client, "/")
		r := e.do(noRedirect(e.client), "GET", LogoutPath, nil)
		if r.status != http.StatusOK || r.header.Get("Location") != "" {
			t.Fatalf("logout: %d, Location %q", r.status, r.header.Get("Location"))
		}
		form := regexp.MustCompile(`<form id="logout" method="post" action="([^"]+)">`).FindStringSubmatch(r.body)
		if form == nil || html.UnescapeString(form[1]) != e.op.issuer()+"/end_session" {
			t.Fatalf("no form posting to the end-session endpoint: %s", r.body)
		}
		fields := map[string]string{}
		for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(r.body, -1) {
			fields[m[1]] = html.UnescapeString(m[2])
		}
		if fields["client_id"] != "portcullis" || fields["post_logout_redirect_uri"] != e.site.URL+LoggedOutPath || strings.Count(fields["id_token_hint"], ".") != 2 {
			t.Fatalf("form fields: %v", fields)
		}
		sum := sha256.Sum256([]byte(endSessionScript))
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(r.body, "<script>"+endSessionScript+"</script>") ||
			csp != "default-src 'none'; script-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'; frame-ancestors 'none'" {
			t.Fatalf("script or CSP: %q", csp)
		}
		// The browser submits the form; the provider sends it back.
		resp, err := e.client.PostForm(html.UnescapeString(form[1]), url.Values{
			"id_token_hint": {fields["id_token_hint"]}, "client_id": {fields["client_id"]}, "post_logout_redirect_uri": {fields["post_logout_redirect_uri"]}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		e.op.mu.Lock()
		hint, method := e.op.lastHint, e.op.lastEndSessionMethod
		e.op.mu.Unlock()
		if resp.StatusCode != 200 || resp.Request.URL.Path != LoggedOutPath || method != http.MethodPost || hint != fields["id_token_hint"] {
			t.Fatalf("after the provider: %d at %s (provider saw %s, hint %t)", resp.StatusCode, resp.Request.URL, method, hint != "")
		}
	})
	t.Run("redirect", func(t *testing.T) {
		e := newEnv(t, func(o *fakeOP) { o.endSession = true }, func(o *Options) { o.EndSessionByRedirect = true })
		e.login(e.client, "/")
		r := e.do(noRedirect(e.client), "GET", LogoutPath, nil)
		u, _ := url.Parse(r.header.Get("Location"))
		q := u.Query()
		if r.status != http.StatusFound || !strings.HasPrefix(u.String(), e.op.issuer()+"/end_session?") ||
			q.Get("post_logout_redirect_uri") != e.site.URL+LoggedOutPath || q.Get("client_id") != "portcullis" || strings.Count(q.Get("id_token_hint"), ".") != 2 {
			t.Fatalf("RP-initiated logout: %d %s", r.status, u)
		}
		// Through the provider and back to the logged-out page.
		e.login(e.client, "/")
		r = e.do(e.client, "GET", LogoutPath, nil)
		if r.status != 200 || r.url.Path != LoggedOutPath {
			t.Fatalf("after logout: %d at %s", r.status, r.url)
		}
	})
}

func TestBackchannelLogout(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c map[string]any)
		typ     string
		status  int
		want    string
		killsA1 bool // alice's session with sid op-session-1
		killsA2 bool // alice's other session (another provider session)
	}{
		{name: "by sid", status: 200, killsA1: true},
		{name: "by sub", mutate: func(c map[string]any) { delete(c, "sid") }, status: 200, killsA1: true, killsA2: true},
		{name: "sid of another subject", mutate: func(c map[string]any) { c["sub"] = "sub-bob" }, status: 200},
		{name: "nonce present", mutate: func(c map[string]any) { c["nonce"] = "n" }, status: 400, want: "nonce"},
		{name: "no events", mutate: func(c map[string]any) { delete(c, "events") }, status: 400, want: "event"},
		{name: "other event", mutate: func(c map[string]any) { c["events"] = map[string]any{"urn:other": map[string]any{}} }, status: 400, want: "event"},
		{name: "event not an object", mutate: func(c map[string]any) { c["events"] = map[string]any{backchannelEvent: true} }, status: 400, want: "event"},
		{name: "neither sub nor sid", mutate: func(c map[string]any) { delete(c, "sub"); delete(c, "sid") }, status: 400, want: "neither"},
		{name: "other audience", mutate: func(c map[string]any) { c["aud"] = "other" }, status: 400, want: "audience"},
		{name: "other issuer", mutate: func(c map[string]any) { c["iss"] = "https://evil" }, status: 400, want: "different provider"},
		{name: "old", mutate: func(c map[string]any) {
			c["iat"] = time.Now().Add(-time.Hour).Unix()
			c["exp"] = time.Now().Add(time.Hour).Unix()
		}, status: 400, want: "iat"},
		{name: "no iat", mutate: func(c map[string]any) { delete(c, "iat") }, status: 400, want: "iat"},
		{name: "expired", mutate: func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, status: 400, want: "expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			a1 := e.login(e.client, "/")
			e.op.sid = "op-session-2"
			a2 := e.login(newBrowser(t), "/")
			r := e.postLogout(e.op.logoutToken(func(c map[string]any) {
				c["sid"] = "op-session-1"
				if tc.mutate != nil {
					tc.mutate(c)
				}
			}))
			if r.status != tc.status || !strings.Contains(r.body, tc.want) || r.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("back-channel: %d %s %v", r.status, r.body, r.header)
			}
			if tc.killsA1 == e.alive(a1) || tc.killsA2 == e.alive(a2) {
				t.Fatalf("after: a1 alive %v, a2 alive %v", e.alive(a1), e.alive(a2))
			}
		})
	}
}

func TestBackchannelRefusesReplaysAndForgeries(t *testing.T) {
	e := newEnv(t, nil, nil)
	tok := e.op.logoutToken(nil)
	if r := e.postLogout(tok); r.status != 200 {
		t.Fatalf("first use: %d %s", r.status, r.body)
	}
	if r := e.postLogout(tok); r.status != 400 || !strings.Contains(r.body, "replayed") {
		t.Fatalf("replay: %d %s", r.status, r.body)
	}
	// Without a jti a logout token cannot be told from its replays (which
	// end the sessions the user opened since): the spec requires one.
	noJTI := e.op.logoutToken(func(c map[string]any) { delete(c, "jti") })
	if r := e.postLogout(noJTI); r.status != 400 || !strings.Contains(r.body, "jti") {
		t.Fatalf("logout token without jti: %d %s", r.status, r.body)
	}
	parts := strings.Split(e.op.logoutToken(nil), ".")
	forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	if r := e.postLogout(forged); r.status != 400 {
		t.Fatalf("forged signature: %d %s", r.status, r.body)
	}
	none := "eyJhbGciOiJub25lIn0." + parts[1] + "."
	if r := e.postLogout(none); r.status != 400 {
		t.Fatalf("alg none: %d %s", r.status, r.body)
	}
	if r := e.postLogout(""); r.status != 400 || !strings.Contains(r.body, "missing logout_token") {
		t.Fatalf("no token: %d %s", r.status, r.body)
	}
	if r := e.do(newBrowser(t), "GET", BackchannelPath, nil); r.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", r.status)
	}
}

// TestBackchannelReplayRefusedByAnotherReplica: the provider's logout
// token is remembered in the session store the replicas share, so a
// replay sent to another replica (which would end the sessions the user
// opened since) is refused there too.
func TestBackchannelReplayRefusedByAnotherReplica(t *testing.T) {
	e := newEnv(t, nil, nil)
	replica, err := New(context.Background(), e.opts)
	if err != nil {
		t.Fatal(err)
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		replica.ServeHTTP(w, WithRecorder(r, e.audit.record))
	}))
	t.Cleanup(other.Close)
	tok := e.op.logoutToken(nil)
	if r := e.postLogout(tok); r.status != 200 {
		t.Fatalf("first use: %d %s", r.status, r.body)
	}
	session := e.login(e.client, "/") // opened after the logout
	resp, err := http.PostForm(other.URL+BackchannelPath, url.Values{"logout_token": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "replayed") {
		t.Fatalf("replay at the other replica: %d %s", resp.StatusCode, body)
	}
	if !e.alive(session) {
		t.Fatal("the replayed logout token ended a session opened after it")
	}
	fresh := e.op.logoutToken(nil) // a new jti: accepted by the other replica
	resp, err = http.PostForm(other.URL+BackchannelPath, url.Values{"logout_token": {fresh}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || e.alive(session) {
		t.Fatalf("a new logout token at the other replica: %d, session alive %v", resp.StatusCode, e.alive(session))
	}
}

func (e *env) postLogout(token string) response {
	e.t.Helper()
	resp, err := http.PostForm(e.site.URL+BackchannelPath, url.Values{"logout_token": {token}})
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func (e *env) alive(token string) bool {
	_, err := e.sessions.Load(context.Background(), token)
	return err == nil
}

// TestLogoutRevokesTheRefreshToken: with a revocation endpoint in the
// discovery document, logout revokes the session's refresh token at the
// provider (RFC 7009, with the client's credentials) before the browser is
// sent on; a provider that fails to revoke does not stop the logout; a
// provider without the endpoint is not asked.
func TestLogoutRevokesTheRefreshToken(t *testing.T) {
	t.Run("revoked", func(t *testing.T) {
		e := newEnv(t, func(o *fakeOP) { o.revocation = true }, nil)
		e.login(e.client, "/")
		valid := e.op.validRefreshTokens()
		if len(valid) != 1 {
			t.Fatalf("refresh tokens after login: %v", valid)
		}
		r := e.do(noRedirect(e.client), "POST", LogoutPath, map[string]string{"kbn-xsrf": "1"})
		if r.status != http.StatusFound {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
		if got := e.op.revokedTokens(); len(got) != 1 || got[0] != valid[0] {
			t.Fatalf("revoked %v, want the session's refresh token %v", got, valid)
		}
		if left := e.op.validRefreshTokens(); len(left) != 0 {
			t.Fatalf("refresh tokens still valid after logout: %v", left)
		}
	})
	t.Run("provider fails", func(t *testing.T) {
		e := newEnv(t, func(o *fakeOP) { o.revocation = true; o.revocationStatus.Store(503) }, nil)
		token := e.login(e.client, "/")
		r := e.do(noRedirect(e.client), "POST", LogoutPath, map[string]string{"kbn-xsrf": "1"})
		if r.status != http.StatusFound || r.header.Get("Location") != e.site.URL+LoggedOutPath {
			t.Fatalf("logout with a failing revocation endpoint: %d %q", r.status, r.header.Get("Location"))
		}
		if _, err := e.svc.Authenticate(requestWithCookie(e, "GET", token)); !errors.Is(err, authn.ErrNoCredentials) {
			t.Fatalf("the session survived a logout whose revocation failed: %v", err)
		}
	})
	t.Run("no endpoint", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		e.login(e.client, "/")
		if r := e.do(noRedirect(e.client), "POST", LogoutPath, map[string]string{"kbn-xsrf": "1"}); r.status != http.StatusFound {
			t.Fatalf("logout: %d", r.status)
		}
		if got := e.op.revokedTokens(); len(got) != 0 {
			t.Fatalf("a provider without a revocation endpoint was asked to revoke %v", got)
		}
	})
}
