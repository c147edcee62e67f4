package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/apikey"
	"github.com/portcullis-proxy/portcullis/internal/authn/profile"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// tokenAuthn stands in for the bearer authenticators: it knows a few
// tokens and the principals they stand for.
type tokenAuthn map[string]*authn.Principal

func (t tokenAuthn) Authenticate(r *http.Request) (*authn.Principal, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, authn.ErrNoCredentials
	}
	if p := t[tok]; p != nil {
		cp := *p
		return &cp, nil
	}
	return nil, &authn.AuthError{Reason: "unknown token"}
}

// cookieAuthn stands in for the session authenticator: the cookie
// sid=kibana-session is the user kibana.
type cookieAuthn struct{ p *authn.Principal }

func (c cookieAuthn) Authenticate(r *http.Request) (*authn.Principal, error) {
	if ck, err := r.Cookie("sid"); err == nil && ck.Value == "kibana-session" {
		cp := *c.p
		return &cp, nil
	}
	return nil, authn.ErrNoCredentials
}

// grantTest is a chain with the real file realm (Basic), API keys and a
// bearer stand-in, the way serve wires them, over a fresh key store.
type grantTest struct {
	store     *apikey.FileStore
	profiles  *profile.FileStore
	log       *memoryLog
	forwarded *atomic.Int32
	handler   http.Handler
}

func newGrantTest(t *testing.T) *grantTest {
	t.Helper()
	dir := t.TempDir()
	hash, err := authn.HashPassword("pw-"+t.Name(), 4)
	if err != nil {
		t.Fatal(err)
	}
	users := ""
	for _, u := range []string{"kibana", "kibsys", "alice", "bob", "ownkeys", "profadmin"} {
		users += u + ":" + hash + "\n"
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	realm, err := authn.NewFileRealm(authn.FileRealmOptions{
		UsersPath:      write("users", users),
		UsersRolesPath: write("users_roles", "granter:kibana\nkibana_system:kibsys\nlogs_reader:alice\nnobody:bob\nown:ownkeys\nprofiles:profadmin\n"),
		Logger:         zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
granter:
  cluster: [grant_api_key]
logs_reader:
  indices:
    - names: [logs-*]
      privileges: [read]
nobody:
  cluster: [monitor]
own:
  cluster: [manage_own_api_key]
profiles:
  cluster: [manage_user_profile]
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	store, err := apikey.OpenFileStore(filepath.Join(dir, "keys.json"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := profile.Open(filepath.Join(dir, "profiles.json"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	gt := &grantTest{store: store, profiles: profiles, log: &memoryLog{}, forwarded: &atomic.Int32{}}
	trail, err := audit.NewWithLog(audit.Config{}, gt.log, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bearer := tokenAuthn{
		"alice-token":   {Username: "alice", Realm: "oidc1", RealmType: "oidc", Roles: []string{"logs_reader"}},
		"service-token": {Username: "elastic/fleet-server", Realm: authn.ServiceAccountRealm, RealmType: authn.ServiceAccountRealm, Roles: []string{"elastic/fleet-server"}, ServiceToken: &authn.ServiceTokenRef{Name: "t1"}},
	}
	session := cookieAuthn{&authn.Principal{Username: "kibana", Realm: "oidc1", RealmType: "oidc", Roles: []string{"granter"}}}
	chain := authn.Chain{session, apikey.NewAuthenticator(store), authn.NewBasicAuthenticator(realm, authn.BasicOptions{}), bearer}
	s := chainServer(t, Options{Authenticator: chain, Authorizer: authz.NewEvaluator(rs), Auditor: trail, APIKeys: store, Profiles: profiles,
		Upstream: httpHandlerFunc(func() { gt.forwarded.Add(1) })})
	gt.handler = s.Handler()
	return gt
}

// do sends one request with an Authorization header.
func (g *grantTest) do(t *testing.T, auth, method, target, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if c, ok := strings.CutPrefix(auth, "Cookie "); ok {
		req.Header.Set("Cookie", c)
	} else {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	g.handler.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func basicAuth(t *testing.T, user string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":pw-"+t.Name()))
}

// TestGrantAPIKey: POST /_security/api_key/grant creates a key for the
// user whose credentials the body carries (Kibana's alerting rules), never
// for the caller; the key is limited by that user's roles; wrong
// credentials, service account tokens and callers without grant_api_key
// get nothing; each grant is audited with who was granted, never the secret.
func TestGrantAPIKey(t *testing.T) {
	g := newGrantTest(t)
	kibana := basicAuth(t, "kibana")
	grantBody := func(cred string) string {
		return `{` + cred + `,"api_key":{"name":"rule-1","role_descriptors":{}}}`
	}
	// The whole password, not its "pw-" prefix: a random request id can
	// hold "pw-" (CI failed on rBkomFsFpw-yVvs0P7rkvw).
	secret := "pw-" + t.Name()
	alicePassword := `"grant_type":"password","username":"alice","password":"` + secret + `"`

	code, body := g.do(t, kibana, "POST", "/_security/api_key/grant", grantBody(alicePassword))
	var created struct{ ID, Encoded string }
	if code != 200 || json.Unmarshal([]byte(body), &created) != nil || created.Encoded == "" {
		t.Fatalf("grant for alice: %d %s", code, body)
	}
	keys := g.store.Find(apikey.Filter{IDs: []string{created.ID}})
	if len(keys) != 1 || keys[0].Username != "alice" || keys[0].Realm != "default_file" || strings.Join(keys[0].OwnerRoles, ",") != "logs_reader" {
		t.Fatalf("granted key: %+v", keys)
	}
	key := "ApiKey " + created.Encoded
	if code, body := g.do(t, key, "GET", "/logs-web/_search", ""); code != 200 {
		t.Fatalf("alice's granted key searching logs-web: %d %s", code, body)
	}
	before := g.forwarded.Load()
	if code, _ := g.do(t, key, "GET", "/secrets/_search", ""); code != 403 || g.forwarded.Load() != before {
		t.Fatalf("alice's granted key reached an index alice may not read: %d", code)
	}
	if code, _ := g.do(t, key, "POST", "/_security/api_key/grant", grantBody(alicePassword)); code != 403 {
		t.Fatalf("a granted key may not grant keys (its owner has no grant_api_key): %d", code)
	}

	ev := g.lastEvent(t, audit.TypeSecurityConfigChange, "create_apikey")
	raw, _ := json.Marshal(ev.Change)
	if ev.UserName != "kibana" || !strings.Contains(string(raw), `"grant":{"type":"password","user":{"name":"alice","has_password":true}}`) {
		t.Fatalf("create_apikey event of the grant: user %q, change %s", ev.UserName, raw)
	}

	// An access token (a JWT of the OIDC realm, here a stand-in).
	code, body = g.do(t, kibana, "POST", "/_security/api_key/grant", grantBody(`"grant_type":"access_token","access_token":"alice-token"`))
	if code != 200 || !strings.Contains(body, `"encoded"`) {
		t.Fatalf("grant with alice's access token: %d %s", code, body)
	}
	if keys := g.store.Find(apikey.Filter{Username: "alice", RealmName: "oidc1"}); len(keys) != 1 {
		t.Fatalf("key granted by access token: %+v", keys)
	}

	refused := []struct {
		name, auth, body string
		status           int
	}{
		{"wrong password", kibana, grantBody(`"grant_type":"password","username":"alice","password":"nope"`), 401},
		{"unknown user", kibana, grantBody(`"grant_type":"password","username":"mallory","password":"x"`), 401},
		{"unknown token", kibana, grantBody(`"grant_type":"access_token","access_token":"forged"`), 401},
		// The caller's own credentials never stand in for the grant's.
		{"caller by session, forged token", "Cookie sid=kibana-session", grantBody(`"grant_type":"access_token","access_token":"forged"`), 401},
		{"caller by session, wrong password", "Cookie sid=kibana-session", grantBody(`"grant_type":"password","username":"alice","password":"nope"`), 401},
		{"service account token", kibana, grantBody(`"grant_type":"access_token","access_token":"service-token"`), 401},
		{"an API key as the token", kibana, grantBody(`"grant_type":"access_token","access_token":"` + created.Encoded + `"`), 401},
		{"caller without grant_api_key", basicAuth(t, "bob"), grantBody(alicePassword), 403},
		{"manage_own_api_key does not grant", basicAuth(t, "ownkeys"), grantBody(alicePassword), 403},
		{"no grant type", kibana, grantBody(`"username":"alice","password":"x"`), 400},
		{"token with a password grant", kibana, grantBody(`"grant_type":"password","username":"alice","password":"x","access_token":"alice-token"`), 400},
		{"run_as", kibana, grantBody(alicePassword + `,"run_as":"kibana"`), 400},
		{"unknown field", kibana, grantBody(alicePassword + `,"Password":"x"`), 400},
		{"unknown api_key field", kibana, `{` + alicePassword + `,"api_key":{"name":"k","Role_descriptors":{}}}`, 400},
		{"no api_key", kibana, `{` + alicePassword + `}`, 400},
		{"no key name", kibana, `{` + alicePassword + `,"api_key":{}}`, 400},
	}
	for _, tc := range refused {
		before, keysBefore := g.forwarded.Load(), len(g.store.Find(apikey.Filter{}))
		code, body := g.do(t, tc.auth, "POST", "/_security/api_key/grant", tc.body)
		if code != tc.status || g.forwarded.Load() != before || len(g.store.Find(apikey.Filter{})) != keysBefore {
			t.Errorf("%s: %d %s (want %d, nothing forwarded, no key)", tc.name, code, body, tc.status)
		}
		if strings.Contains(body, secret) || strings.Contains(body, "alice-token") {
			t.Errorf("%s: the answer repeats a credential: %s", tc.name, body)
		}
	}
	failed := g.lastEvent(t, audit.TypeTransport, audit.AuthenticationFailed)
	if failed.RequestID == "" || failed.Action != apiKeyGrantAction {
		t.Fatalf("authentication_failed of a grant: %+v", failed)
	}
	for _, e := range g.log.events {
		if raw, _ := json.Marshal(e); strings.Contains(string(raw), secret) || strings.Contains(string(raw), "alice-token") {
			t.Fatalf("an audit event holds a grant's secret: %s", raw)
		}
	}
	wrongPassword := false
	for _, e := range g.log.events {
		wrongPassword = wrongPassword || e.EventAction == audit.AuthenticationFailed && e.UserName == "alice"
	}
	if !wrongPassword {
		t.Fatal("the wrong password of alice's grant was not audited as authentication_failed of alice")
	}
}

// lastEvent returns the last event of that type and action.
func (g *grantTest) lastEvent(t *testing.T, typ, action string) *audit.Event {
	t.Helper()
	g.log.mu.Lock()
	defer g.log.mu.Unlock()
	for i := len(g.log.events) - 1; i >= 0; i-- {
		if e := g.log.events[i]; e.EventType == typ && e.EventAction == action {
			return e
		}
	}
	t.Fatalf("no %s %s event", typ, action)
	return nil
}
