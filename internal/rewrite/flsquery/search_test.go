package flsquery

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// TestSearchMembers checks the search body's top-level members.
func TestSearchMembers(t *testing.T) {
	n := neutral
	cases := []rewriteCase{
		{name: "plain members pass", body: `{"from":0,"size":5,"track_total_hits":true,"timeout":"1s","profile":true,"search_after":[1],"indices_boost":[{"a":2}],"stats":["g"],"min_score":0.5,"version":true,"explain":true,"pit":{"id":"x"}}`,
			want: `{"from":0,"size":5,"track_total_hits":true,"timeout":"1s","profile":true,"search_after":[1],"indices_boost":[{"a":2}],"stats":["g"],"min_score":0.5,"version":true,"explain":true,"pit":{"id":"x"}}`},
		{name: "unknown member", body: `{"query":{"match_all":{}},"frobnicate":1}`, refuse: "option [frobnicate]"},
		{name: "script_fields", body: `{"script_fields":{"a":{"script":"1"}}}`, refuse: "[script_fields]"},
		{name: "kibana empty objects", body: `{"script_fields":{},"runtime_mappings":{},"stored_fields":["*"],"fields":[{"field":"*","include_unmapped":"true"}]}`,
			want: `{"script_fields":{},"runtime_mappings":{},"stored_fields":["*"],"fields":[{"field":"*","include_unmapped":"true"}]}`},
		{name: "runtime_mappings", body: `{"runtime_mappings":{"x":{"type":"keyword"}}}`, refuse: "runtime_mappings"},
		{name: "ext", body: `{"ext":{"x":{}}}`, refuse: "[ext]"},
		{name: "retriever", body: `{"retriever":{"standard":{"query":{"match_all":{}}}}}`, refuse: "[retriever]"},
		{name: "derived", body: `{"derived":{"x":{"type":"keyword","script":"emit('a')"}}}`, refuse: "[derived]"},
		{name: "post_filter", body: `{"post_filter":{"term":{"code":"x"}}}`, want: `{"post_filter":{"term":{` + n + `:"x"}}}`},
		{name: "rescore", body: `{"rescore":[{"window_size":10,"query":{"rescore_query":{"match":{"secret_note":"a"}},"query_weight":0.7}}]}`,
			want: `{"rescore":[{"window_size":10,"query":{"rescore_query":{"match":{` + n + `:"a"}},"query_weight":0.7}}]}`},
		{name: "rescore ltr", body: `{"rescore":{"learning_to_rank":{"model_id":"m"}}}`, refuse: "option [learning_to_rank]"},
		{name: "sort names", body: `{"sort":["_score","tenant","salary",{"_doc":"asc"}]}`,
			want: `{"sort":["_score","tenant",{` + n + `:{"unmapped_type":"keyword"}},{"_doc":"asc"}]}`},
		{name: "sort order string", body: `{"sort":{"salary":"desc"}}`, want: `{"sort":[{` + n + `:{"order":"desc","unmapped_type":"keyword"}}]}`},
		{name: "sort unchanged keeps shape", body: `{"sort":{"tenant":"desc"}}`, want: `{"sort":{"tenant":"desc"}}`},
		{name: "sort numeric options", body: `{"sort":[{"salary":{"order":"asc","numeric_type":"long"}},{"code":{"mode":"avg"}},{"user_ssn":{"format":"strict_date"}},{"all_text":{"unmapped_type":"double"}}]}`,
			want: `{"sort":[{` + n + `:{"order":"asc","numeric_type":"long","unmapped_type":"long"}},{` + n + `:{"mode":"avg","unmapped_type":"long"}},{` + n + `:{"format":"strict_date","unmapped_type":"date"}},{` + n + `:{"unmapped_type":"double"}}]}`},
		{name: "sort two hidden in one object", body: `{"sort":{"salary":"asc","code":"desc"}}`,
			want: `{"sort":[{` + n + `:{"order":"asc","unmapped_type":"keyword"}},{` + n + `:{"order":"desc","unmapped_type":"keyword"}}]}`},
		{name: "sort nested", body: `{"sort":[{"user.name":{"nested":{"path":"comments","filter":{"term":{"comments.author":"x"}}}}}]}`,
			want: `{"sort":[{"user.name":{"nested":{"path":` + n + `,"filter":{"term":{` + n + `:"x"}}}}}]}`},
		{name: "sort pre-7 nested options", body: `{"sort":[{"user.name":{"nested_path":"comments","nested_filter":{"term":{"comments.text":"x"}}}}]}`,
			want: `{"sort":[{"user.name":{"nested_path":` + n + `,"nested_filter":{"term":{` + n + `:"x"}}}}]}`},
		{name: "sort deeper nested", body: `{"sort":[{"tenant":{"nested":{"path":"user","nested":{"path":"comments","max_children":2}}}}]}`,
			want: `{"sort":[{"tenant":{"nested":{"path":"user","nested":{"path":` + n + `,"max_children":2}}}}]}`},
		{name: "sort geo distance", body: `{"sort":[{"_geo_distance":{"code":"1,1","order":"asc"}}]}`,
			want: `{"sort":[{"_geo_distance":{` + n + `:"1,1","order":"asc","ignore_unmapped":true}}]}`},
		{name: "sort script", body: `{"sort":{"_script":{"type":"number","script":"1"}}}`, refuse: "[_script] sort"},
		{name: "highlight", body: `{"highlight":{"fields":{"message":{},"secret_note":{"highlight_query":{"prefix":{"secret_note":"amb"}}},"user.*":{}}}}`,
			want: `{"highlight":{"fields":{"message":{},"user.*":{}}}}`},
		{name: "highlight require_field_match false expands", body: `{"highlight":{"require_field_match":false,"fields":{"*":{}}}}`,
			want: `{"highlight":{"require_field_match":false,"fields":{"@timestamp":{},"tenant":{},"message":{},"user.name":{}}}}`},
		{name: "highlight list form", body: `{"highlight":{"fields":[{"code":{}},{"m*":{"require_field_match":false,"matched_fields":["message","message.keyword"]}}]}}`,
			want: `{"highlight":{"fields":[{"message":{"require_field_match":false,"matched_fields":["message"]}}]}}`},
		{name: "highlight global query", body: `{"highlight":{"highlight_query":{"match":{"secret_note":"a"}},"fields":{"message":{}}}}`,
			want: `{"highlight":{"highlight_query":{"match":{` + n + `:"a"}},"fields":{"message":{}}}}`},
		{name: "collapse", body: `{"collapse":{"field":"code","inner_hits":{"name":"i","sort":[{"salary":"asc"}]}}}`,
			want: `{"collapse":{"field":` + n + `,"inner_hits":{"name":"i","sort":[{` + n + `:{"order":"asc","unmapped_type":"keyword"}}]}}}`},
		{name: "fetch fields", body: `{"_source":false,"fields":["user.*",{"field":"secret_note"},"tenant"],"docvalue_fields":[{"field":"salary","format":"x"},"@timestamp"],"stored_fields":["secret_note","_none_","message"]}`,
			want: `{"_source":false,"fields":["user.*","tenant"],"docvalue_fields":["@timestamp"],"stored_fields":[` + n + `,"_none_","message"]}`},
		{name: "docvalue_fields patterns expand to visible fields", body: `{"docvalue_fields":["s*","*.keyword",{"field":"user*","format":"x"},"t*","co*"]}`,
			want: `{"docvalue_fields":[{"field":"user.name","format":"x"},"tenant"]}`},
		{name: "fields patterns with a format expand to visible fields", body: `{"fields":["s*",{"field":"u*","format":"yyyy"},{"field":"t*"}]}`,
			want: `{"fields":["s*",{"field":"user.name","format":"yyyy"},{"field":"t*"}]}`},
		{name: "suggest term", body: `{"suggest":{"text":"x","s":{"term":{"field":"secret_note","suggest_mode":"always"}}}}`,
			want: `{"suggest":{"text":"x","s":{"term":{"field":` + n + `,"suggest_mode":"always"}}}}`},
		{name: "suggest phrase generator", body: `{"suggest":{"s":{"text":"x","phrase":{"field":"message","direct_generator":[{"field":"secret_note"}]}}}}`,
			want: `{"suggest":{"s":{"text":"x","phrase":{"field":"message","direct_generator":[{"field":` + n + `}]}}}}`},
		{name: "suggest collate", body: `{"suggest":{"s":{"text":"x","phrase":{"field":"message","collate":{"query":{"source":"{}"}}}}}}`,
			refuse: "collate"},
		{name: "suggest completion", body: `{"suggest":{"s":{"prefix":"x","completion":{"field":"code","fuzzy":{"fuzziness":1}}}}}`,
			want: `{"suggest":{"s":{"prefix":"x","completion":{"field":` + n + `,"fuzzy":{"fuzziness":1}}}}}`},
		{name: "suggest contexts", body: `{"suggest":{"s":{"prefix":"x","completion":{"field":"tenant","contexts":{"c":["a"]}}}}}`,
			refuse: "contexts"},
		{name: "suggest unknown", body: `{"suggest":{"s":{"text":"x","custom":{"field":"message"}}}}`, refuse: "suggester [custom]"},
		{name: "knn top level", body: `{"knn":[{"field":"code","query_vector":[1],"k":1,"num_candidates":2,"filter":{"term":{"salary":1}}}]}`,
			want: `{"knn":[{"field":` + n + `,"query_vector":[1],"k":1,"num_candidates":2,"filter":{"term":{` + n + `:1}}}]}`},
		{name: "knn inner_hits", body: `{"knn":{"field":"tenant","query_vector":[1],"k":1,"num_candidates":1,"inner_hits":{"docvalue_fields":["salary"]}}}`,
			want: `{"knn":{"field":"tenant","query_vector":[1],"k":1,"num_candidates":1,"inner_hits":{"docvalue_fields":[]}}}`},
		{name: "slice", body: `{"slice":{"id":0,"max":2,"field":"code"}}`, want: `{"slice":{"id":0,"max":2,"field":` + n + `}}`},
		{name: "inner_hits in nested", body: `{"query":{"nested":{"path":"comments","query":{"match_all":{}},"inner_hits":{"_source":false,"docvalue_fields":["comments.text"]}}}}`,
			want: `{"query":{"nested":{"path":` + n + `,"query":{"match_all":{}},"inner_hits":{"_source":false,"docvalue_fields":[]},"ignore_unmapped":true}}}`},
	}
	runCases(t, Search, oneIndex("logs-acme-2024", aliceView()), cases)
}

// TestOtherAPIs checks the bodies of the other search-like endpoints.
func TestOtherAPIs(t *testing.T) {
	scope := oneIndex("logs-acme-2024", aliceView())
	n := neutral
	tests := []struct {
		api   API
		cases []rewriteCase
	}{
		{Count, []rewriteCase{
			{name: "query", body: `{"query":{"term":{"code":"x"}}}`, want: `{"query":{"term":{` + n + `:"x"}}}`},
			{name: "other member", body: `{"query":{"match_all":{}},"aggs":{}}`, refuse: "option [aggs]"},
		}},
		{Explain, []rewriteCase{
			{name: "query", body: `{"query":{"match":{"secret_note":"a"}}}`, want: `{"query":{"match":{` + n + `:"a"}}}`},
		}},
		{ValidateQuery, []rewriteCase{
			{name: "query", body: `{"query":{"query_string":{"query":"salary:1","fields":["message"]}}}`,
				want: `{"query":{"query_string":{"query":".portcullis_hidden_field:1","fields":["message"]}}}`},
		}},
		{DeleteByQuery, []rewriteCase{
			{name: "query", body: `{"query":{"term":{"code":"x"}},"max_docs":5,"conflicts":"proceed"}`,
				want: `{"query":{"term":{` + n + `:"x"}},"max_docs":5,"conflicts":"proceed"}`},
		}},
		{UpdateByQuery, []rewriteCase{
			{name: "query", body: `{"query":{"ids":{"values":["sb-3"]}}}`, want: `{"query":{"ids":{"values":["sb-3"]}}}`},
			{name: "script", body: `{"query":{"ids":{"values":["sb-3"]}},"script":{"source":"ctx._source.message = ctx._source.secret_note"}}`,
				refuse: "a script in _update_by_query"},
		}},
		{TermsEnum, []rewriteCase{
			{name: "hidden field", body: `{"field":"code","string":"k9"}`, want: `{"field":` + n + `,"string":"k9"}`},
			{name: "visible field", body: `{"field":"user.name","string":"gx","index_filter":{"term":{"salary":1}}}`,
				want: `{"field":"user.name","string":"gx","index_filter":{"term":{` + n + `:1}}}`},
		}},
		{KnnSearch, []rewriteCase{
			{name: "knn", body: `{"knn":{"field":"code","query_vector":[1],"k":1,"num_candidates":1},"filter":{"term":{"code":"x"}},"_source":["message"],"fields":["secret_note"]}`,
				want: `{"knn":{"field":` + n + `,"query_vector":[1],"k":1,"num_candidates":1},"filter":{"term":{` + n + `:"x"}},"_source":["message"],"fields":[]}`},
		}},
		{FieldCaps, []rewriteCase{
			{name: "index_filter", body: `{"index_filter":{"range":{"salary":{"gte":1}}}}`,
				want: `{"index_filter":{"range":{` + n + `:{"gte":1}}}}`},
			{name: "runtime_mappings", body: `{"runtime_mappings":{"a":{"type":"keyword"}}}`, refuse: "runtime_mappings"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.api.String(), func(t *testing.T) { runCases(t, tt.api, scope, tt.cases) })
	}
	if _, err := RewriteBody(API(0), nil, scope); err != nil {
		t.Errorf("a nil body must pass: %v", err)
	}
}

// TestNoFLS checks that bodies pass untouched, even ones that would be
// refused, when no reached index has FLS.
func TestNoFLS(t *testing.T) {
	body := `{"query":{"script":{"script":"1"}},"script_fields":{"a":{}}}`
	for _, scope := range []Scope{{}, {Indices: []IndexFields{{Index: "a"}, {Index: "b"}}}} {
		got, err := rewriteString(t, Search, body, scope)
		if err != nil || got != compact(t, body) {
			t.Errorf("scope %+v: got %s, %v; want the body unchanged", scope, got, err)
		}
		if HasFLS(scope) {
			t.Errorf("HasFLS(%+v) = true", scope)
		}
	}
}

// TestKibanaDiscoverBody checks that a Kibana Discover request passes
// under FLS, rewritten only where it must be.
func TestKibanaDiscoverBody(t *testing.T) {
	body, err := esbody.ParseObject([]byte(kibanaLikeBody))
	if err != nil {
		t.Fatal(err)
	}
	body.Set("script_fields", &esbody.Object{})
	body.Set("runtime_mappings", &esbody.Object{})
	view := aliceView()
	out, err := Rewrite(body, oneIndex("logs-acme-2024", view))
	if err != nil {
		t.Fatalf("Kibana's request is refused: %v", err)
	}
	if err := checkNoHiddenReference(Search, out, view); err != nil {
		t.Fatal(err)
	}
	qs, ok := esbody.Lookup(out, "query", "bool", "filter")
	if !ok {
		t.Fatal("the filter clauses are gone")
	}
	got, _ := esbody.Encode(qs.(esbody.Array)[0])
	want := `{"query_string":{"query":"acme AND user.name:alice*","analyze_wildcard":true,"fields":["@timestamp","tenant","message","user.name"],"lenient":true}}`
	if string(got) != want {
		t.Fatalf("query_string rewritten to %s, want %s", got, want)
	}
}
