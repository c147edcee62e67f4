package dls

import (
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// F is the DLS filter the Wrap tests apply, and W(q) the wrapper around q.
const F = `{"term":{"tenant":"acme"}}`

func W(q string) string { return `{"bool":{"must":[` + q + `],"filter":[` + F + `]}}` }

const matchAllQ = `{"match_all":{}}`

func TestWrapRewrites(t *testing.T) {
	tests := []struct {
		name string
		kind BodyKind
		body string // "" for no body
		want string
	}{
		{"no body", Search, "", `{"query":` + W(matchAllQ) + `}`},
		{"no query, first", Search, `{"size":0,"track_total_hits":true}`, `{"query":` + W(matchAllQ) + `,"size":0,"track_total_hits":true}`},
		{"query kept in place", Search, `{"size":5,"query":{"match":{"m":"x"}},"from":2}`, `{"size":5,"query":` + W(`{"match":{"m":"x"}}`) + `,"from":2}`},
		{"should with msm stays inside must", Search,
			`{"query":{"bool":{"should":[{"term":{"tenant":"globex"}}],"minimum_should_match":1}}}`,
			`{"query":` + W(`{"bool":{"should":[{"term":{"tenant":"globex"}}],"minimum_should_match":1}}`) + `}`},
		{"has_child inner query wrapped", Search,
			`{"query":{"has_child":{"type":"comment","query":{"match":{"m":"z"}},"inner_hits":{}}}}`,
			`{"query":` + W(`{"has_child":{"type":"comment","query":`+W(`{"match":{"m":"z"}}`)+`,"inner_hits":{}}}`) + `}`},
		{"has_parent deep in bool wrapped", Search,
			`{"query":{"bool":{"filter":[{"has_parent":{"parent_type":"q","query":{"term":{"a":1}}}}]}}}`,
			`{"query":` + W(`{"bool":{"filter":[{"has_parent":{"parent_type":"q","query":`+W(`{"term":{"a":1}}`)+`}}]}}`) + `}`},
		{"nested untouched", Search,
			`{"query":{"nested":{"path":"c","query":{"term":{"c.x":1}},"inner_hits":{"size":1}}}}`,
			`{"query":` + W(`{"nested":{"path":"c","query":{"term":{"c.x":1}},"inner_hits":{"size":1}}}`) + `}`},
		{"opensearch knn query: filter combined inside, wrapper outside", Search,
			`{"query":{"knn":{"v":{"vector":[1,2],"k":3,"filter":{"term":{"a":1}}}}}}`,
			`{"query":` + W(`{"knn":{"v":{"vector":[1,2],"k":3,"filter":{"bool":{"filter":[{"term":{"a":1}},`+F+`]}}}}}`) + `}`},
		{"opensearch knn query without a filter gets the DLS one", Search,
			`{"query":{"bool":{"should":[{"knn":{"v":{"vector":[1,2],"k":3}}}]}}}`,
			`{"query":` + W(`{"bool":{"should":[{"knn":{"v":{"vector":[1,2],"k":3,"filter":`+F+`}}}]}}`) + `}`},
		{"opensearch neural query gets the DLS filter", Search,
			`{"query":{"neural":{"emb":{"query_text":"x","model_id":"m","k":5}}}}`,
			`{"query":` + W(`{"neural":{"emb":{"query_text":"x","model_id":"m","k":5,"filter":`+F+`}}}`) + `}`},
		{"elasticsearch knn query: DLS filter appended", Search,
			`{"query":{"knn":{"field":"v","query_vector":[1],"k":2,"filter":{"term":{"a":1}}}}}`,
			`{"query":` + W(`{"knn":{"field":"v","query_vector":[1],"k":2,"filter":[{"term":{"a":1}},`+F+`]}}`) + `}`},
		{"elasticsearch knn query in a hybrid search", Search,
			`{"query":{"hybrid":{"queries":[{"match":{"m":"x"}},{"knn":{"field":"v","query_vector":[1],"k":2}}]}}}`,
			`{"query":` + W(`{"hybrid":{"queries":[{"match":{"m":"x"}},{"knn":{"field":"v","query_vector":[1],"k":2,"filter":[`+F+`]}}]}}`) + `}`},
		{"knn-only search: filter in knn, no query added", Search,
			`{"knn":{"field":"v","query_vector":[1],"k":1,"num_candidates":5}}`,
			`{"knn":{"field":"v","query_vector":[1],"k":1,"num_candidates":5,"filter":[` + F + `]}}`},
		{"knn array with filters and a query", Search,
			`{"query":{"match":{"m":"x"}},"knn":[{"field":"v","query_vector":[1],"filter":{"term":{"a":1}}},{"field":"w","query_vector":[2],"filter":[{"term":{"b":2}}]}]}`,
			`{"query":` + W(`{"match":{"m":"x"}}`) + `,"knn":[{"field":"v","query_vector":[1],"filter":[{"term":{"a":1}},` + F + `]},{"field":"w","query_vector":[2],"filter":[{"term":{"b":2}},` + F + `]}]}`},
		{"significant_terms background", Search,
			`{"aggs":{"s":{"significant_terms":{"field":"t"}}}}`,
			`{"query":` + W(matchAllQ) + `,"aggs":{"s":{"significant_terms":{"field":"t","background_filter":` + F + `}}}}`},
		{"significant_text background combined", Search,
			`{"aggs":{"s":{"significant_text":{"field":"t","background_filter":{"term":{"x":1}}}}}}`,
			`{"query":` + W(matchAllQ) + `,"aggs":{"s":{"significant_text":{"field":"t","background_filter":` + W(`{"term":{"x":1}}`) + `}}}}`},
		{"aggs fine and nested", Search,
			`{"size":0,"aggs":{"t":{"terms":{"field":"tenant","min_doc_count":1},"aggs":{"f":{"filter":{"has_child":{"type":"c","query":{"match_all":{}}}}},"th":{"top_hits":{"size":1,"sort":[{"d":"desc"}]}}}},"smp":{"sampler":{"shard_size":10},"aggregations":{"x":{"filters":{"filters":{"a":{"term":{"a":1}}}}}}},"d":{"date_histogram":{"field":"@timestamp","calendar_interval":"day","min_doc_count":0}}}}`,
			`{"query":` + W(matchAllQ) + `,"size":0,"aggs":{"t":{"terms":{"field":"tenant","min_doc_count":1},"aggs":{"f":{"filter":{"has_child":{"type":"c","query":` + W(matchAllQ) + `}}},"th":{"top_hits":{"size":1,"sort":[{"d":"desc"}]}}}},"smp":{"sampler":{"shard_size":10},"aggregations":{"x":{"filters":{"filters":{"a":{"term":{"a":1}}}}}}},"d":{"date_histogram":{"field":"@timestamp","calendar_interval":"day","min_doc_count":0}}}}`},
		{"fine members", Search,
			`{"post_filter":{"term":{"a":1}},"rescore":{"window_size":5,"query":{"rescore_query":{"match":{"m":"x"}},"query_weight":0.5}},"collapse":{"field":"u","inner_hits":[{"name":"l","size":2,"sort":[{"d":"asc"}]}]},"highlight":{"highlight_query":{"match":{"m":"y"}},"fields":{"m":{}}},"sort":["_score",{"n":{"order":"asc","nested":{"path":"c","filter":{"term":{"c.x":1}}}}}],"stored_fields":["a"],"docvalue_fields":[{"field":"d","format":"epoch_millis"}],"fields":["*"],"_source":false,"pit":{"id":"abc","keep_alive":"1m"},"search_after":[1],"slice":{"id":0,"max":2},"indices_boost":[{"a":2}],"stats":["g"],"explain":true,"profile":false,"version":true,"seq_no_primary_term":true,"min_score":0.1,"timeout":"1s","terminate_after":10,"track_scores":true}`,
			``},
		{"join queries in every compound", Search,
			`{"query":{"dis_max":{"queries":[{"boosting":{"positive":{"has_child":{"type":"c","query":{"term":{"a":1}}}},"negative":{"match_all":{}},"negative_boost":0.5}}]}}}`,
			`{"query":` + W(`{"dis_max":{"queries":[{"boosting":{"positive":{"has_child":{"type":"c","query":`+W(`{"term":{"a":1}}`)+`}},"negative":{"match_all":{}},"negative_boost":0.5}}]}}`) + `}`},
		{"function_score filters and constant_score", Search,
			`{"query":{"function_score":{"query":{"constant_score":{"filter":{"has_parent":{"parent_type":"p","query":{"match_all":{}}}}}},"functions":[{"filter":{"has_child":{"type":"c","query":{"term":{"b":1}}}},"weight":2},{"gauss":{"d":{"origin":"now","scale":"1d"}}}]}}}`,
			`{"query":` + W(`{"function_score":{"query":{"constant_score":{"filter":{"has_parent":{"parent_type":"p","query":`+W(matchAllQ)+`}}}},"functions":[{"filter":{"has_child":{"type":"c","query":`+W(`{"term":{"b":1}}`)+`}},"weight":2},{"gauss":{"d":{"origin":"now","scale":"1d"}}}]}}`) + `}`},
		{"pinned and rule", Search,
			`{"query":{"pinned":{"ids":["1"],"docs":[{"_index":"i","_id":"2"}],"organic":{"rule":{"match_criteria":{"q":"x"},"ruleset_ids":["r"],"organic":{"match":{"m":"x"}}}}}}}`,
			`{"query":` + W(`{"pinned":{"ids":["1"],"docs":[{"_index":"i","_id":"2"}],"organic":{"rule":{"match_criteria":{"q":"x"},"ruleset_ids":["r"],"organic":{"match":{"m":"x"}}}}}}`) + `}`},
		{"more_like_this with texts and artificial documents", Search,
			`{"query":{"more_like_this":{"fields":["m"],"like":["text",{"doc":{"m":"x"}},{"_index":"i","doc":{"m":"y"}}],"unlike":"z"}}}`,
			`{"query":` + W(`{"more_like_this":{"fields":["m"],"like":["text",{"doc":{"m":"x"}},{"_index":"i","doc":{"m":"y"}}],"unlike":"z"}}`) + `}`},
		{"percolate inline documents", Search,
			`{"query":{"percolate":{"field":"q","documents":[{"m":"x"}]}}}`,
			`{"query":` + W(`{"percolate":{"field":"q","documents":[{"m":"x"}]}}`) + `}`},
		{"sort and highlight forms", Search,
			`{"sort":[{"a":{"nested_filter":{"has_child":{"type":"c","query":{"match_all":{}}}}}},{"b":{"nested":{"path":"x","nested":{"path":"x.y","filter":{"term":{"x.y.z":1}}}}}},{"_geo_distance":{"loc":[1,2],"order":"asc"}}],"highlight":{"fields":[{"m":{"highlight_query":{"match":{"m":"q"}}}}]}}`,
			`{"query":` + W(matchAllQ) + `,"sort":[{"a":{"nested_filter":{"has_child":{"type":"c","query":` + W(matchAllQ) + `}}}},{"b":{"nested":{"path":"x","nested":{"path":"x.y","filter":{"term":{"x.y.z":1}}}}}},{"_geo_distance":{"loc":[1,2],"order":"asc"}}],"highlight":{"fields":[{"m":{"highlight_query":{"match":{"m":"q"}}}}]}}`},
		{"aggregation filters", Search,
			`{"aggs":{"f":{"filters":{"filters":[{"term":{"a":1}},{"has_child":{"type":"c","query":{"match_all":{}}}}]}},"m":{"adjacency_matrix":{"filters":{"x":{"term":{"a":1}}}}},"i":{"frequent_item_sets":{"fields":[{"field":"a"}],"filter":{"has_parent":{"parent_type":"p","query":{"match_all":{}}}}}},"t":{"top_metrics":{"metrics":{"field":"n"},"sort":{"d":"desc"}}},"c":{"composite":{"sources":[{"a":{"terms":{"field":"a"}}}]}}}}`,
			`{"query":` + W(matchAllQ) + `,"aggs":{"f":{"filters":{"filters":[{"term":{"a":1}},{"has_child":{"type":"c","query":` + W(matchAllQ) + `}}]}},"m":{"adjacency_matrix":{"filters":{"x":{"term":{"a":1}}}}},"i":{"frequent_item_sets":{"fields":[{"field":"a"}],"filter":{"has_parent":{"parent_type":"p","query":` + W(matchAllQ) + `}}}},"t":{"top_metrics":{"metrics":{"field":"n"},"sort":{"d":"desc"}}},"c":{"composite":{"sources":[{"a":{"terms":{"field":"a"}}}]}}}}`},
		{"empty script members", Search, `{"script_fields":{},"runtime_mappings":{}}`, ``},
		{"count", Count, `{"query":{"term":{"a":1}}}`, `{"query":` + W(`{"term":{"a":1}}`) + `}`},
		{"count without body", Count, ``, `{"query":` + W(matchAllQ) + `}`},
		{"explain", Explain, `{"query":{"ids":{"values":["1"]}}}`, `{"query":` + W(`{"ids":{"values":["1"]}}`) + `}`},
		// _validate/query reads no document: checked, not wrapped, so that
		// its explanation does not print the role query.
		{"validate", ValidateQuery, `{"query":{"match":{"m":"x"}}}`, `{"query":{"match":{"m":"x"}}}`},
		{"validate without body", ValidateQuery, ``, `{"query":` + matchAllQ + `}`},
		{"validate with has_child", ValidateQuery, `{"query":{"has_child":{"type":"c","query":{"term":{"b":1}}}}}`, `{"query":{"has_child":{"type":"c","query":{"term":{"b":1}}}}}`},
		{"delete by query", DeleteByQuery, `{"query":{"term":{"a":1}},"max_docs":5,"conflicts":"proceed"}`, `{"query":` + W(`{"term":{"a":1}}`) + `,"max_docs":5,"conflicts":"proceed"}`},
		{"update by query without script", UpdateByQuery, `{"query":{"term":{"a":1}}}`, `{"query":` + W(`{"term":{"a":1}}`) + `}`},
		{"knn search", KnnSearch, `{"knn":{"field":"v","query_vector":[1],"k":1,"num_candidates":2},"_source":["a"]}`,
			`{"knn":{"field":"v","query_vector":[1],"k":1,"num_candidates":2},"_source":["a"],"filter":[` + F + `]}`},
		{"knn search with filter", KnnSearch, `{"knn":{"field":"v","query_vector":[1]},"filter":{"term":{"a":1}}}`,
			`{"knn":{"field":"v","query_vector":[1]},"filter":[{"term":{"a":1}},` + F + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *esbody.Object
			if tt.body != "" {
				body = mustObject(t, tt.body)
			}
			before := ""
			if body != nil {
				before = encode(t, body)
			}
			got, err := Wrap(tt.kind, body, mustParse(t, F))
			if err != nil {
				t.Fatalf("Wrap: %v", err)
			}
			want := tt.want
			if want == "" { // unchanged apart from the wrapper
				in := mustObject(t, tt.body)
				want = encode(t, withQueryFirst(in, W(matchAllQ), t))
			}
			if s := encode(t, got); s != canonical(t, want) {
				t.Fatalf("Wrap =\n%s\nwant\n%s", s, canonical(t, want))
			}
			if body != nil && encode(t, body) != before {
				t.Fatal("Wrap modified its input")
			}
		})
	}
}

func withQueryFirst(o *esbody.Object, q string, t *testing.T) *esbody.Object {
	out := &esbody.Object{}
	out.Set("query", mustParse(t, q))
	for n, v := range o.All() {
		out.Set(n, v)
	}
	return out
}

func TestWrapRefusals(t *testing.T) {
	tests := []struct {
		name   string
		kind   BodyKind
		body   string
		status int
		reason string
	}{
		{"suggest", Search, `{"suggest":{"s":{"text":"x","term":{"field":"m"}}}}`, 400, "Suggest isn't supported if document level security is enabled"},
		{"empty suggest", Search, `{"suggest":{}}`, 400, "Suggest isn't supported"},
		{"profile", Search, `{"profile":true}`, 400, "A search request cannot be profiled if document level security is enabled"},
		{"profile as string", Search, `{"profile":"true"}`, 400, "cannot be profiled"},
		{"global agg", Search, `{"size":0,"aggs":{"g":{"global":{},"aggs":{"th":{"top_hits":{"size":20}}}}}}`, 400, "global aggregations"},
		{"nested global agg", Search, `{"aggs":{"t":{"terms":{"field":"a"},"aggs":{"g":{"global":{}}}}}}`, 400, "global aggregations"},
		{"children agg", Search, `{"aggs":{"c":{"children":{"type":"answer"}}}}`, 400, "children aggregations"},
		{"parent agg", Search, `{"aggs":{"c":{"parent":{"type":"answer"}}}}`, 400, "parent aggregations"},
		{"min_doc_count 0", Search, `{"aggs":{"t":{"terms":{"field":"user.name","min_doc_count":0}}}}`, 400, "min_doc_count 0"},
		{"min_doc_count \"0\"", Search, `{"aggs":{"t":{"multi_terms":{"terms":[{"field":"a"}],"min_doc_count":"0"}}}}`, 400, "min_doc_count 0"},
		{"significant min_doc_count 0", Search, `{"aggs":{"t":{"significant_terms":{"field":"a","min_doc_count":0}}}}`, 400, "min_doc_count 0"},
		// The cluster reads min_doc_count as a long, truncating fractions
		// (0.4, "0.99", -0.5 all mean 0): each lists hidden terms.
		{"min_doc_count 0.4", Search, `{"aggs":{"t":{"terms":{"field":"user.name","min_doc_count":0.4}}}}`, 400, "min_doc_count 0"},
		{"min_doc_count \"0.99\"", Search, `{"aggs":{"t":{"terms":{"field":"user.name","min_doc_count":"0.99"}}}}`, 400, "min_doc_count 0"},
		{"min_doc_count -0.5", Search, `{"aggs":{"t":{"terms":{"field":"user.name","min_doc_count":-0.5}}}}`, 400, "min_doc_count 0"},
		{"min_doc_count \"-0.9\"", Search, `{"aggs":{"t":{"significant_terms":{"field":"a","min_doc_count":"-0.9"}}}}`, 400, "min_doc_count 0"},
		{"min_doc_count 9e-1", Search, `{"aggs":{"t":{"multi_terms":{"terms":[{"field":"a"}],"min_doc_count":9e-1}}}}`, 400, "min_doc_count 0"},
		{"min_doc_count \"+0\"", Search, `{"aggs":{"t":{"terms":{"field":"a","min_doc_count":"+0"}}}}`, 400, "min_doc_count 0"},
		{"min_doc_count 1e-400", Search, `{"aggs":{"t":{"terms":{"field":"a","min_doc_count":1e-400}}}}`, 400, "min_doc_count 0"},
		{"validate: script query", ValidateQuery, `{"query":{"script":{"script":"true"}}}`, 400, "scripts"},
		{"validate: terms lookup", ValidateQuery, `{"query":{"terms":{"a":{"index":"i","id":"1","path":"p"}}}}`, 400, "terms"},
		{"validate: other member", ValidateQuery, `{"query":{"match_all":{}},"size":1}`, 400, "query"},
		{"script query", Search, `{"query":{"bool":{"filter":{"script":{"script":"doc['a'].value > 1"}}}}}`, 400, "scripts"},
		{"script_score query", Search, `{"query":{"script_score":{"query":{"match_all":{}},"script":{"source":"1"}}}}`, 400, "scripts"},
		{"function_score script", Search, `{"query":{"function_score":{"functions":[{"script_score":{"script":"1"}}]}}}`, 400, "scripts"},
		{"function_score script shorthand", Search, `{"query":{"function_score":{"query":{"match_all":{}},"script_score":{"script":"1"}}}}`, 400, "scripts"},
		{"script_fields", Search, `{"script_fields":{"x":{"script":"1"}}}`, 400, "scripts"},
		{"runtime_mappings", Search, `{"runtime_mappings":{"x":{"type":"keyword","script":"emit('a')"}}}`, 400, "scripts"},
		{"derived", Search, `{"derived":{"x":{"type":"keyword","script":"emit('a')"}}}`, 400, "scripts"},
		{"scripted_metric", Search, `{"aggs":{"s":{"scripted_metric":{"map_script":"x"}}}}`, 400, "scripts"},
		{"script in terms agg", Search, `{"aggs":{"t":{"terms":{"script":{"source":"doc['a']"}}}}}`, 400, "scripts"},
		{"bucket_script", Search, `{"aggs":{"h":{"histogram":{"field":"n","interval":1},"aggs":{"b":{"bucket_script":{"buckets_path":{},"script":"1"}}}}}}`, 400, "scripts"},
		{"script sort", Search, `{"sort":{"_script":{"type":"number","script":"1"}}}`, 400, "scripts"},
		{"script sort in top_hits", Search, `{"aggs":{"t":{"top_hits":{"sort":[{"_script":{"script":"1"}}]}}}}`, 400, "scripts"},
		{"script_fields in inner_hits", Search, `{"query":{"nested":{"path":"c","query":{"match_all":{}},"inner_hits":{"script_fields":{"x":{"script":"1"}}}}}}`, 400, "scripts"},
		{"terms lookup", Search, `{"query":{"terms":{"user":{"index":"users","id":"2","path":"followers"}}}}`, 400, "terms lookup"},
		{"terms lookup in post_filter", Search, `{"post_filter":{"terms":{"user":{"index":"users","id":"2","path":"f"}}}}`, 400, "terms lookup"},
		{"terms lookup in highlight", Search, `{"highlight":{"fields":{"m":{"highlight_query":{"terms":{"m":{"index":"i","id":"1","path":"p"}}}}}}}`, 400, "terms lookup"},
		{"terms lookup in agg filter", Search, `{"aggs":{"f":{"filter":{"terms":{"m":{"index":"i","id":"1","path":"p"}}}}}}`, 400, "terms lookup"},
		{"terms lookup in rescore", Search, `{"rescore":{"query":{"rescore_query":{"terms":{"m":{"index":"i","id":"1","path":"p"}}}}}}`, 400, "terms lookup"},
		{"terms lookup in sort filter", Search, `{"sort":[{"n":{"nested":{"path":"c","filter":{"terms":{"m":{"index":"i","id":"1","path":"p"}}}}}}]}`, 400, "terms lookup"},
		{"terms lookup in knn filter", Search, `{"knn":{"field":"v","query_vector":[1],"filter":{"terms":{"m":{"index":"i","id":"1","path":"p"}}}}}`, 400, "terms lookup"},
		{"more_like_this by id", Search, `{"query":{"more_like_this":{"fields":["m"],"like":[{"_index":"logs-globex-2024","_id":"gxid-01"}]}}}`, 400, "documents by id"},
		{"more_like_this unlike by id", Search, `{"query":{"more_like_this":{"fields":["m"],"like":"text","unlike":{"_id":"1"}}}}`, 400, "documents by id"},
		{"percolate stored doc", Search, `{"query":{"percolate":{"field":"query","index":"hr-payroll","id":"pay-001"}}}`, 400, "percolating a stored document"},
		{"indexed shape", Search, `{"query":{"geo_shape":{"loc":{"indexed_shape":{"index":"shapes","id":"1","path":"s"}}}}}`, 400, "indexed shapes"},
		{"terms_set script", Search, `{"query":{"terms_set":{"t":{"terms":["a"],"minimum_should_match_script":{"source":"1"}}}}}`, 400, "scripts"},
		{"intervals script", Search, `{"query":{"intervals":{"m":{"match":{"query":"a","filter":{"script":{"source":"true"}}}}}}}`, 400, "scripts"},
		{"wrapper", Search, `{"query":{"wrapper":{"query":"eyJtYXRjaF9hbGwiOnt9fQ=="}}}`, 400, "wrapper"},
		{"unknown query", Search, `{"query":{"frobnicate":{"x":1}}}`, 400, "query type [frobnicate]"},
		{"unknown agg", Search, `{"aggs":{"x":{"frobnicate":{}}}}`, 400, "aggregation type [frobnicate]"},
		{"unknown member", Search, `{"frobnicate":1}`, 400, "[frobnicate] is not a search body member"},
		{"retriever", Search, `{"retriever":{"standard":{"query":{"match_all":{}}}}}`, 400, "[retriever]"},
		{"sub_searches", Search, `{"sub_searches":[{"query":{"match_all":{}}}]}`, 400, "[sub_searches]"},
		{"rank", Search, `{"rank":{"rrf":{}}}`, 400, "[rank]"},
		{"ext", Search, `{"ext":{"x":{}}}`, 400, "[ext]"},
		{"search_pipeline", Search, `{"search_pipeline":{"request_processors":[]}}`, 400, "[search_pipeline]"},
		{"ltr rescorer", Search, `{"rescore":{"window_size":5,"learning_to_rank":{"model_id":"m"}}}`, 400, "rescorer"},
		{"update by query script", UpdateByQuery, `{"script":{"source":"ctx._source.tenant='acme'"}}`, 400, "[script]"},
		{"script in a search", Search, `{"script":{"source":"1"}}`, 400, "[script] is not a search body member"},
		{"max_docs in a search", Search, `{"max_docs":1}`, 400, "[max_docs] is not a search body member"},
		{"count with more than query", Count, `{"query":{"match_all":{}},"size":1}`, 400, "does not support [size]"},
		{"knn search unknown", KnnSearch, `{"knn":{},"aggs":{}}`, 400, "_knn_search"},
		{"two query types", Search, `{"query":{"match_all":{},"term":{"a":1}}}`, 400, "exactly one query type"},
		{"query not an object", Search, `{"query":"x"}`, 400, "must be a query object"},
		{"agg with two types", Search, `{"aggs":{"x":{"terms":{"field":"a"},"avg":{"field":"b"}}}}`, 400, "exactly one aggregation type"},
		{"script in top_metrics sort", Search, `{"aggs":{"t":{"top_metrics":{"metrics":{"field":"n"},"sort":{"_script":{"script":"1"}}}}}}`, 400, "scripts"},
		{"script in composite source", Search, `{"aggs":{"c":{"composite":{"sources":[{"a":{"terms":{"script":"1"}}}]}}}}`, 400, "scripts"},
		{"script in frequent_item_sets", Search, `{"aggs":{"i":{"frequent_item_sets":{"fields":[{"field":"a"}],"script":"1"}}}}`, 400, "scripts"},
		{"terms lookup in filters array", Search, `{"aggs":{"f":{"filters":{"filters":[{"terms":{"a":{"index":"i","id":"1","path":"p"}}}]}}}}`, 400, "terms lookup"},
		{"unknown structure in knn", Search, `{"query":{"knn":{"v":{"vector":[1],"sneaky":{"terms":{"a":{"index":"i","id":"1"}}}}}}}`, 400, "sneaky"},
		{"script sort option", Search, `{"sort":{"a":{"script":"1"}}}`, 400, "scripts"},
		{"inner_hits unknown structure", Search, `{"collapse":{"field":"a","inner_hits":{"name":"x","sneaky":{"a":1}}}}`, 400, "sneaky"},
		{"collapse unknown structure", Search, `{"collapse":{"field":"a","sneaky":{"a":1}}}`, 400, "sneaky"},
		{"rescore unknown structure", Search, `{"rescore":[{"query":{"rescore_query":{"match_all":{}},"sneaky":{"a":1}}}]}`, 400, "sneaky"},
		{"filters unknown structure", Search, `{"aggs":{"f":{"filters":{"filters":{},"sneaky":{"a":1}}}}}`, 400, "sneaky"},
		{"unknown structured member in bool", Search, `{"query":{"bool":{"must":{"match_all":{}},"sneaky":{"terms":{"a":{"index":"i","id":"1"}}}}}}`, 400, "[query.bool.sneaky]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Wrap(tt.kind, mustObject(t, tt.body), mustParse(t, F))
			wantRefusal(t, err, tt.status, tt.reason)
		})
	}
	if _, err := Wrap(Search, nil, nil); err == nil {
		t.Fatal("Wrap without a filter succeeded")
	}
}

// TestWrapCorpusCases runs the search bodies of the dls-side-channel
// corpus cases through Wrap: each is refused or wrapped.
func TestWrapCorpusCases(t *testing.T) {
	cases := map[string]string{
		"DLS-001": `{"size":0,"aggs":{"g":{"global":{},"aggs":{"th":{"top_hits":{"size":20}}}}}}`,
		"DLS-003": `{"size":0,"aggs":{"t":{"terms":{"field":"tenant"}},"u":{"terms":{"field":"user.name","size":50}}}}`,
		"DLS-005": `{"size":50,"query":{"bool":{"should":[{"term":{"tenant":"globex"}}],"minimum_should_match":1}}}`,
		"DLS-007": `{"size":0,"track_total_hits":true}`,
		"DLS-015": `{"size":50,"query":{"more_like_this":{"fields":["message"],"like":[{"_index":"logs-globex-2024","_id":"gxid-01"}],"min_term_freq":1,"min_doc_freq":1,"minimum_should_match":"1"}}}`,
		"DLS-017": `{"size":50,"query":{"has_child":{"type":"comment","query":{"match":{"message":"zebraquark"}},"inner_hits":{}}}}`,
		"DLS-019": `{"query":{"match_all":{}}}`,
		"DLS-021": `{"query":{"percolate":{"field":"query","index":"hr-payroll","id":"pay-001"}}}`,
	}
	refused := map[string]bool{"DLS-001": true, "DLS-015": true, "DLS-021": true}
	for id, body := range cases {
		out, err := Wrap(Search, mustObject(t, body), mustParse(t, F))
		if refused[id] {
			if err == nil {
				t.Errorf("%s: forwarded %s", id, encode(t, out))
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if !topLevelWrapped(out, mustParse(t, F)) {
			t.Errorf("%s: not wrapped: %s", id, encode(t, out))
		}
		if id == "DLS-017" && strings.Count(encode(t, out), F) != 2 {
			t.Errorf("%s: has_child inner query not filtered: %s", id, encode(t, out))
		}
	}
}

// topLevelWrapped reports whether body's query is exactly
// bool{must:[x], filter:[filter]}.
func topLevelWrapped(body *esbody.Object, filter esbody.Value) bool {
	q, ok := body.Get("query")
	if !ok {
		return false
	}
	b, ok := esbody.Lookup(q, "bool")
	bo, isObj := b.(*esbody.Object)
	if !ok || !isObj || bo.Len() != 2 || q.(*esbody.Object).Len() != 1 {
		return false
	}
	must, _ := bo.Get("must")
	f, _ := bo.Get("filter")
	ma, ok1 := must.(esbody.Array)
	fa, ok2 := f.(esbody.Array)
	return ok1 && ok2 && len(ma) == 1 && len(fa) == 1 && esbody.Equal(fa[0], filter) && bo.At(0).Name == "must"
}

func TestWrapStatusIsBadRequest(t *testing.T) {
	_, err := WrapSearch(mustObject(t, `{"suggest":{}}`), mustParse(t, F))
	if r, ok := err.(*Refusal); !ok || r.ESError().Status != http.StatusBadRequest || r.ESError().Type != TypeSecurity {
		t.Fatalf("refusal = %#v", err)
	}
}

func TestExplicitRefusals(t *testing.T) {
	for _, r := range []*Refusal{RefuseSearchTemplate(), RefuseStoredScript()} {
		e := r.ESError()
		if e.Status != http.StatusBadRequest || e.Type != TypeSecurity || !strings.Contains(e.Reason, "document level security") {
			t.Fatalf("refusal = %+v", e)
		}
	}
	cause := errors.New("secret role detail")
	r := RoleQueryRefusal("logs", cause)
	if !errors.Is(r, cause) || strings.Contains(r.ESError().Reason, "secret") || r.Status != http.StatusForbidden {
		t.Fatalf("RoleQueryRefusal = %v / %+v", r, r.ESError())
	}
}

func TestBodyKindNames(t *testing.T) {
	for k, want := range map[BodyKind]string{Search: "_search", Count: "_count", Explain: "_explain", ValidateQuery: "_validate/query",
		DeleteByQuery: "_delete_by_query", UpdateByQuery: "_update_by_query", KnnSearch: "_knn_search", 0: "unknown"} {
		if k.String() != want {
			t.Errorf("%d.String() = %s, want %s", k, k, want)
		}
	}
	if _, err := Wrap(BodyKind(99), nil, mustParse(t, F)); err == nil {
		t.Fatal("unknown kind accepted")
	}
}

// TestWrapFilterCopiesBounded: each kNN query (and has_child, has_parent,
// significant terms background) gets its own copy of the DLS filter, so a
// body repeating one many times grew by the filter's size each time (820 KB
// of kNN queries became 570 MB in the proxy). Past maxFilterCopyBytes of
// copies the body is refused; a body with a few copies is wrapped.
func TestWrapFilterCopiesBounded(t *testing.T) {
	filter := mustParse(t, `{"bool":{"should":[{"bool":{"filter":[{"terms":{"_index":["logs-a","logs-b","logs-c"]}},{"term":{"tenant":"`+strings.Repeat("a", 400)+`"}}]}}]}}`)
	knn := `{"knn":{"v":{"vector":[1],"k":1}}}`
	body := func(n int) *esbody.Object {
		return mustObject(t, `{"query":{"bool":{"should":[`+strings.TrimSuffix(strings.Repeat(knn+",", n), ",")+`]}}}`)
	}
	big := body(100000)
	var err error
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Wrap(Search, big, filter)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "too many places") {
		t.Errorf("100000 kNN queries: %v, want a refusal", err)
	}
	// Refused within the copy budget (16 MiB), not after 100,000 copies
	// of a 500-byte filter (about 3 GB of JSON values).
	if n := after.TotalAlloc - before.TotalAlloc; n > 512<<20 {
		t.Errorf("100000 kNN queries: %d MiB allocated before the refusal", n>>20)
	}
	out, err := Wrap(Search, body(10), filter)
	if err != nil {
		t.Fatalf("10 kNN queries: %v", err)
	}
	raw, _ := esbody.Encode(out)
	if n := strings.Count(string(raw), strings.Repeat("a", 400)); n != 11 {
		t.Errorf("10 kNN queries: %d filter copies, want 11 (one each and the root)", n)
	}
}
