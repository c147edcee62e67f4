package server

import (
	"encoding/base64"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// A document reference inside a wrapper query (base64 of a query, decoded
// by the cluster) is a reference; a wrapper the proxy cannot read as JSON
// counts as one (fail closed).
func TestReferencesOtherDocumentsInWrappers(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	lookup := `{"terms":{"f":{"index":"secret","id":"1","path":"p"}}}`
	wrapper := func(q string) string { return `{"wrapper":{"query":"` + q + `"}}` }
	for _, tc := range []struct {
		name, body string
		want       bool
	}{
		{"plain lookup", `{"query":` + lookup + `}`, true},
		{"lookup in a wrapper", `{"query":` + wrapper(b64(lookup)) + `}`, true},
		{"lookup in a wrapper without padding", `{"query":` + wrapper(base64.RawStdEncoding.EncodeToString([]byte(lookup))) + `}`, true},
		{"lookup in a wrapper in a wrapper", `{"query":` + wrapper(b64(`{"bool":{"filter":[`+wrapper(b64(lookup))+`]}}`)) + `}`, true},
		{"lookup in a wrapper in an aggregation", `{"aggs":{"a":{"filter":` + wrapper(b64(lookup)) + `}}}`, true},
		{"more_like_this in a wrapper", `{"query":` + wrapper(b64(`{"more_like_this":{"like":[{"_index":"s","_id":"1"}]}}`)) + `}`, true},
		{"a wrapper that is not base64", `{"query":` + wrapper("%%%") + `}`, true},
		{"a wrapper that is not JSON (YAML, CBOR, SMILE)", `{"query":` + wrapper(b64("terms:\n  f:\n    index: secret\n    id: '1'\n")) + `}`, true},
		{"more_like_this artificial document of another index", `{"query":{"more_like_this":{"fields":["f"],"like":[{"_index":"secret","doc":{"f":"x"}}]}}}`, true},
		{"more_like_this artificial document of the searched index", `{"query":{"more_like_this":{"fields":["f"],"like":[{"doc":{"f":"x"}}]}}}`, false},
		{"a term query on _index", `{"query":{"term":{"_index":"secret"}}}`, false},
		{"terms lookup by query (OpenSearch 3.2+)", `{"query":{"terms":{"f":{"index":"secret","path":"p","query":{"match_all":{}}}}}}`, true},
		{"terms lookup by query in a wrapper", `{"query":` + wrapper(b64(`{"terms":{"f":{"index":"secret","path":"p","query":{"match_all":{}}}}}`)) + `}`, true},
		{"plain terms", `{"query":{"terms":{"f":["a","b"],"boost":2}}}`, false},
		{"terms aggregation", `{"aggs":{"t":{"terms":{"field":"index","size":3,"order":{"index":"desc"}},"aggs":{"index":{"max":{"field":"n"}}}}}}`, false},
		{"lookup runtime field (Elasticsearch 8.2+)", `{"runtime_mappings":{"who":{"type":"lookup","target_index":"secret","input_field":"user","target_field":"name","fetch_fields":["salary"]}},"fields":["who"]}`, true},
		{"a keyword runtime field", `{"runtime_mappings":{"day":{"type":"keyword","script":"emit('x')"}}}`, false},
		{"indexed shape in the default index", `{"query":{"geo_shape":{"loc":{"indexed_shape":{"id":"s1","path":"shape"}}}}}`, true},
		{"indexed shape in the default index, in a wrapper", `{"query":` + wrapper(b64(`{"shape":{"geometry":{"indexed_shape":{"id":"s1"}}}}`)) + `}`, true},
		{"a field called indexed_shape", `{"query":{"term":{"indexed_shape":"x"}}}`, false},
		{"a harmless wrapper", `{"query":` + wrapper(b64(`{"term":{"f":"v"}}`)) + `}`, false},
		{"a field called wrapper", `{"query":{"term":{"wrapper":{"value":"x"}}}}`, false},
		{"no reference", `{"query":{"match_all":{}}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := esbody.ParseJSON([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := referencesOtherDocuments(v); got != tc.want {
				t.Errorf("referencesOtherDocuments(%s) = %v, want %v", tc.body, got, tc.want)
			}
		})
	}
}

// A percolator field defined anywhere in a mapping-carrying body.
func TestDefinesPercolator(t *testing.T) {
	for _, tc := range []struct {
		name, action, body string
		want               bool
	}{
		{"create with a percolator field", "indices:admin/create", `{"mappings":{"properties":{"q":{"type":"percolator"}}}}`, true},
		{"a nested one", "indices:admin/mapping/put", `{"properties":{"o":{"properties":{"q":{"type":"percolator"}}}}}`, true},
		{"a dynamic template", "indices:admin/mapping/put", `{"dynamic_templates":[{"p":{"match":"q*","mapping":{"type":"percolator"}}}]}`, true},
		{"a dotted type key", "indices:admin/mapping/put", `{"properties":{"q":{"a.type":"percolator"}}}`, true},
		{"an index template", "indices:admin/index_template/put", `{"index_patterns":["x*"],"template":{"mappings":{"properties":{"q":{"type":"percolator"}}}}}`, true},
		{"a component template", "cluster:admin/component_template/put", `{"template":{"mappings":{"properties":{"q":{"type":"percolator"}}}}}`, true},
		{"a rollover", "indices:admin/rollover", `{"mappings":{"properties":{"q":{"type":"percolator"}}}}`, true},
		{"other types", "indices:admin/create", `{"mappings":{"properties":{"q":{"type":"keyword"}}}}`, false},
		{"a document, not a mapping", "indices:data/write/index", `{"type":"percolator"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := esbody.ParseJSON([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			c := &esapi.Classification{Action: tc.action}
			if got := definesPercolator(c, &parsedBody{json: v}); got != tc.want {
				t.Errorf("definesPercolator(%s, %s) = %v, want %v", tc.action, tc.body, got, tc.want)
			}
		})
	}
}

// Update bodies with a script are the scripted writes.
func TestHasScript(t *testing.T) {
	for body, want := range map[string]bool{
		`{"script":{"source":"ctx._source.a = 1"}}`: true,
		`{"doc":{"script":"not a script"}}`:         false,
		`{"doc":{"a":1}}`:                           false,
	} {
		v, err := esbody.ParseJSON([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if got := hasScript(v); got != want {
			t.Errorf("hasScript(%s) = %v, want %v", body, got, want)
		}
	}
	var none *esbody.Object
	if hasScript(none) {
		t.Error("hasScript(nil object) = true")
	}
}

// A cluster action's body that references documents makes the cluster read
// them with its own rights, whatever cluster privilege allowed the action:
// a stored search pipeline's filter_query runs a terms lookup in the
// searches of every user who names the pipeline, a model search runs its
// query on a system index. The cluster privilege (manage here) is not
// access to the documents: only a user who may read every index may send
// one.
func TestClusterActionDocumentReferencesNeedReadEverything(t *testing.T) {
	roles := `
cluster_admin:
  cluster: [manage]
  indices:
    - names: ["logs-*"]
      privileges: [all]
`
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-payroll"}}, nil, nil)
	lookup := `{"terms":{"user":{"index":"hr-payroll","id":"1","path":"names"}}}`
	why := []string{"reads documents by index and id"}
	tests := []fullAccessCase{
		{name: "search pipeline with a lookup", method: "PUT", target: "/_search/pipeline/p", body: `{"request_processors":[{"filter_query":{"query":` + lookup + `}}]}`, refused: true, why: why},
		{name: "search pipeline with a lookup in a wrapper", method: "PUT", target: "/_search/pipeline/p",
			body: `{"request_processors":[{"filter_query":{"query":{"wrapper":{"query":"` + base64.StdEncoding.EncodeToString([]byte(lookup)) + `"}}}}]}`, refused: true, why: why},
		{name: "k-NN model search with a lookup", method: "POST", target: "/_plugins/_knn/models/_search", body: `{"query":` + lookup + `}`, refused: true, why: why},
		{name: "stored template with a lookup", method: "PUT", target: "/_scripts/t", body: `{"script":{"lang":"mustache","source":{"query":` + lookup + `}}}`, refused: true, why: why},
		{name: "search pipeline without a lookup", method: "PUT", target: "/_search/pipeline/p", body: `{"request_processors":[{"filter_query":{"query":{"term":{"user":"a"}}}}]}`},
		// Naming a stored pipeline makes the proxy read it from the cluster
		// first (e2e TestStoredSearchPipelineLookupRefused); this fixture
		// has none to ask: refused, fail closed.
		{name: "search naming a pipeline it cannot read", method: "POST", target: "/logs-a/_search?search_pipeline=p", body: `{"query":{"match_all":{}}}`, refused: true, why: []string{"cannot be read"}},
		{name: "search naming no pipeline", method: "POST", target: "/logs-a/_search?search_pipeline=_none", body: `{"query":{"match_all":{}}}`},
	}
	runFullAccessTable(t, roles, "cluster_admin", md, tests)
}

// Full access for a request's own action is not read access: a reference
// in it reads any index, restricted ones included, with the cluster's
// rights. view_index_metadata on every index allows _validate/query, whose
// explanation of a terms lookup lists the looked-up values; manage on
// every index allows an alias whose filter runs a lookup in everyone's
// searches; read on every non-restricted index still lets a lookup read a
// restricted one. Only reading every index, restricted ones included,
// without DLS/FLS, allows references.
func TestDocumentReferencesNeedReadEverything(t *testing.T) {
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "hr-payroll"}}, nil, nil)
	lookup := `{"terms":{"user":{"index":"hr-payroll","id":"1","path":"names"}}}`
	why := []string{"reads documents by index and id"}
	runFullAccessTable(t, `
metadata_viewer:
  indices:
    - names: ["*"]
      privileges: [view_index_metadata]
      allow_restricted_indices: true
    - names: ["logs-*"]
      privileges: [read]
`, "metadata_viewer", md, []fullAccessCase{
		{name: "validate with a lookup", method: "POST", target: "/logs-a/_validate/query?explain=true&rewrite=true", body: `{"query":` + lookup + `}`, refused: true, why: why},
		{name: "validate", method: "POST", target: "/logs-a/_validate/query?explain=true", body: `{"query":{"term":{"user":"a"}}}`},
	})
	runFullAccessTable(t, `
index_manager:
  indices:
    - names: ["*"]
      privileges: [manage]
      allow_restricted_indices: true
    - names: ["logs-*"]
      privileges: [read]
`, "index_manager", md, []fullAccessCase{
		{name: "alias filter with a lookup", method: "POST", target: "/_aliases", body: `{"actions":[{"add":{"index":"logs-a","alias":"logs-view","filter":` + lookup + `}}]}`, refused: true, why: why},
		{name: "alias filter", method: "POST", target: "/_aliases", body: `{"actions":[{"add":{"index":"logs-a","alias":"logs-view","filter":{"term":{"user":"a"}}}}]}`},
	})
	runFullAccessTable(t, `
reader_not_restricted:
  indices:
    - names: ["*"]
      privileges: [read]
`, "reader_not_restricted", md, []fullAccessCase{
		{name: "lookup into a restricted index", method: "POST", target: "/logs-a/_search", body: `{"query":{"terms":{"user":{"index":".tasks","id":"n:1","path":"task.description"}}}}`, refused: true, why: why},
		{name: "search", method: "POST", target: "/logs-a/_search", body: `{"query":{"term":{"user":"a"}}}`},
	})
}
