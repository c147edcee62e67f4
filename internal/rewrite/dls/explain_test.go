package dls

import (
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// TestCheckExplanation: under DLS, an explanation of a query the cluster
// expands into dictionary terms (which include hidden documents' terms) is
// refused; the same queries without an explanation, and explanations of
// queries that do not expand, pass.
func TestCheckExplanation(t *testing.T) {
	obj := func(s string) *esbody.Object {
		t.Helper()
		v, err := esbody.ParseJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v.(*esbody.Object)
	}
	expanding := []string{
		`{"query":{"fuzzy":{"name":{"value":"smitx"}}}}`,
		`{"query":{"fuzzy":{"name":"smitx"}}}`,
		`{"query":{"prefix":{"name":{"value":"sm","rewrite":"top_terms_100"}}}}`,
		`{"query":{"wildcard":{"name":{"value":"sm*","rewrite":"scoring_boolean"}}}}`,
		`{"query":{"regexp":{"name":{"value":"sm.*","rewrite":"constant_score_boolean"}}}}`,
		`{"query":{"match":{"name":{"query":"smitx","fuzziness":"AUTO"}}}}`,
		`{"query":{"multi_match":{"query":"smitx","fields":["name"],"fuzziness":1}}}`,
		`{"query":{"multi_match":{"query":"sm","fields":["name"],"type":"phrase_prefix"}}}`,
		`{"query":{"match_phrase_prefix":{"name":"sm"}}}`,
		`{"query":{"span_multi":{"match":{"prefix":{"name":{"value":"sm"}}}}}}`,
		`{"query":{"query_string":{"query":"smitx~2"}}}`,
		`{"query":{"simple_query_string":{"query":"smitx~"}}}`,
		`{"query":{"bool":{"should":[{"term":{"a":"b"}},{"constant_score":{"filter":{"fuzzy":{"name":{"value":"x"}}}}}]}}}`,
	}
	for _, b := range expanding {
		if err := CheckExplanation(Explain, obj(b), nil); err == nil || !strings.Contains(err.Error(), "explanation") {
			t.Errorf("_explain %s: want a refusal, got %v", b, err)
		}
		withExplain := strings.Replace(b, `{"query"`, `{"explain":true,"query"`, 1)
		if err := CheckExplanation(Search, obj(withExplain), nil); err == nil {
			t.Errorf("_search %s: want a refusal", withExplain)
		}
		inTopHits := strings.Replace(b, `{"query"`, `{"aggs":{"t":{"top_hits":{"explain":"true"}}},"query"`, 1)
		if err := CheckExplanation(Search, obj(inTopHits), nil); err == nil {
			t.Errorf("_search %s: want a refusal", inTopHits)
		}
		if err := CheckExplanation(Search, obj(b), url.Values{"explain": {"true"}}); err == nil {
			t.Errorf("_search?explain=true %s: want a refusal", b)
		}
		if err := CheckExplanation(Search, obj(b), nil); err != nil {
			t.Errorf("_search without explanation %s: %v", b, err)
		}
		if err := CheckExplanation(Count, obj(b), nil); err != nil {
			t.Errorf("_count %s: %v", b, err)
		}
	}
	for _, b := range []string{
		`{"query":{"prefix":{"name":"sm"}}}`,
		`{"query":{"wildcard":{"name":{"value":"sm*","rewrite":"constant_score"}}}}`,
		`{"query":{"match":{"name":{"query":"smith","fuzziness":0}}}}`,
		`{"query":{"term":{"fuzzy":"x"}}}`,
		`{"query":{"query_string":{"query":"name:sm*"}}}`,
		`{"query":{"match":{"name":"smith"}}}`,
	} {
		if err := CheckExplanation(Explain, obj(b), nil); err != nil {
			t.Errorf("_explain %s: %v", b, err)
		}
	}
	if err := CheckExplanation(Search, obj(`{"explain":true,"rescore":{"query":{"rescore_query":{"fuzzy":{"name":"x"}}}}}`), nil); err == nil {
		t.Errorf("explain with a fuzzy rescore query: want a refusal")
	}
	if err := CheckExplanation(Search, obj(`{"query":{"match_all":{}},"post_filter":{"fuzzy":{"name":"x"}},"collapse":{"field":"k","inner_hits":{"name":"i","explain":true}}}`), nil); err == nil {
		t.Errorf("collapse inner_hits explanation with a fuzzy post_filter: want a refusal")
	}
	// Aggregations and highlight_query are not explained.
	if err := CheckExplanation(Search, obj(`{"explain":true,"query":{"match_all":{}},"aggs":{"f":{"filter":{"fuzzy":{"name":"x"}}}},"highlight":{"highlight_query":{"fuzzy":{"name":"x"}},"fields":{"name":{}}}}`), nil); err != nil {
		t.Errorf("explain with fuzzy outside the query: %v", err)
	}
	if err := CheckExplanation(Search, obj(`{"explain":false,"query":{"fuzzy":{"name":"x"}}}`), url.Values{"explain": {"false"}}); err != nil {
		t.Errorf("explain false: %v", err)
	}
}
