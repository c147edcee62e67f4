package server

import (
	"net/http"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Elasticsearch's simulate ingest API (POST _ingest/{index}/_simulate)
// runs each document through the pipelines and mappings of the index its
// _index names, the path's index being only the default; Elasticsearch
// authorizes each document's index. Its pipeline_substitutions run any
// pipeline (an enrich processor reads an enrich index) and are held to the
// rule of naming a pipeline.
func TestSimulateIngestDocumentIndices(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
writer:
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
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-payroll"}}, nil, nil)
	tests := []struct {
		name, body string
		allowed    bool
	}{
		{"documents of the path's index", `{"docs":[{"_id":"1","_source":{"a":1}}]}`, true},
		{"a document naming an allowed index", `{"docs":[{"_index":"logs-a","_source":{"a":1}}]}`, true},
		{"a document naming a forbidden index", `{"docs":[{"_index":"logs-a","_source":{"a":1}},{"_index":"hr-payroll","_source":{"a":1}}]}`, false},
		{"pipeline substitutions", `{"docs":[{"_source":{"a":1}}],"pipeline_substitutions":{"p":{"processors":[]}}}`, false},
		{"docs not an array", `{"docs":{"_index":"hr-payroll"}}`, false},
	}
	for _, role := range []string{"writer", "admin_all"} {
		for _, tc := range tests {
			t.Run(role+"/"+tc.name, func(t *testing.T) {
				forwarded := 0
				up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					forwarded++
					_, _ = w.Write([]byte(`{"docs":[]}`))
				})
				rec := serveAs(t, rs, md, role, up, "POST", "/_ingest/logs-a/_simulate", "application/json", tc.body)
				if tc.allowed || role == "admin_all" {
					if rec.Code != http.StatusOK || forwarded != 1 {
						t.Fatalf("want it forwarded; got %d %s, forwarded %d", rec.Code, rec.Body.String(), forwarded)
					}
					return
				}
				if rec.Code < 400 || forwarded != 0 {
					t.Fatalf("want a refusal, nothing forwarded; got %d %s, forwarded %d", rec.Code, rec.Body.String(), forwarded)
				}
			})
		}
	}
}
