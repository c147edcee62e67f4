package server

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// A template's aliases are attached to every index it creates later,
// whoever creates it: only users who may read every index may define
// them, in composable, component and legacy templates alike. Templates
// without aliases, or with an empty aliases object, stay allowed, and a
// field named "aliases" in a mapping is not an alias.
func TestTemplateAliasesNeedFullAccess(t *testing.T) {
	roles := `
template_admin:
  cluster: [manage_index_templates]
  indices:
    - names: ["logs-*"]
      privileges: [all]
`
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}}, nil, nil)
	tests := []fullAccessCase{
		{name: "composable", method: "PUT", target: "/_index_template/t", body: `{"index_patterns":["hr-*"],"template":{"aliases":{"logs-hr":{}}}}`, refused: true, why: []string{"templates defining aliases"}},
		{name: "composable, filtered alias", method: "PUT", target: "/_index_template/t", body: `{"index_patterns":["hr-*"],"template":{"aliases":{"logs-hr":{"filter":{"match_all":{}}}}}}`, refused: true, why: []string{"templates defining aliases"}},
		{name: "component", method: "PUT", target: "/_component_template/c", body: `{"template":{"aliases":{"logs-hr":{}}}}`, refused: true, why: []string{"templates defining aliases"}},
		{name: "legacy", method: "PUT", target: "/_template/t", body: `{"index_patterns":["hr-*"],"aliases":{"logs-hr":{}}}`, refused: true, why: []string{"templates defining aliases"}},
		{name: "legacy, old pattern key", method: "PUT", target: "/_template/t", body: `{"template":"hr-*","aliases":{"logs-hr":{}}}`, refused: true, why: []string{"templates defining aliases"}},
		{name: "aliases of the wrong type", method: "PUT", target: "/_index_template/t", body: `{"index_patterns":["hr-*"],"template":{"aliases":["logs-hr"]}}`, refused: true, why: []string{"templates defining aliases"}},
		{name: "no aliases", method: "PUT", target: "/_index_template/t", body: `{"index_patterns":["logs-x*"],"template":{"settings":{"number_of_replicas":0}}}`, refused: false},
		{name: "empty aliases", method: "PUT", target: "/_index_template/t", body: `{"index_patterns":["logs-x*"],"template":{"aliases":{}}}`, refused: false},
		{name: "null aliases", method: "PUT", target: "/_template/t", body: `{"index_patterns":["logs-x*"],"aliases":null}`, refused: false},
		{name: "a mapped field named aliases", method: "PUT", target: "/_index_template/t", body: `{"index_patterns":["logs-x*"],"template":{"mappings":{"properties":{"aliases":{"type":"keyword"}}}}}`, refused: false},
	}
	runFullAccessTable(t, roles, "template_admin", md, tests)
}

// Elasticsearch's newer APIs that write an index's settings or mappings
// from a body (create_from's overrides, a data stream's settings and
// mappings) are held to the same rules as index creation: an index
// pipeline needs the access using pipelines needs, a percolator field read
// access to every index.
func TestSettingsAndMappingsOfNewerAPIs(t *testing.T) {
	roles := `
index_admin:
  indices:
    - names: ["logs-*"]
      privileges: [all]
`
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}}, nil, []authz.DataStream{{Name: "logs-ds", Indices: []string{".ds-logs-ds-000001"}}})
	tests := []fullAccessCase{
		{name: "create_from, pipeline", method: "POST", target: "/_create_from/logs-a/logs-b", body: `{"settings_override":{"index.default_pipeline":"reroute"}}`, refused: true, why: []string{"default_pipeline or final_pipeline"}},
		{name: "create_from, percolator", method: "POST", target: "/_create_from/logs-a/logs-b", body: `{"mappings_override":{"properties":{"q":{"type":"percolator"}}}}`, refused: true, why: []string{"percolator"}},
		{name: "data stream settings, pipeline", method: "PUT", target: "/_data_stream/logs-ds/_settings", body: `{"index.final_pipeline":"reroute"}`, refused: true, why: []string{"default_pipeline or final_pipeline"}},
		{name: "data stream mappings, percolator", method: "PUT", target: "/_data_stream/logs-ds/_mappings", body: `{"properties":{"q":{"type":"percolator"}}}`, refused: true, why: []string{"percolator"}},
	}
	runFullAccessTable(t, roles, "index_admin", md, tests)
}

func TestComponentsDefineAliases(t *testing.T) {
	tests := []struct {
		name, answer string
		want         bool
	}{
		{"no aliases", `{"component_templates":[{"name":"a","component_template":{"template":{"settings":{}}}}]}`, false},
		{"empty aliases", `{"component_templates":[{"name":"a","component_template":{"template":{"aliases":{}}}}]}`, false},
		{"one with aliases", `{"component_templates":[{"name":"a","component_template":{"template":{}}},{"name":"b","component_template":{"template":{"aliases":{"x":{}}}}}]}`, true},
		{"unexpected shape fails closed", `{"component_templates":{"a":{}}}`, true},
		{"not an object fails closed", `[]`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := esbody.ParseJSON([]byte(tc.answer))
			if err != nil {
				t.Fatal(err)
			}
			if got := componentsDefineAliases(v); got != tc.want {
				t.Fatalf("componentsDefineAliases = %v, want %v", got, tc.want)
			}
		})
	}
}
