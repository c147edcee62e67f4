package server

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Elasticsearch puts an alias named after a search application on the
// indices it lists (and takes it off them when it is deleted), as the
// caller. Behind the proxy the cluster privilege alone let a user with
// manage and all on logs-* point logs-leak at hr-payroll, or take an
// administrator's alias off hr-payroll: the alias changes are decided as
// alias changes.
func TestSearchApplicationsDecidedAsAliasChanges(t *testing.T) {
	roles := `
app_admin:
  cluster: [manage]
  indices:
    - names: ["logs-*"]
      privileges: [all]
`
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-payroll", Aliases: []string{"hr-view", "logs-old"}}},
		[]authz.Alias{{Name: "hr-view", Indices: []string{"hr-payroll"}}, {Name: "logs-old", Indices: []string{"hr-payroll"}}}, nil)
	why := []string{"unauthorized"}
	app := "/_application/search_application/"
	tests := []fullAccessCase{
		{name: "an alias of ours on a forbidden index", method: "PUT", target: app + "logs-leak", body: `{"indices":["hr-payroll"]}`, refused: true, why: why},
		{name: "a forbidden alias on our index", method: "PUT", target: app + "hr-app", body: `{"indices":["logs-a"]}`, refused: true, why: why},
		{name: "a wildcard", method: "PUT", target: app + "logs-app", body: `{"indices":["*"]}`, refused: true, why: why},
		{name: "moving an alias off a forbidden index", method: "PUT", target: app + "logs-old", body: `{"indices":["logs-a"]}`, refused: true, why: why},
		{name: "deleting takes the alias off a forbidden index", method: "DELETE", target: app + "logs-old", refused: true, why: why},
		{name: "deleting a forbidden alias", method: "DELETE", target: app + "hr-view", refused: true, why: why},
		{name: "our alias on our index", method: "PUT", target: app + "logs-app", body: `{"indices":["logs-a"],"template":{"script":{"source":{"query":{"match_all":{}}}}}}`},
		{name: "deleting ours", method: "DELETE", target: app + "logs-app"},
		{name: "reading", method: "GET", target: app + "hr-view"},
	}
	runFullAccessTable(t, roles, "app_admin", md, tests)
}
