package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
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
