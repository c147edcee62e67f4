package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// lookupTable is a RunAsLookup over fixed users.
type lookupTable map[string]*authn.Principal

func (l lookupTable) Lookup(name string) (*authn.Principal, bool) {
	p, ok := l[name]
	if !ok {
		return nil, false
	}
	return p.Clone(), true
}

// run_as (checklist 16–18, 81): a caller allowed to run as a user gets
// that user's decision, the cluster never sees the header, and the audit
// trail has run_as_granted (caller as user, target as run_as) before the
// decision's event (target as user, caller as run_by); any other run_as is
// refused with run_as_denied.
func TestRunAs(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
app:
  run_as: [alice, "svc-*"]
  indices:
    - names: ["*"]
      privileges: [read]
reader:
  indices:
    - names: ["logs-a"]
      privileges: [read]
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "secret"}}, nil, nil)
	app := &authn.Principal{Username: "app", Realm: "default_file", RealmType: "file", Roles: []string{"app"}}
	users := lookupTable{
		"alice":   {Username: "alice", Realm: "default_file", RealmType: "file", Roles: []string{"reader"}},
		"svc-ops": {Username: "svc-ops", Realm: "default_file", RealmType: "file", Roles: []string{}},
		"bob":     {Username: "bob", Realm: "default_file", RealmType: "file", Roles: []string{"app"}},
	}
	for _, tc := range []struct {
		name    string
		target  string
		runAs   []string // header values
		status  int
		events  []string // event.action user.name run_as/run_by
		forward bool
	}{
		{"no header: the caller", "/secret/_search", nil, 200, []string{"access_granted app"}, true},
		{"as alice: her grant", "/logs-a/_search", []string{"alice"}, 200,
			[]string{"run_as_granted app as=alice", "access_granted alice by=app"}, true},
		{"as alice: her refusal, not the caller's grant", "/secret/_search", []string{"alice"}, 403,
			[]string{"run_as_granted app as=alice", "access_denied alice by=app"}, false},
		{"a pattern of run_as", "/logs-a/_search", []string{"svc-ops"}, 403,
			[]string{"run_as_granted app as=svc-ops", "access_denied svc-ops by=app"}, false},
		{"a user run_as does not list", "/logs-a/_search", []string{"bob"}, 403, []string{"run_as_denied app as=bob"}, false},
		{"a user no realm knows", "/logs-a/_search", []string{"svc-ghost"}, 403, []string{"run_as_denied app as=svc-ghost"}, false},
		{"an empty header", "/logs-a/_search", []string{""}, 403, []string{"run_as_denied app as="}, false},
		{"two headers", "/logs-a/_search", []string{"alice", "svc-ops"}, 403, []string{"run_as_denied app as=alice"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := &memoryLog{}
			trail, err := audit.NewWithLog(audit.Config{Include: []string{audit.RunAsGranted, audit.RunAsDenied, audit.AccessGranted, audit.AccessDenied}}, mem, audit.Options{})
			if err != nil {
				t.Fatal(err)
			}
			forwarded := false
			up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				forwarded = true
				if v := r.Header.Values(RunAsHeader); len(v) > 0 {
					t.Errorf("the cluster received %s: %v", RunAsHeader, v)
				}
				_, _ = w.Write([]byte(`{}`))
			})
			s := chainServer(t, Options{Authenticator: fakeAuthn{p: app}, RunAs: users, Authorizer: authz.NewEvaluator(rs),
				Metadata: staticMetadata{md}, Auditor: trail, Upstream: up})
			req := httptest.NewRequest("GET", tc.target, nil)
			for _, v := range tc.runAs {
				req.Header.Add(RunAsHeader, v)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.status || forwarded != tc.forward {
				t.Fatalf("status %d forwarded %v, want %d %v: %s", rec.Code, forwarded, tc.status, tc.forward, rec.Body.String())
			}
			if tc.status == 403 && len(tc.runAs) > 0 && strings.HasPrefix(tc.events[0], "run_as_denied") &&
				!strings.Contains(rec.Body.String(), "because user [app] is unauthorized to run as [") {
				t.Errorf("refusal body: %s", rec.Body.String())
			}
			var got []string
			for _, ev := range mem.events {
				s := ev.EventAction + " " + ev.UserName
				if ev.UserRunAsName != "" || ev.EventAction == audit.RunAsDenied || ev.EventAction == audit.RunAsGranted {
					s += " as=" + ev.UserRunAsName
				}
				if ev.UserRunByName != "" {
					s += " by=" + ev.UserRunByName
				}
				got = append(got, s)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.events) {
				t.Fatalf("events %q, want %q", got, tc.events)
			}
		})
	}
}

// _authenticate under run_as describes the target, authenticated by the
// caller's realm and looked up in the target's.
func TestRunAsAuthenticate(t *testing.T) {
	rs, _ := authz.ParseRoles("roles.yml", []byte("app:\n  run_as: [alice]\n"))
	app := &authn.Principal{Username: "app", Realm: "oidc1", RealmType: "oidc", Roles: []string{"app"}}
	users := lookupTable{"alice": {Username: "alice", Realm: "default_file", RealmType: "file", Roles: []string{"reader"}}}
	trail, _ := audit.NewWithLog(audit.Config{}, &memoryLog{}, audit.Options{})
	s := chainServer(t, Options{Authenticator: fakeAuthn{p: app}, RunAs: users, Authorizer: authz.NewEvaluator(rs), Auditor: trail})
	req := httptest.NewRequest("GET", "/_security/_authenticate", nil)
	req.Header.Set(RunAsHeader, "alice")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	var got authenticateResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	if got.Username != "alice" || fmt.Sprint(got.Roles) != "[reader]" || got.AuthenticationRealm != (realmRef{"oidc1", "oidc"}) || got.LookupRealm != (realmRef{"default_file", "file"}) {
		t.Fatalf("_authenticate under run_as: %+v", got)
	}
}

// _authenticate's full body for a file-realm user (checklist 10): every
// member Elasticsearch returns, with its JSON type; realm-internal metadata
// (keys starting with "_") is not shown.
func TestAuthenticateBody(t *testing.T) {
	rs, _ := authz.ParseRoles("roles.yml", []byte("r:\n  cluster: [monitor]\n"))
	u := &authn.Principal{Username: "u", Realm: "default_file", RealmType: "file", Roles: []string{"r"},
		Metadata: map[string]any{"_dn": "cn=u", "team": "x"}}
	trail, _ := audit.NewWithLog(audit.Config{}, &memoryLog{}, audit.Options{})
	s := chainServer(t, Options{Authenticator: fakeAuthn{p: u}, Authorizer: authz.NewEvaluator(rs), Auditor: trail})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/_security/_authenticate", nil))
	want := `{"username":"u","roles":["r"],"full_name":null,"email":null,"metadata":{"team":"x"},"enabled":true,` +
		`"authentication_realm":{"name":"default_file","type":"file"},"lookup_realm":{"name":"default_file","type":"file"},` +
		`"authentication_type":"realm"}`
	if rec.Code != 200 || rec.Body.String() != want || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s\nwant %s", rec.Code, rec.Body.String(), want)
	}
}
