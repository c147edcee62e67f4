package oidcweb

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// outcomes is a Recorder that keeps what the endpoints report; with fail
// set it refuses, as a full disk would.
type outcomes struct {
	mu   sync.Mutex
	list []Outcome
	fail atomic.Bool
}

func (o *outcomes) record(_ *http.Request, out Outcome) error {
	if o.fail.Load() {
		return errors.New("disk full")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.list = append(o.list, out)
	return nil
}

// take returns the outcomes reported so far and forgets them.
func (o *outcomes) take() []Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.list
	o.list = nil
	return out
}

// only returns the single outcome reported since the last take.
func (e *env) only(kind OutcomeKind) Outcome {
	e.t.Helper()
	got := e.audit.take()
	if len(got) != 1 || got[0].Kind != kind {
		e.t.Fatalf("outcomes %+v, want one of kind %d", got, kind)
	}
	return got[0]
}

func TestLoginAndLogoutOutcomes(t *testing.T) {
	for _, endSession := range []bool{false, true} {
		t.Run(map[bool]string{false: "local logout", true: "RP-initiated logout"}[endSession], func(t *testing.T) {
			e := newEnv(t, func(o *fakeOP) { o.endSession = endSession }, nil)
			e.audit.take()
			token := e.login(e.client, "/")
			login := e.only(LoginSucceeded)
			if p := login.Principal; p == nil || p.Username != "alice@example.com" || p.Realm != "oidc1" || p.RealmType != "oidc" || !slices.Equal(p.Roles, []string{"logs_reader"}) {
				t.Fatalf("login principal: %+v", login.Principal)
			}
			c := noRedirect(e.client)
			e.do(c, "POST", LogoutPath, map[string]string{"kbn-xsrf": "1"})
			out := e.only(LoggedOut)
			if out.Principal == nil || out.Principal.Username != "alice@example.com" || out.Username != "alice@example.com" || out.RPInitiated != endSession {
				t.Fatalf("logout outcome: %+v", out)
			}
			// Again with the dead cookie, then without any.
			_, h := e.withCookie(token)
			e.do(c, "GET", LogoutPath, h)
			if out := e.only(LogoutWithoutSession); !out.HadCookie || out.Principal != nil {
				t.Fatalf("logout with an ended session: %+v", out)
			}
			e.do(noRedirect(newBrowser(t)), "GET", LogoutPath, nil)
			if out := e.only(LogoutWithoutSession); out.HadCookie {
				t.Fatalf("logout without cookie: %+v", out)
			}
		})
	}
}

func TestForgedLogoutIsReportedWithTheUser(t *testing.T) {
	e := newEnv(t, nil, nil)
	token := e.login(e.client, "/")
	e.audit.take()
	r := e.do(noRedirect(e.client), "POST", LogoutPath, map[string]string{"Origin": "https://evil.example"})
	if r.status != http.StatusBadRequest {
		t.Fatalf("forged logout: %d %s", r.status, r.body)
	}
	out := e.only(LogoutForged)
	if out.Username != "alice@example.com" || !strings.Contains(out.Reason, "kbn-xsrf") {
		t.Fatalf("forged logout outcome: %+v", out)
	}
	if !e.alive(token) {
		t.Fatal("a forged logout ended the session")
	}
}

func TestCallbackRefusalsAreReportedWithoutSecrets(t *testing.T) {
	tests := []struct {
		name   string
		op     func(*fakeOP)
		tamper func(q url.Values)
		fresh  bool
		reason string
	}{
		{name: "state of another login", tamper: func(q url.Values) { q.Set("state", "forged") }, reason: "state mismatch"},
		{name: "no login state", fresh: true, reason: "no login in progress"},
		{name: "provider error", tamper: func(q url.Values) { q.Set("error", "access_denied") }, reason: "access_denied"},
		{name: "code not accepted", tamper: func(q url.Values) { q.Set("code", "stolen-canary") }, reason: "code exchange failed"},
		{name: "nonce mismatch", op: func(o *fakeOP) { o.mutateIDToken = func(c map[string]any) { c["nonce"] = "replayed" } }, reason: "nonce"},
		{name: "invalid ID token", op: func(o *fakeOP) { o.mutateIDToken = func(c map[string]any) { c["iss"] = "https://evil" } }, reason: "invalid ID token"},
		{name: "no principal claim", op: func(o *fakeOP) { o.mutateIDToken = func(c map[string]any) { delete(c, "email") } }, reason: "principal"},
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
			code := q.Get("code")
			if tc.tamper != nil {
				tc.tamper(q)
			}
			back.RawQuery = q.Encode()
			if tc.fresh {
				c = noRedirect(newBrowser(t))
			}
			e.audit.take()
			if r := e.do(c, "GET", back.RequestURI(), nil); r.status < 400 {
				t.Fatalf("callback: %d", r.status)
			}
			out := e.only(LoginFailed)
			if !strings.Contains(out.Reason, tc.reason) || out.Principal != nil {
				t.Fatalf("reason %q, want %q (%+v)", out.Reason, tc.reason, out)
			}
			for _, secret := range []string{code, "stolen-canary", q.Get("state")} {
				if secret != "" && secret != "forged" && strings.Contains(out.Reason, secret) {
					t.Fatalf("reason %q contains the secret %q", out.Reason, secret)
				}
			}
		})
	}
}

func TestBackchannelOutcomes(t *testing.T) {
	e := newEnv(t, func(o *fakeOP) { o.sid = "sid-1" }, nil)
	token := e.login(e.client, "/")
	e.audit.take()
	if r := e.postLogout(e.op.logoutToken(nil)); r.status != 200 {
		t.Fatalf("back-channel logout: %d %s", r.status, r.body)
	}
	out := e.only(BackchannelLoggedOut)
	if out.Subject != e.op.subject || out.SID != "sid-1" || out.Username != e.op.subject || out.Principal != nil {
		t.Fatalf("back-channel outcome: %+v", out)
	}
	if e.alive(token) {
		t.Fatal("session alive after back-channel logout")
	}
	// A token whose claims name the user: the principal is reported.
	e.op.sid = "sid-2"
	e.login(newBrowser(t), "/")
	e.audit.take()
	e.postLogout(e.op.logoutToken(func(c map[string]any) { c["email"] = "alice@example.com" }))
	if out := e.only(BackchannelLoggedOut); out.Principal == nil || out.Principal.Username != "alice@example.com" {
		t.Fatalf("back-channel outcome with claims: %+v", out)
	}
	for _, bad := range []string{"", "not-a-jwt", e.op.logoutToken(func(c map[string]any) { c["aud"] = "other" })} {
		e.postLogout(bad)
		if out := e.only(BackchannelRefused); out.Reason == "" || (bad != "" && strings.Contains(out.Reason, bad)) {
			t.Fatalf("refused back-channel outcome: %+v", out)
		}
	}
}

// TestOutcomesFailClosed: when the outcome cannot be recorded, the
// endpoint answers 503 and has no effect.
func TestOutcomesFailClosed(t *testing.T) {
	t.Run("login", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		e.audit.fail.Store(true)
		c := noRedirect(newBrowser(t))
		r := e.do(c, "GET", LoginPath+"?return=/x", nil)
		resp, err := c.Get(r.header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		back, _ := url.Parse(resp.Header.Get("Location"))
		r = e.do(c, "GET", back.RequestURI(), nil)
		if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, `"type":"security_exception"`) {
			t.Fatalf("callback with the audit down: %d %s", r.status, r.body)
		}
		if findSetCookie(r.header, "portcullis_session") != nil {
			t.Fatal("a session cookie was set without its audit record")
		}
	})
	t.Run("logout", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		token := e.login(e.client, "/")
		e.audit.fail.Store(true)
		r := e.do(noRedirect(e.client), "GET", LogoutPath, nil)
		if r.status != http.StatusServiceUnavailable || !e.alive(token) {
			t.Fatalf("logout with the audit down: %d, session alive %v", r.status, e.alive(token))
		}
		if findSetCookie(r.header, "portcullis_session") != nil {
			t.Fatal("the cookie was cleared without the audit record")
		}
	})
	t.Run("back-channel logout", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		token := e.login(e.client, "/")
		e.audit.fail.Store(true)
		if r := e.postLogout(e.op.logoutToken(nil)); r.status != http.StatusServiceUnavailable || !e.alive(token) {
			t.Fatalf("back-channel logout with the audit down: %d, session alive %v", r.status, e.alive(token))
		}
	})
}

// A new login from a browser that still has a session ends that session:
// it is reported as the old session user's logout before it is deleted,
// and with the audit trail down the old session survives (fail closed).
func TestLoginStartReportsTheReplacedSession(t *testing.T) {
	e := newEnv(t, nil, nil)
	old := e.login(e.client, "/")
	e.audit.take()
	e.audit.fail.Store(true)
	c := noRedirect(e.client)
	if r := e.do(c, "GET", LoginPath+"?return=/", nil); r.status != http.StatusServiceUnavailable || !e.alive(old) {
		t.Fatalf("login start with the audit down: %d, old session alive %v", r.status, e.alive(old))
	}
	e.audit.fail.Store(false)
	e.audit.take()
	if r := e.do(c, "GET", LoginPath+"?return=/", nil); r.status != http.StatusFound && r.status != http.StatusSeeOther {
		t.Fatalf("login start: %d %s", r.status, r.body)
	}
	out := e.only(LoggedOut)
	if out.Username != "alice@example.com" || out.RPInitiated {
		t.Fatalf("replaced session outcome: %+v", out)
	}
	if e.alive(old) {
		t.Fatal("the replaced session is still alive")
	}
}
