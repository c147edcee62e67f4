package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
)

// userAPIFixture serves the chain with a native realm behind the user API.
type userAPIFixture struct {
	t         *testing.T
	realm     *authn.NativeRealm
	log       *failingLog
	forwarded atomic.Int32
	opts      Options
}

func newUserAPIFixture(t *testing.T) *userAPIFixture {
	t.Helper()
	docs, err := jsonfile.OpenDocs(filepath.Join(t.TempDir(), "native_users.json"), "users", func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	realm, err := authn.NewNativeRealm(authn.NativeRealmOptions{Docs: docs, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	rs, probs := authz.ParseRoles("roles.yml", []byte("reader:\n  cluster: [monitor]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	f := &userAPIFixture{t: t, realm: realm, log: &failingLog{}}
	trail, err := audit.NewWithLog(audit.Config{}, f.log, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	frank := &authn.Principal{Username: "frank", Realm: "default_file", RealmType: "file", Roles: []string{}}
	f.opts = Options{Authorizer: authz.NewEvaluator(rs), Auditor: trail, Users: realm, RunAs: lookupTable{"frank": frank},
		Upstream: httpHandlerFunc(func() { f.forwarded.Add(1) })}
	return f
}

func (f *userAPIFixture) serve(p *authn.Principal, method, target, body string) (int, string) {
	f.t.Helper()
	o := f.opts
	o.Authenticator = fakeAuthn{p: p}
	s := chainServer(f.t, o)
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (f *userAPIFixture) loginOK(user, pw string) bool {
	_, err := f.realm.Authenticate(context.Background(), user, pw)
	return err == nil
}

var (
	userAdmin  = &authn.Principal{Username: "admin", Realm: "default_file", RealmType: "file", Roles: []string{"superuser"}}
	nativeDave = &authn.Principal{Username: "dave", Realm: "default_native", RealmType: "native", Roles: []string{"reader"}}
)

// TestUserAPI: the proxy answers the user API from the native realm and
// never forwards it; a user changes only their own password, and only as
// a native user; nothing changes without its audit record; no answer and
// no audit record holds a password or a hash.
func TestUserAPI(t *testing.T) {
	f := newUserAPIFixture(t)
	const davePass, newPass, erinPass = "dave-pass-1", "dave-pass-2", "erin-pass-1"

	if code, body := f.serve(userAdmin, "PUT", "/_security/user/dave", `{"password":"`+davePass+`","roles":["reader"],"full_name":"Dave","metadata":{"team":"x"}}`); code != 200 || body != `{"created":true}` {
		t.Fatalf("creating dave: %d %s", code, body)
	}
	if !f.loginOK("dave", davePass) {
		t.Fatal("dave cannot log in")
	}
	// An update without a password keeps the hash.
	if code, body := f.serve(userAdmin, "POST", "/_security/user/dave", `{"roles":["reader","other"],"full_name":"Dave","email":"d@example.com"}`); code != 200 || body != `{"created":false}` {
		t.Fatalf("updating dave: %d %s", code, body)
	}
	if !f.loginOK("dave", davePass) {
		t.Fatal("dave lost his password with an update that did not name one")
	}
	erinHash, err := authn.HashPassword(erinPass, 4)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := f.serve(userAdmin, "PUT", "/_security/user/erin", `{"password_hash":"`+erinHash+`","roles":[],"enabled":true}`); code != 200 || !f.loginOK("erin", erinPass) {
		t.Fatalf("creating erin with a hash: %d %s", code, body)
	}

	code, body := f.serve(userAdmin, "GET", "/_security/user", "")
	var all map[string]map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &all) != nil || len(all) != 2 {
		t.Fatalf("listing users: %d %s", code, body)
	}
	if d := all["dave"]; d["username"] != "dave" || d["email"] != "d@example.com" || d["enabled"] != true || all["erin"]["full_name"] != nil {
		t.Fatalf("listing users: %s", body)
	}
	for _, target := range []string{"/_security/user", "/_security/user/dave", "/_security/user/dave,nobody"} {
		code, body := f.serve(userAdmin, "GET", target, "")
		if code != 200 || strings.Contains(body, "$2a$") || strings.Contains(body, "password") || strings.Contains(body, davePass) {
			t.Fatalf("%s: %d %s", target, code, body)
		}
	}
	if code, body := f.serve(userAdmin, "GET", "/_security/user/nobody", ""); code != 404 || body != "{}" {
		t.Fatalf("an unknown user: %d %s", code, body)
	}

	for _, tc := range []struct {
		name, target, body, want string
	}{
		{"reserved", "/_security/user/elastic", `{"password":"abcdef","roles":[]}`, "is reserved"},
		{"reserved kibana_system", "/_security/user/kibana_system", `{"password":"abcdef","roles":[]}`, "is reserved"},
		{"short password", "/_security/user/zed", `{"password":"abcde","roles":[]}`, "at least [6] characters"},
		{"both", "/_security/user/zed", `{"password":"abcdef","password_hash":"` + erinHash + `","roles":[]}`, "only one of"},
		{"not bcrypt", "/_security/user/zed", `{"password_hash":"{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=","roles":[]}`, "bcrypt"},
		// A cost-30 hash would make each login attempt under the name cost hours of CPU.
		{"bcrypt cost too high", "/_security/user/zed", `{"password_hash":"$2a$30$` + erinHash[7:] + `","roles":[]}`, "bcrypt"},
		{"unknown field", "/_security/user/zed", `{"password":"abcdef","roles":[],"bogus":1}`, "bogus"},
		// Elasticsearch's parser is case-sensitive; encoding/json alone would
		// take these for "password" (and the audit for something else).
		{"folded field name", "/_security/user/zed", "{\"pa\u017f\u017fword\":\"abcdef\",\"roles\":[]}", "unknown field"},
		{"upper-case field name", "/_security/user/zed", `{"PASSWORD":"abcdef","roles":[]}`, "unknown field"},
		{"no roles", "/_security/user/zed", `{"password":"abcdef"}`, "roles are missing"},
		{"reserved metadata", "/_security/user/zed", `{"password":"abcdef","roles":[],"metadata":{"_x":1}}`, "may not start with [_]"},
		{"new without password", "/_security/user/zed", `{"roles":[]}`, "password must be specified unless you are updating an existing user"},
		{"bad name", "/_security/user/%20zed", `{"password":"abcdef","roles":[]}`, "invalid username"},
	} {
		code, body := f.serve(userAdmin, "PUT", tc.target, tc.body)
		if code != 400 || !strings.Contains(body, tc.want) || strings.Contains(body, "abcdef") {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	if got := f.realm.Users([]string{"zed", "elastic", "kibana_system"}); len(got) != 0 {
		t.Fatalf("refused users were stored: %+v", got)
	}

	// A native user may not give themself a hash whose every check costs
	// hours (a login DoS against their own name).
	if code, body := f.serve(nativeDave, "PUT", "/_security/user/_password", `{"password_hash":"$2a$30$`+erinHash[7:]+`"}`); code != 400 || !strings.Contains(body, "bcrypt") {
		t.Fatalf("dave setting a cost-30 hash: %d %s", code, body)
	}
	// Passwords: one's own, as a native user; another's only with manage_security.
	if code, body := f.serve(nativeDave, "POST", "/_security/user/_password", `{"password":"`+newPass+`"}`); code != 200 || body != "{}" {
		t.Fatalf("dave changing his password: %d %s", code, body)
	}
	if f.loginOK("dave", davePass) || !f.loginOK("dave", newPass) {
		t.Fatal("the password change did not take effect")
	}
	if code, body := f.serve(nativeDave, "PUT", "/_security/user/dave/_password", `{"password":"`+davePass+`"}`); code != 200 || !f.loginOK("dave", davePass) {
		t.Fatalf("dave changing his password by name: %d %s", code, body)
	}
	oidcDave := &authn.Principal{Username: "dave", Realm: "oidc1", RealmType: "oidc", Roles: []string{"reader"}}
	keyDave := &authn.Principal{Username: "dave", Realm: authn.APIKeyRealm, RealmType: authn.APIKeyRealm, Roles: []string{"reader"}, APIKey: &authn.APIKeyRef{ID: "k", Name: "k"}}
	for _, tc := range []struct {
		name   string
		p      *authn.Principal
		method string
		target string
		body   string
	}{
		{"another's password", nativeDave, "PUT", "/_security/user/erin/_password", `{"password":"hijacked"}`},
		{"create a user", nativeDave, "PUT", "/_security/user/mallory", `{"password":"hijacked","roles":["superuser"]}`},
		{"own roles", nativeDave, "PUT", "/_security/user/dave", `{"roles":["superuser"]}`},
		{"disable another", nativeDave, "PUT", "/_security/user/erin/_disable", ""},
		{"delete another", nativeDave, "DELETE", "/_security/user/erin", ""},
		{"list users", nativeDave, "GET", "/_security/user", ""},
		{"an OIDC user named dave", oidcDave, "PUT", "/_security/user/_password", `{"password":"hijacked"}`},
		{"an OIDC user named dave, by name", oidcDave, "PUT", "/_security/user/dave/_password", `{"password":"hijacked"}`},
		{"dave's API key", keyDave, "PUT", "/_security/user/_password", `{"password":"hijacked"}`},
	} {
		if code, body := f.serve(tc.p, tc.method, tc.target, tc.body); code != 403 {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	if !f.loginOK("dave", davePass) || !f.loginOK("erin", erinPass) || len(f.realm.Users([]string{"mallory"})) != 0 {
		t.Fatal("a refused change took effect")
	}
	for _, tc := range []struct {
		name, target, body string
		want               int
	}{
		{"a file user", "/_security/user/frank/_password", `{"password":"abcdefg"}`, 400},
		{"a reserved user", "/_security/user/elastic/_password", `{"password":"abcdefg"}`, 400},
		{"an unknown user", "/_security/user/nobody/_password", `{"password":"abcdefg"}`, 404},
		{"no password", "/_security/user/erin/_password", `{}`, 400},
		{"a short one", "/_security/user/erin/_password", `{"password":"abc"}`, 400},
		{"a file user's status", "/_security/user/frank/_disable", "", 400},
		{"an unknown user's status", "/_security/user/nobody/_enable", "", 404},
		{"one's own status", "/_security/user/admin/_disable", "", 400},
	} {
		if code, body := f.serve(userAdmin, "PUT", tc.target, tc.body); code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.want)
		}
	}

	// Enable, disable.
	if code, body := f.serve(userAdmin, "PUT", "/_security/user/dave/_disable", ""); code != 200 || f.loginOK("dave", davePass) {
		t.Fatalf("disabling dave: %d %s", code, body)
	}
	if code, body := f.serve(userAdmin, "POST", "/_security/user/dave/_enable", ""); code != 200 || !f.loginOK("dave", davePass) {
		t.Fatalf("enabling dave: %d %s", code, body)
	}

	// Nothing changes without its audit record.
	f.log.broken.Store(true)
	for _, tc := range []struct{ method, target, body string }{
		{"PUT", "/_security/user/unaudited", `{"password":"abcdefg","roles":[]}`},
		{"PUT", "/_security/user/dave/_password", `{"password":"unaudited"}`},
		{"PUT", "/_security/user/dave/_disable", ""},
		{"DELETE", "/_security/user/erin", ""},
	} {
		if code, body := f.serve(userAdmin, tc.method, tc.target, tc.body); code != 503 {
			t.Errorf("%s %s without audit: %d %s", tc.method, tc.target, code, body)
		}
	}
	f.log.broken.Store(false)
	if len(f.realm.Users([]string{"unaudited"})) != 0 || !f.loginOK("dave", davePass) || !f.loginOK("erin", erinPass) {
		t.Fatal("a change happened without its audit record")
	}

	if code, body := f.serve(userAdmin, "DELETE", "/_security/user/dave", ""); code != 200 || body != `{"found":true}` || f.loginOK("dave", davePass) {
		t.Fatalf("deleting dave: %d %s", code, body)
	}
	if code, body := f.serve(userAdmin, "DELETE", "/_security/user/dave", ""); code != 404 || body != `{"found":false}` {
		t.Fatalf("deleting dave again: %d %s", code, body)
	}
	if code, body := f.serve(userAdmin, "DELETE", "/_security/user/elastic", ""); code != 400 {
		t.Fatalf("deleting elastic: %d %s", code, body)
	}
	if n := f.forwarded.Load(); n != 0 {
		t.Fatalf("%d user API requests reached the cluster", n)
	}

	var changes []string
	for _, ev := range f.log.events {
		raw, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{davePass, newPass, erinPass, "abcdefg", "$2a$"} {
			if strings.Contains(string(raw), secret) {
				t.Fatalf("an audit event holds %q: %s", secret, raw)
			}
		}
		if ev.EventType == audit.TypeSecurityConfigChange {
			changes = append(changes, ev.EventAction)
		}
	}
	want := "put_user,put_user,put_user,change_password,change_password,change_disable_user,change_enable_user,delete_user,delete_user"
	if strings.Join(changes, ",") != want {
		t.Fatalf("config change events:\n got %v\nwant %s", changes, want)
	}
}

// TestUserAPIOff: without a store the user API is refused, never
// forwarded.
func TestUserAPIOff(t *testing.T) {
	f := newUserAPIFixture(t)
	f.opts.Users = nil
	for _, tc := range []struct{ method, target, body string }{
		{"PUT", "/_security/user/dave", `{"password":"abcdefg","roles":[]}`},
		{"GET", "/_security/user", ""},
		{"PUT", "/_security/user/_password", `{"password":"abcdefg"}`},
	} {
		p := userAdmin
		if strings.Contains(tc.target, "_password") {
			p = nativeDave
		}
		if code, body := f.serve(p, tc.method, tc.target, tc.body); code != 400 || !strings.Contains(body, "user API is not enabled") {
			t.Errorf("%s %s: %d %s", tc.method, tc.target, code, body)
		}
	}
	if n := f.forwarded.Load(); n != 0 {
		t.Fatalf("%d requests reached the cluster", n)
	}
}

// TestUserAPIReservesTheAnonymousName: with anonymous access on, its user
// name cannot be taken by a native user (the audit could not tell them
// apart), as in Elasticsearch.
func TestUserAPIReservesTheAnonymousName(t *testing.T) {
	f := newUserAPIFixture(t)
	f.opts.Anonymous = authn.NewAnonymous("guest", []string{"reader"}, true)
	if code, body := f.serve(userAdmin, "PUT", "/_security/user/guest", `{"password":"abcdef","roles":[]}`); code != 400 || !strings.Contains(body, "is reserved") {
		t.Fatalf("creating the anonymous user's name: %d %s", code, body)
	}
	if code, body := f.serve(userAdmin, "PUT", "/_security/user/guest2", `{"password":"abcdef","roles":[]}`); code != 200 {
		t.Fatalf("another name: %d %s", code, body)
	}
}
