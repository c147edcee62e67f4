package server

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// OpenSearch's ISM runs a policy's actions with the cluster's rights on the
// indices it manages. A user with the cluster privilege manage and all on
// logs-* could put hr-payroll under a policy whose alias action exposes it
// under a logs-* alias (or whose delete action removes it), or store a
// policy whose ism_template takes every index created later: refused,
// while their own indices stay manageable.
func TestISMNeedsAccessToTheManagedIndices(t *testing.T) {
	roles := `
ism_admin:
  cluster: [manage]
  indices:
    - names: ["logs-*"]
      privileges: [all]
    - names: ["metrics-*"]
      privileges: [read, write]
`
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "metrics-a"}, {Name: "hr-payroll"}}, nil, nil)
	aliasPolicy := `{"policy":{"description":"x","default_state":"a","states":[{"name":"a","actions":[{"alias":{"actions":[{"add":{"alias":"logs-leak"}}]}}],"transitions":[]}],` +
		`"ism_template":{"index_patterns":["hr-*"],"priority":100}}}`
	add := `{"policy_id":"leak"}`
	why := []string{"unauthorized"}
	var tests []fullAccessCase
	for _, p := range []string{"/_plugins/_ism", "/_opendistro/_ism"} {
		tests = append(tests,
			fullAccessCase{name: p + " put policy", method: "PUT", target: p + "/policies/leak", body: aliasPolicy, refused: true, why: []string{"index state management policy"}},
			fullAccessCase{name: p + " add a forbidden index", method: "POST", target: p + "/add/hr-payroll", body: add, refused: true, why: why},
			fullAccessCase{name: p + " add a wildcard", method: "POST", target: p + "/add/*", body: add, refused: true, why: why},
			fullAccessCase{name: p + " add an index read and written only", method: "POST", target: p + "/add/metrics-a", body: add, refused: true, why: why},
			fullAccessCase{name: p + " change a forbidden index", method: "POST", target: p + "/change_policy/hr-payroll", body: add, refused: true, why: why},
			fullAccessCase{name: p + " remove a forbidden index", method: "POST", target: p + "/remove/hr-payroll", refused: true, why: why},
			fullAccessCase{name: p + " retry a forbidden index", method: "POST", target: p + "/retry/hr-payroll", body: `{}`, refused: true, why: why},
			fullAccessCase{name: p + " add an own index", method: "POST", target: p + "/add/logs-a", body: add},
			fullAccessCase{name: p + " change an own index", method: "POST", target: p + "/change_policy/logs-a", body: add},
			fullAccessCase{name: p + " get policies", method: "GET", target: p + "/policies/leak"},
		)
	}
	runFullAccessTable(t, roles, "ism_admin", md, tests)
}
