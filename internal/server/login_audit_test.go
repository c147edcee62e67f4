package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/oidcweb"
	"github.com/portcullis-proxy/portcullis/internal/authn/session"
)

// loginCanary is put where a secret travels (codes, tokens): it must never
// reach the audit file.
const loginCanary = "canary-7f3a9c"

// readersMapper gives logs_reader to everyone.
type readersMapper struct{}

func (readersMapper) Map(*authn.Principal) []string { return []string{"logs_reader"} }

// loginSite is the proxy with a real browser login (whose provider is
// unreachable: no login completes) and a real audit trail.
type loginSite struct {
	handler   http.Handler
	sessions  *session.Manager
	login     *oidcweb.Service
	auditFile string
}

func newLoginSite(t *testing.T, au func(file string) Auditor) *loginSite {
	t.Helper()
	keys, _ := session.NewKeyring([][]byte{bytes.Repeat([]byte{2}, 32)}, "session")
	stateKeys, _ := session.NewKeyring([][]byte{bytes.Repeat([]byte{3}, 32)}, "login-state")
	sessions, err := session.NewManager(session.Options{Backend: session.NewMemory(time.Now), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	claims, _ := authn.NewClaimMapping(authn.ClaimOptions{RealmName: "oidc1", RealmType: "oidc", ClaimPrincipal: "email"})
	login, err := oidcweb.New(context.Background(), oidcweb.Options{
		Issuer: "http://127.0.0.1:1", ClientID: "portcullis", RedirectURL: "http://proxy.test" + oidcweb.CallbackPath,
		Claims: claims, RoleMapper: readersMapper{}, Sessions: sessions, StateKeys: stateKeys,
		HTTPClient: &http.Client{Timeout: time.Second}, DiscoveryRetry: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "audit.json")
	s, err := New(Options{
		MaxBodyBytes: 1 << 20, Log: zap.NewNop(), Authenticator: login, Authorizer: fakeAuthz{true}, Auditor: au(file),
		Upstream: http.NotFoundHandler(), Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler(), Login: login,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &loginSite{handler: s.Handler(), sessions: sessions, login: login, auditFile: file}
}

// fileTrail is a real audit trail writing to file with the given include.
func fileTrail(t *testing.T, include []string) func(string) Auditor {
	return func(file string) Auditor {
		tr, err := audit.New(audit.Config{File: file, NodeID: "n1", Include: include}, audit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		return tr
	}
}

// newSession stores a live session of alice and returns its cookie value.
func (ls *loginSite) newSession(t *testing.T) string {
	t.Helper()
	now := time.Now()
	token, _, err := ls.sessions.Create(context.Background(), session.Data{
		Issuer: "http://127.0.0.1:1", Subject: "sub-alice", SID: "sid-1", Username: "alice@example.com",
		Claims:  json.RawMessage(`{"email":"alice@example.com","sub":"sub-alice"}`),
		IDToken: loginCanary + "-id-token", TokenExpiry: now.Add(time.Hour), TokensIssuedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func (ls *loginSite) serve(method, target, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.7:5555"
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	ls.handler.ServeHTTP(rec, req)
	return rec
}

// auditRecords reads the audit file's records (and checks that no secret
// reached it).
func (ls *loginSite) auditRecords(t *testing.T) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(ls.auditFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(loginCanary)) {
		t.Fatalf("a secret reached the audit file:\n%s", raw)
	}
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("audit line %s: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

func TestLoginEndpointsAreAudited(t *testing.T) {
	xsrf := map[string]string{"kbn-xsrf": "1"}
	tests := []struct {
		name    string
		method  string
		target  string
		body    string
		cookie  string // "live", "dead" or ""
		header  map[string]string
		code    int
		want    map[string]any // fields of the one event
		noField []string
	}{
		{name: "callback without a login in progress", method: "GET",
			target: oidcweb.CallbackPath + "?code=" + loginCanary + "&state=" + loginCanary + "&session_state=x", code: 400,
			want:    map[string]any{"event.type": "rest", "event.action": "authentication_failed", "url.path": oidcweb.CallbackPath, "url.query": "session_state=x", "request.method": "GET"},
			noField: []string{"user.name"}},
		{name: "callback with a provider error", method: "GET", target: oidcweb.CallbackPath + "?error=access_denied&state=" + loginCanary, code: 400,
			want: map[string]any{"event.action": "authentication_failed", "url.query": "error=access_denied"}},
		{name: "invalid logout token", method: "POST", target: oidcweb.BackchannelPath, body: "logout_token=" + loginCanary,
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, code: 400,
			want: map[string]any{"event.type": "rest", "event.action": "authentication_failed", "url.path": oidcweb.BackchannelPath, "request.method": "POST"}, noField: []string{"request.body"}},
		{name: "logout without a session", method: "GET", target: oidcweb.LogoutPath, code: 302,
			want: map[string]any{"event.type": "rest", "event.action": "anonymous_access_denied", "url.path": oidcweb.LogoutPath}, noField: []string{"user.name"}},
		{name: "logout with an ended session", method: "GET", target: oidcweb.LogoutPath, cookie: "dead", code: 302,
			want: map[string]any{"event.type": "rest", "event.action": "authentication_failed"}, noField: []string{"user.name"}},
		{name: "logout", method: "POST", target: oidcweb.LogoutPath, cookie: "live", header: xsrf, code: 302,
			want: map[string]any{"event.type": "transport", "event.action": "access_granted", "action": "cluster:admin/xpack/security/oidc/logout",
				"request.name": "OpenIdConnectLogoutRequest", "user.name": "alice@example.com", "user.realm": "oidc1", "authentication.type": "REALM",
				"user.roles": []any{"logs_reader"}, "url.path": oidcweb.LogoutPath, "request.method": "POST"}},
		{name: "forged logout", method: "POST", target: oidcweb.LogoutPath, cookie: "live", header: map[string]string{"Origin": "https://evil.example"}, code: 400,
			want: map[string]any{"event.type": "rest", "event.action": "tampered_request", "user.name": "alice@example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ls := newLoginSite(t, fileTrail(t, nil))
			header := map[string]string{}
			for k, v := range tc.header {
				header[k] = v
			}
			switch tc.cookie {
			case "live":
				header["Cookie"] = ls.login.CookieName() + "=" + ls.newSession(t)
			case "dead":
				header["Cookie"] = ls.login.CookieName() + "=" + loginCanary
			}
			rec := ls.serve(tc.method, tc.target, tc.body, header)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			evs := ls.auditRecords(t)
			if len(evs) != 1 {
				t.Fatalf("%d audit records, want 1: %v", len(evs), evs)
			}
			ev := evs[0]
			want := map[string]any{"origin.type": "rest", "origin.address": "192.0.2.7:5555", "request.id": rec.Header().Get(RequestIDHeader)}
			for k, v := range tc.want {
				want[k] = v
			}
			for k, v := range want {
				if got, _ := json.Marshal(ev[k]); string(got) != mustJSON(v) {
					t.Errorf("%s = %s, want %s", k, got, mustJSON(v))
				}
			}
			for _, k := range tc.noField {
				if _, ok := ev[k]; ok {
					t.Errorf("unexpected %s: %v", k, ev[k])
				}
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestLoginSuccessEvents: a successful callback yields access_granted with
// the oidc/authenticate action, and authentication_success only when the
// include filter asks for it (off by default, as in Elasticsearch).
func TestLoginSuccessEvents(t *testing.T) {
	alice := &authn.Principal{Username: "alice@example.com", Realm: "oidc1", RealmType: "oidc", Roles: []string{"logs_reader"}}
	for _, tc := range []struct {
		include []string
		actions []string
	}{
		{nil, []string{"access_granted"}},
		{[]string{"_all"}, []string{"authentication_success", "access_granted"}},
	} {
		t.Run(strings.Join(tc.include, ","), func(t *testing.T) {
			ls := &loginSite{auditFile: filepath.Join(t.TempDir(), "audit.json")}
			rec := loginRecorder(fileTrail(t, tc.include)(ls.auditFile))
			req := httptest.NewRequest("GET", oidcweb.CallbackPath+"?code="+loginCanary+"&state="+loginCanary, nil)
			st := &requestState{ID: "req-1", log: zap.NewNop(), Decision: "allow"}
			if err := rec(withState(req, st), oidcweb.Outcome{Kind: oidcweb.LoginSucceeded, Principal: alice}); err != nil {
				t.Fatal(err)
			}
			evs := ls.auditRecords(t)
			var actions []string
			for _, ev := range evs {
				actions = append(actions, ev["event.action"].(string))
				if ev["user.name"] != "alice@example.com" || ev["user.realm"] != "oidc1" || ev["request.id"] != "req-1" || ev["url.path"] != oidcweb.CallbackPath {
					t.Errorf("event %v", ev)
				}
				if _, ok := ev["url.query"]; ok {
					t.Errorf("callback query audited: %v", ev["url.query"])
				}
				switch ev["event.action"] {
				case "authentication_success":
					if ev["realm"] != "oidc1" || ev["event.type"] != "rest" || ev["authentication.type"] != "REALM" {
						t.Errorf("authentication_success %v", ev)
					}
				case "access_granted":
					if ev["action"] != oidcAuthenticateAction || ev["request.name"] != oidcAuthenticateRequest || mustJSON(ev["user.roles"]) != `["logs_reader"]` {
						t.Errorf("access_granted %v", ev)
					}
				}
			}
			if !slices.Equal(actions, tc.actions) {
				t.Fatalf("actions %v, want %v", actions, tc.actions)
			}
		})
	}
}

func TestBackchannelEventNamesSubjectAndSID(t *testing.T) {
	ls := &loginSite{auditFile: filepath.Join(t.TempDir(), "audit.json")}
	rec := loginRecorder(fileTrail(t, nil)(ls.auditFile))
	req := httptest.NewRequest("POST", oidcweb.BackchannelPath, strings.NewReader("logout_token="+loginCanary))
	st := &requestState{ID: "req-2", log: zap.NewNop()}
	out := oidcweb.Outcome{Kind: oidcweb.BackchannelLoggedOut, Username: "sub-alice", Subject: "sub-alice", SID: "sid 1"}
	if err := rec(withState(req, st), out); err != nil {
		t.Fatal(err)
	}
	evs := ls.auditRecords(t)
	want := url.Values{"sub": {"sub-alice"}, "sid": {"sid 1"}}.Encode()
	if len(evs) != 1 || evs[0]["event.action"] != "access_granted" || evs[0]["action"] != oidcLogoutAction ||
		evs[0]["user.name"] != "sub-alice" || evs[0]["url.query"] != want {
		t.Fatalf("back-channel events: %v", evs)
	}
}

// TestLoginEndpointsFailClosed: when the audit trail cannot be written, a
// logout answers the proxy's 503 and leaves the session alive.
func TestLoginEndpointsFailClosed(t *testing.T) {
	ls := newLoginSite(t, func(string) Auditor { return &fakeAuditor{fail: true} })
	token := ls.newSession(t)
	rec := ls.serve("GET", oidcweb.LogoutPath, "", map[string]string{"Cookie": ls.login.CookieName() + "=" + token})
	var body struct {
		Error struct{ Type, Reason string }
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != http.StatusServiceUnavailable || body.Error.Type != "security_exception" || !strings.Contains(body.Error.Reason, "audit trail") {
		t.Fatalf("logout with the audit down: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get(RequestIDHeader) == "" || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("headers: %v", rec.Header())
	}
	if _, err := ls.sessions.Load(context.Background(), token); err != nil {
		t.Fatalf("session ended without its audit record: %v", err)
	}
	if rec := ls.serve("GET", oidcweb.CallbackPath+"?code=x&state=y", "", nil); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("callback with the audit down: %d %s", rec.Code, rec.Body)
	}
}
