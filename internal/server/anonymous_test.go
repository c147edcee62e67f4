package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Anonymous access (checklist 12): off, a request without credentials is
// 401; on, it runs as the anonymous user with its roles, a refusal is 403
// (authz_exception: true) or 401 with a challenge (false); wrong
// credentials are never anonymous; every user also gets the anonymous
// roles.
func TestAnonymousAccess(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
public_reader:
  indices:
    - names: ["public-*"]
      privileges: [read]
reader:
  indices:
    - names: ["logs-a"]
      privileges: [read]
impersonator:
  run_as: [bob]
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "public-1"}, {Name: "logs-a"}, {Name: "secret"}}, nil, nil)
	alice := &authn.Principal{Username: "alice", Realm: "default_file", RealmType: "file", Roles: []string{"reader"}}
	boss := &authn.Principal{Username: "boss", Realm: "default_file", RealmType: "file", Roles: []string{"impersonator"}}
	users := lookupTable{"bob": {Username: "bob", Realm: "default_file", RealmType: "file", Roles: []string{}}}
	none := fakeAuthn{err: authn.ErrNoCredentials}
	wrong := fakeAuthn{err: &authn.AuthError{Username: "alice", Reason: "bad password"}}
	on := authn.NewAnonymous("", []string{"public_reader"}, true)
	prompt := authn.NewAnonymous("anon", []string{"public_reader"}, false)
	for _, tc := range []struct {
		name     string
		anon     *authn.Anonymous
		authn    authn.Authenticator
		target   string
		status   int
		body     string // substring of the answer
		user     string // user.name of the audit event
		authType string
	}{
		{"off: no credentials", nil, none, "/public-1/_search", 401, "missing authentication credentials", "", ""},
		{"on: the anonymous roles", on, none, "/public-1/_search", 200, "{}", authn.DefaultAnonymousUser, audit.AuthAnonymous},
		{"on: refused with 403", on, none, "/secret/_search", 403, "is unauthorized for user [_es_anonymous_user]", authn.DefaultAnonymousUser, audit.AuthAnonymous},
		{"authz_exception false: refused with 401", prompt, none, "/secret/_search", 401, "action [indices:data/read/search] requires authentication", "anon", audit.AuthAnonymous},
		{"wrong credentials are not anonymous", on, wrong, "/public-1/_search", 401, "unable to authenticate user [alice]", "alice", ""},
		{"a user gets the anonymous roles too", on, fakeAuthn{p: alice}, "/public-1/_search", 200, "{}", "alice", audit.AuthRealm},
		{"and keeps their own", on, fakeAuthn{p: alice}, "/logs-a/_search", 200, "{}", "alice", audit.AuthRealm},
		{"the cluster's own 403 is not turned into 401", prompt, none, "/public-1/_doc/blocked", 403, "cluster_block_exception", "anon", audit.AuthAnonymous},
		{"a run_as target gets them too", on, fakeAuthn{p: boss}, "/public-1/_search", 200, "{}", "boss", audit.AuthRealm}, // run_as_granted names the caller
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := &memoryLog{}
			trail, err := audit.NewWithLog(audit.Config{}, mem, audit.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := chainServer(t, Options{Authenticator: tc.authn, Anonymous: tc.anon, Authorizer: authz.NewEvaluator(rs),
				Metadata: staticMetadata{md}, Auditor: trail, RunAs: users, Upstream: http.HandlerFunc(blockingUpstream)})
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", tc.target, nil)
			if tc.authn == (fakeAuthn{p: boss}) {
				req.Header.Set(RunAsHeader, "bob")
			}
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
				t.Fatalf("%d %s, want %d with %q", rec.Code, rec.Body.String(), tc.status, tc.body)
			}
			if rec.Code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("a 401 without a challenge")
			}
			if len(mem.events) == 0 {
				t.Fatal("no audit event")
			}
			if ev := mem.events[0]; ev.UserName != tc.user || ev.AuthenticationType != tc.authType {
				t.Errorf("audit event: user %q type %q, want %q %q", ev.UserName, ev.AuthenticationType, tc.user, tc.authType)
			}
		})
	}
}

// blockingUpstream answers {} except for documents named "blocked", which
// get the cluster's own 403 (an index block, not a security refusal).
func blockingUpstream(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/blocked") {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error":{"type":"cluster_block_exception","reason":"index [public-1] blocked"},"status":403}`))
		return
	}
	_, _ = w.Write([]byte(`{}`))
}
