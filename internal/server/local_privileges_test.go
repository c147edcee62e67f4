package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

const localPrivilegesRoles = `
reader:
  cluster: [monitor]
  indices:
    - names: ['logs-*']
      privileges: [read]
security_admin:
  cluster: [manage_security]
`

func TestLocalPrivilegesAPIs(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(localPrivilegesRoles))
	if len(probs) > 0 {
		t.Fatalf("roles: %v", probs)
	}
	ev := authz.NewEvaluator(rs)
	reader := &authn.Principal{Username: "u", Roles: []string{"reader"}}
	admin := &authn.Principal{Username: "admin", Roles: []string{"security_admin"}}
	const check = `{"cluster":["monitor","manage"],"index":[{"names":["logs-2024","*"],"privileges":["read"]}]}`
	const checkAnswer = `{"username":"u","has_all_requested":false,"cluster":{"manage":false,"monitor":true},` +
		`"index":{"*":{"read":false},"logs-2024":{"read":true}},"application":{}}`
	tests := []struct {
		name     string
		user     *authn.Principal
		az       Authorizer
		method   string
		path     string
		body     string
		wantCode int
		want     string // the whole body for 200s, a fragment otherwise
	}{
		{"user privileges", reader, ev, "GET", "/_security/user/_privileges", "", 200,
			`{"cluster":["monitor"],"global":[],"indices":[{"names":["logs-*"],"privileges":["read"],"allow_restricted_indices":false}],"applications":[],"run_as":[]}`},
		{"has_privileges by POST", reader, ev, "POST", "/_security/user/_has_privileges", check, 200, checkAnswer},
		{"has_privileges by GET with a body", reader, ev, "GET", "/_security/user/_has_privileges", check, 200, checkAnswer},
		{"has_privileges about oneself by name", reader, ev, "POST", "/_security/user/u/_has_privileges", check, 200, checkAnswer},
		{"all held", reader, ev, "POST", "/_security/user/_has_privileges", `{"index":[{"names":"logs-*","privileges":["read"]}]}`, 200,
			`{"username":"u","has_all_requested":true,"cluster":{},"index":{"logs-*":{"read":true}},"application":{}}`},
		{"application privileges are never held", reader, ev, "POST", "/_security/user/_has_privileges",
			`{"application":[{"application":"kibana-.kibana","privileges":["read"],"resources":["space:default"]}]}`, 200,
			`{"username":"u","has_all_requested":false,"cluster":{},"index":{},"application":{"kibana-.kibana":{"space:default":{"read":false}}}}`},
		{"another user without privileges", reader, ev, "POST", "/_security/user/bob/_has_privileges", check, 403,
			`action [cluster:admin/xpack/security/user/has_privileges] is unauthorized for user [u]`},
		{"another user with security privileges", admin, ev, "POST", "/_security/user/bob/_has_privileges", check, 400,
			`"type":"illegal_argument_exception","reason":"users may only check the privileges of their own account"`},
		{"no body", reader, ev, "POST", "/_security/user/_has_privileges", "", 400, `request body or source parameter is required`},
		{"not an object", reader, ev, "POST", "/_security/user/_has_privileges", `[]`, 400,
			`"type":"parse_exception","reason":"failed to parse privileges check [u/has_privileges]. expected an object but found [START_ARRAY] instead"`},
		{"unknown field", reader, ev, "POST", "/_security/user/_has_privileges", `{"clusters":["monitor"]}`, 400,
			`failed to parse privileges check [u/has_privileges]. unexpected field [clusters]`},
		{"no privilege field", reader, ev, "POST", "/_security/user/_has_privileges", `{}`, 400,
			`All privilege fields [cluster,index,application] are missing`},
		{"nothing to check", reader, ev, "POST", "/_security/user/_has_privileges", `{"cluster":[]}`, 400,
			`"type":"action_request_validation_exception","reason":"Validation Failed: 1: must specify at least one privilege;"`},
		{"field security", reader, ev, "POST", "/_security/user/_has_privileges",
			`{"index":[{"names":["a"],"privileges":["read"],"field_security":{"grant":["*"]}}]}`, 400,
			`Field [field_security] is not supported in a has_privileges request`},
		{"query", reader, ev, "POST", "/_security/user/_has_privileges", `{"index":[{"names":["a"],"privileges":["read"],"query":"{}"}]}`, 400,
			`Field [query] is not supported in a has_privileges request`},
		{"missing names", reader, ev, "POST", "/_security/user/_has_privileges", `{"index":[{"privileges":["read"]}]}`, 400,
			`missing required [names] field`},
		{"empty names", reader, ev, "POST", "/_security/user/_has_privileges", `{"index":[{"names":[],"privileges":["read"]}]}`, 400,
			`[names] cannot be an empty array`},
		{"restricted flag not a boolean", reader, ev, "POST", "/_security/user/_has_privileges",
			`{"index":[{"names":["a"],"privileges":["read"],"allow_restricted_indices":"yes"}]}`, 400, `value to be a boolean, but found [VALUE_STRING]`},
		{"unknown cluster privilege", reader, ev, "POST", "/_security/user/_has_privileges", `{"cluster":["bogus"]}`, 400,
			`"type":"illegal_argument_exception","reason":"unknown cluster privilege [bogus]`},
		{"unknown index privilege", reader, ev, "POST", "/_security/user/_has_privileges", `{"index":[{"names":["a"],"privileges":["bogus"]}]}`, 400,
			`unknown index privilege [bogus]`},
		{"duplicate keys", reader, ev, "POST", "/_security/user/_has_privileges", `{"cluster":["monitor"],"cluster":["all"]}`, 400, `Duplicate field`},
		{"authorizer without roles", reader, fakeAuthz{true}, "GET", "/_security/user/_privileges", "", 500, `cannot list privileges`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, forwarded := newTestServer(t, fakeAuthn{p: tc.user}, tc.az, 1<<20)
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			got := rec.Body.String()
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d %s, want %d", rec.Code, got, tc.wantCode)
			}
			if (tc.wantCode == 200 && got != tc.want) || !strings.Contains(got, tc.want) {
				t.Errorf("body\n got %s\nwant %s", got, tc.want)
			}
			if *forwarded != 0 {
				t.Errorf("forwarded to the cluster %d times", *forwarded)
			}
		})
	}
}

// The proxy's authorizer resolves roles for these APIs.
var _ PrivilegeSubjects = (*authz.RoleStore)(nil)
