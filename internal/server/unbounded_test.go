package server

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Full access for a request's action is not access to everything its
// names reach: manage on every index allowed cloning hr-payroll to
// logs-copy and aliasing it as logs-view (Elasticsearch refuses a target
// or alias granting more than its source), and write on every index
// allowed reading a stored document back through _update, or creating any
// index by writing to it without create_index. The checks are
// skipped only for users who may also read and write every index. (The
// roles reach restricted indices too, as an operations role managing the
// system indices does: otherwise full access already failed.)
func TestFullActionAccessIsNotUnbounded(t *testing.T) {
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-payroll"}}, nil, nil)
	runFullAccessTable(t, `
index_ops:
  indices:
    - names: ["*"]
      privileges: [manage]
      allow_restricted_indices: true
    - names: ["logs-*"]
      privileges: [read]
`, "index_ops", md, []fullAccessCase{
		{name: "clone a forbidden index to a readable name", method: "POST", target: "/hr-payroll/_clone/logs-copy", body: `{}`, refused: true, why: []string{reasonResizeWidens}},
		{name: "alias a forbidden index under a readable name", method: "PUT", target: "/hr-payroll/_alias/logs-view", refused: true, why: []string{reasonAliasWidens}},
		{name: "alias actions", method: "POST", target: "/_aliases", body: `{"actions":[{"add":{"index":"hr-payroll","alias":"logs-view"}}]}`, refused: true, why: []string{reasonAliasWidens}},
		{name: "clone within the grant", method: "POST", target: "/logs-a/_clone/logs-b", body: `{}`},
		{name: "alias within the grant", method: "PUT", target: "/logs-a/_alias/logs-view"},
	})
	runFullAccessTable(t, `
writer_everywhere:
  indices:
    - names: ["*"]
      privileges: [write]
      allow_restricted_indices: true
    - names: ["logs-*"]
      privileges: [read]
`, "writer_everywhere", md, []fullAccessCase{
		{name: "update reading a forbidden document back", method: "POST", target: "/hr-payroll/_update/1?_source=true", body: `{"doc":{"x":1}}`, refused: true, why: []string{"read"}},
		{name: "index a document", method: "PUT", target: "/hr-payroll/_doc/1", body: `{"x":1}`},
		{name: "create an index by writing to it", method: "PUT", target: "/squatted/_doc/1", body: `{"x":1}`, refused: true, why: []string{"auto_create"}},
	})
}
