package server

import (
	"net/http"
	"strings"
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
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
template_admin:
  cluster: [manage_index_templates]
  indices:
    - names: ["logs-*"]
      privileges: [all]
admin_all:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [all]
      allow_restricted_indices: true
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}}, nil, nil)
	tests := []struct {
		name, target, body string
		aliases            bool
	}{
		{"composable", "/_index_template/t", `{"index_patterns":["hr-*"],"template":{"aliases":{"logs-hr":{}}}}`, true},
		{"composable, filtered alias", "/_index_template/t", `{"index_patterns":["hr-*"],"template":{"aliases":{"logs-hr":{"filter":{"match_all":{}}}}}}`, true},
		{"component", "/_component_template/c", `{"template":{"aliases":{"logs-hr":{}}}}`, true},
		{"legacy", "/_template/t", `{"index_patterns":["hr-*"],"aliases":{"logs-hr":{}}}`, true},
		{"legacy, old pattern key", "/_template/t", `{"template":"hr-*","aliases":{"logs-hr":{}}}`, true},
		{"aliases of the wrong type", "/_index_template/t", `{"index_patterns":["hr-*"],"template":{"aliases":["logs-hr"]}}`, true},
		{"no aliases", "/_index_template/t", `{"index_patterns":["logs-x*"],"template":{"settings":{"number_of_replicas":0}}}`, false},
		{"empty aliases", "/_index_template/t", `{"index_patterns":["logs-x*"],"template":{"aliases":{}}}`, false},
		{"null aliases", "/_template/t", `{"index_patterns":["logs-x*"],"aliases":null}`, false},
		{"a mapped field named aliases", "/_index_template/t", `{"index_patterns":["logs-x*"],"template":{"mappings":{"properties":{"aliases":{"type":"keyword"}}}}}`, false},
	}
	for _, role := range []string{"template_admin", "admin_all"} {
		for _, tc := range tests {
			t.Run(role+"/"+tc.name, func(t *testing.T) {
				forwarded := 0
				up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					forwarded++
					_, _ = w.Write([]byte(`{"acknowledged":true}`))
				})
				rec := serveAs(t, rs, md, role, up, "PUT", tc.target, "application/json", tc.body)
				if tc.aliases && role != "admin_all" {
					if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "templates defining aliases") || forwarded != 0 {
						t.Fatalf("want a 403 about template aliases, nothing forwarded; got %d %s, forwarded %d", rec.Code, rec.Body.String(), forwarded)
					}
					return
				}
				if rec.Code != http.StatusOK || forwarded != 1 {
					t.Fatalf("want it forwarded; got %d %s, forwarded %d", rec.Code, rec.Body.String(), forwarded)
				}
			})
		}
	}
}

// Elasticsearch's newer APIs that write an index's settings or mappings
// from a body (create_from's overrides, a data stream's settings and
// mappings) are held to the same rules as index creation: an index
// pipeline needs the access using pipelines needs, a percolator field read
// access to every index.
func TestSettingsAndMappingsOfNewerAPIs(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
index_admin:
  indices:
    - names: ["logs-*"]
      privileges: [all]
admin_all:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [all]
      allow_restricted_indices: true
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}}, nil, []authz.DataStream{{Name: "logs-ds", Indices: []string{".ds-logs-ds-000001"}}})
	tests := []struct {
		name, method, target, body, why string
	}{
		{"create_from, pipeline", "POST", "/_create_from/logs-a/logs-b", `{"settings_override":{"index.default_pipeline":"reroute"}}`, "default_pipeline or final_pipeline"},
		{"create_from, percolator", "POST", "/_create_from/logs-a/logs-b", `{"mappings_override":{"properties":{"q":{"type":"percolator"}}}}`, "percolator"},
		{"data stream settings, pipeline", "PUT", "/_data_stream/logs-ds/_settings", `{"index.final_pipeline":"reroute"}`, "default_pipeline or final_pipeline"},
		{"data stream mappings, percolator", "PUT", "/_data_stream/logs-ds/_mappings", `{"properties":{"q":{"type":"percolator"}}}`, "percolator"},
	}
	for _, role := range []string{"index_admin", "admin_all"} {
		for _, tc := range tests {
			t.Run(role+"/"+tc.name, func(t *testing.T) {
				forwarded := 0
				up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					forwarded++
					_, _ = w.Write([]byte(`{"acknowledged":true}`))
				})
				rec := serveAs(t, rs, md, role, up, tc.method, tc.target, "application/json", tc.body)
				if role != "admin_all" {
					if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), tc.why) || forwarded != 0 {
						t.Fatalf("want a 403 naming %q, nothing forwarded; got %d %s, forwarded %d", tc.why, rec.Code, rec.Body.String(), forwarded)
					}
					return
				}
				if rec.Code != http.StatusOK || forwarded != 1 {
					t.Fatalf("want it forwarded; got %d %s, forwarded %d", rec.Code, rec.Body.String(), forwarded)
				}
			})
		}
	}
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
