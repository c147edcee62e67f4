package authz

import (
	"encoding/json"
	"testing"
)

const userPrivilegesRoles = `
a:
  cluster: [monitor, manage_own_api_key]
  run_as: [bob]
  indices:
    - names: ['logs-*', 'events']
      privileges: [read]
      field_security: {grant: ['a*'], except: [a_secret]}
      query: '{"term":{"team":"a"}}'
    - names: ['.kibana*']
      privileges: [read]
      allow_restricted_indices: true
  applications:
    - application: kibana-.kibana
      privileges: [read]
      resources: ['*']
  global:
    application:
      manage:
        applications: ['app-*']
b:
  cluster: [monitor, 'cluster:admin/xpack/security/user/get']
  run_as: [carol, bob]
  indices:
    - names: ['events', 'logs-*']
      privileges: [view_index_metadata]
      query: '{"term":{"team":"b"}}'
c:
  indices:
    - names: ['events', 'logs-*']
      privileges: [write]
`

func TestUserPrivileges(t *testing.T) {
	rs, probs := ParseRoles("roles.yml", []byte(userPrivilegesRoles))
	if len(probs) > 0 {
		t.Fatalf("roles: %v", probs)
	}
	tests := []struct {
		name  string
		roles []string
		want  string
	}{
		{"no roles", nil, `{"cluster":[],"global":[],"indices":[],"applications":[],"run_as":[]}`},
		{"one role with FLS and DLS", []string{"a"},
			`{"cluster":["manage_own_api_key","monitor"],"global":[{"application":{"manage":{"applications":["app-*"]}}}],` +
				`"indices":[{"names":["events","logs-*"],"privileges":["read"],"field_security":[{"grant":["a*"],"except":["a_secret"]}],` +
				`"query":["{\"term\":{\"team\":\"a\"}}"],"allow_restricted_indices":false},` +
				`{"names":[".kibana*"],"privileges":["read"],"allow_restricted_indices":true}],"applications":[],"run_as":["bob"]}`},
		{"same names merged; a group without FLS lifts FLS; queries unioned", []string{"b", "a"},
			`{"cluster":["cluster:admin/xpack/security/user/get","manage_own_api_key","monitor"],"global":[{"application":{"manage":{"applications":["app-*"]}}}],` +
				`"indices":[{"names":["events","logs-*"],"privileges":["read","view_index_metadata"],` +
				`"query":["{\"term\":{\"team\":\"a\"}}","{\"term\":{\"team\":\"b\"}}"],"allow_restricted_indices":false},` +
				`{"names":[".kibana*"],"privileges":["read"],"allow_restricted_indices":true}],"applications":[],"run_as":["bob","carol"]}`},
		{"a group without DLS lifts DLS", []string{"b", "c"},
			`{"cluster":["cluster:admin/xpack/security/user/get","monitor"],"global":[],` +
				`"indices":[{"names":["events","logs-*"],"privileges":["view_index_metadata","write"],"allow_restricted_indices":false}],` +
				`"applications":[],"run_as":["bob","carol"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(NewEvaluator(rs).Subject("alice", tt.roles).UserPrivileges())
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("answer\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
