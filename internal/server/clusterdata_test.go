package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// Cluster-level plugin APIs that read (or write) the documents of indices
// their body or query names (OpenSearch SQL, PPL, asynchronous search,
// k-NN training, rollups and transforms; Elasticsearch ML datafeeds,
// transforms, enrich policies, watches) are authorized by the cluster
// privilege alone. With no security in the cluster, they then read every
// index, with no document- or field-level security: a user with
// cluster:manage and DLS on logs-* would read hr-payroll and the hidden
// logs documents. Only users who may read and write every index without
// DLS/FLS may use them.
func TestClusterActionsOnIndexDataNeedFullAccess(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
manager_dls:
  cluster: [manage]
  indices:
    - names: ["logs-*"]
      privileges: [read]
      query: '{"term":{"tenant":"acme"}}'
manager_all_read:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [read]
reader_everything:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [read]
      allow_restricted_indices: true
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
	// readOnly: reading every index suffices; the others also write (or
	// create jobs that will).
	requests := []struct {
		name, method, target, body string
		readOnly                   bool
	}{
		{"sql", "POST", "/_plugins/_sql?format=json", `{"query":"SELECT * FROM hr-payroll"}`, true},
		{"sql legacy", "POST", "/_opendistro/_sql", `{"query":"SELECT * FROM logs-a"}`, true},
		{"sql explain", "POST", "/_plugins/_sql/_explain", `{"query":"SELECT * FROM logs-a"}`, true},
		{"ppl", "POST", "/_plugins/_ppl", `{"query":"source=logs-a"}`, true},
		{"asynchronous search", "POST", "/_plugins/_asynchronous_search?index=logs-a", `{"query":{"match_all":{}}}`, true},
		{"asynchronous search, no index", "POST", "/_plugins/_asynchronous_search", `{"query":{"match_all":{}}}`, true},
		{"asynchronous search result", "GET", "/_plugins/_asynchronous_search/FkRpZ2FzZGZhc2Rm", ``, true},
		{"transform preview", "POST", "/_plugins/_transform/_preview", `{"transform":{"source_index":"hr-payroll","target_index":"x","groups":[]}}`, true},
		{"ml predict on an index", "POST", "/_plugins/_ml/_predict/kmeans/m1", `{"input_query":{"size":100},"input_index":["hr-payroll"]}`, true},
		{"knn train", "POST", "/_plugins/_knn/models/m/_train", `{"training_index":"hr-payroll","training_field":"v","dimension":2}`, false},
		{"rollup job", "PUT", "/_plugins/_rollup/jobs/j", `{"rollup":{"source_index":"hr-payroll","target_index":"x"}}`, false},
	}
	for _, role := range []string{"manager_dls", "manager_all_read", "reader_everything", "admin_all"} {
		for _, rq := range requests {
			t.Run(role+"/"+rq.name, func(t *testing.T) {
				forwarded := 0
				up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					forwarded++
					_, _ = w.Write([]byte(`{}`))
				})
				rec := serveAs(t, rs, md, role, up, rq.method, rq.target, "application/json", rq.body)
				allowed := role == "admin_all" || role == "reader_everything" && rq.readOnly
				if !allowed {
					if rec.Code != http.StatusForbidden || forwarded != 0 || !strings.Contains(rec.Body.String(), "with the cluster's rights") {
						t.Fatalf("want a 403 and nothing forwarded; got %d %s, forwarded %d", rec.Code, rec.Body.String(), forwarded)
					}
					return
				}
				if forwarded != 1 {
					t.Fatalf("want the request forwarded; got %d %s", rec.Code, rec.Body.String())
				}
			})
		}
	}
	// A prediction on inline data reads no index: the cluster privilege is enough.
	forwarded := 0
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { forwarded++; _, _ = w.Write([]byte(`{}`)) })
	rec := serveAs(t, rs, md, "manager_dls", up, "POST", "/_plugins/_ml/models/m1/_predict", "application/json", `{"parameters":{"inputs":"hello"}}`)
	if forwarded != 1 {
		t.Fatalf("inline prediction: want it forwarded; got %d %s", rec.Code, rec.Body.String())
	}
}

// Actions known to reach index data count whether or not their route flags
// indices in the body; those that only read need read everywhere, job
// creators read and write.
func TestClusterDataActionsWithoutBodyIndices(t *testing.T) {
	for action, readOnly := range map[string]bool{
		"cluster:admin/xpack/ml/datafeeds/put":     false,
		"cluster:admin/xpack/ml/datafeeds/preview": true,
		"cluster:admin/xpack/watcher/watch/put":    false,
		"cluster:admin/opensearch/sql":             true,
	} {
		reaches, ro := clusterDataAccess(&esapi.Classification{Action: action}, nil)
		if !reaches || ro != readOnly {
			t.Errorf("%s: reaches %v, read only %v; want true, %v", action, reaches, ro, readOnly)
		}
	}
	if reaches, _ := clusterDataAccess(&esapi.Classification{Action: "cluster:monitor/health"}, nil); reaches {
		t.Error("cluster health reaches no index data")
	}
}
