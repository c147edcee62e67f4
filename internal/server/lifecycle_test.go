package server

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Elasticsearch runs an ILM policy's actions (delete, shrink, rollover…)
// with the privileges of the user who last stored it, and a move to a
// step on the index's own policy; the cluster behind the proxy runs them
// with full rights on whatever indices use the policy. A user with
// manage_ilm and manage on their own indices could otherwise rewrite the
// policy of an index they may not touch (a delete phase at 0 ms), or move
// such an index to its delete step.
func TestLifecyclePoliciesNeedFullAccess(t *testing.T) {
	roles := `
ilm_admin:
  cluster: [manage_ilm]
  indices:
    - names: ["logs-*"]
      privileges: [all]
`
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-payroll"}}, nil, nil)
	tests := []fullAccessCase{
		{name: "put policy", method: "PUT", target: "/_ilm/policy/hr-policy", body: `{"policy":{"phases":{"delete":{"min_age":"0ms","actions":{"delete":{}}}}}}`, refused: true, why: []string{"lifecycle", "admin/ilm/"}},
		{name: "move a forbidden index", method: "POST", target: "/_ilm/move/hr-payroll", body: `{"current_step":{"phase":"new","action":"complete","name":"complete"},"next_step":{"phase":"delete"}}`, refused: true, why: []string{"lifecycle", "admin/ilm/"}},
		{name: "move an own index", method: "POST", target: "/_ilm/move/logs-a", body: `{"current_step":{"phase":"new","action":"complete","name":"complete"},"next_step":{"phase":"delete"}}`, refused: false},
		{name: "get policies", method: "GET", target: "/_ilm/policy", body: "", refused: false},
	}
	runFullAccessTable(t, roles, "ilm_admin", md, tests)
}
