package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// With authentication_success included (checklist 74), every request that
// authenticates has one, before the decision's events and with the same
// request.id, whether it is granted or denied; it names the user and the
// realm, not the roles, action or indices (a rest-layer event). Left out
// by default.
func TestAuthenticationSuccessEvents(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte("reader:\n  indices:\n    - names: [\"logs-a\"]\n      privileges: [read]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "secret"}}, nil, nil)
	alice := &authn.Principal{Username: "alice", Realm: "default_file", Roles: []string{"reader"}}
	for _, tc := range []struct {
		name    string
		include []string
		target  string
		want    []string
	}{
		{"granted", []string{audit.AuthenticationSuccess, audit.AccessGranted, audit.AccessDenied}, "/logs-a/_search",
			[]string{"authentication_success   []", "access_granted indices:data/read/search  [logs-a]"}},
		{"denied", []string{audit.AuthenticationSuccess, audit.AccessGranted, audit.AccessDenied}, "/secret/_search",
			[]string{"authentication_success   []", "access_denied indices:data/read/search  [secret]"}},
		{"off by default", nil, "/logs-a/_search", []string{"access_granted indices:data/read/search  [logs-a]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := &memoryLog{}
			trail, err := audit.NewWithLog(audit.Config{Include: tc.include}, mem, audit.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := chainServer(t, Options{Authenticator: fakeAuthn{p: alice}, Authorizer: authz.NewEvaluator(rs), Metadata: staticMetadata{md}, Auditor: trail})
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", tc.target, nil))
			var got []string
			for _, ev := range mem.events {
				got = append(got, describe(ev))
				if ev.RequestID == "" || ev.RequestID != mem.events[0].RequestID {
					t.Errorf("events of one request with request.id %q and %q", ev.RequestID, mem.events[0].RequestID)
				}
				if ev.EventAction == audit.AuthenticationSuccess &&
					(ev.UserName != "alice" || ev.Realm != "default_file" || ev.UserRealm != "default_file" || ev.UserRoles != nil || ev.EventType != audit.TypeRest) {
					t.Errorf("authentication_success fields: %+v", ev)
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("recorded:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}
