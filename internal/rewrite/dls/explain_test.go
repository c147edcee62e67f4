package dls

import (
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// TestCheckExplanation: under DLS every request for an explanation is
// refused (it would print the role query and the terms the cluster
// expands queries into); the same bodies without one pass.
func TestCheckExplanation(t *testing.T) {
	obj := func(s string) *esbody.Object {
		t.Helper()
		v, err := esbody.ParseJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v.(*esbody.Object)
	}
	for _, tc := range []struct {
		name   string
		kind   BodyKind
		body   string
		values url.Values
		refuse bool
	}{
		{"_explain of a plain query", Explain, `{"query":{"match":{"name":"smith"}}}`, nil, true},
		{"_explain of a fuzzy query", Explain, `{"query":{"fuzzy":{"name":"smitx"}}}`, nil, true},
		{"_explain without a body", Explain, ``, nil, true},
		{"explain:true", Search, `{"explain":true,"query":{"match_all":{}}}`, nil, true},
		{"explain as a string", Search, `{"explain":"true","query":{"match_all":{}}}`, nil, true},
		{"?explain=true", Search, `{"query":{"match_all":{}}}`, url.Values{"explain": {"true"}}, true},
		{"?explain without a value", Search, `{"query":{"match_all":{}}}`, url.Values{"explain": {""}}, true},
		{"?explain repeated", Search, `{"query":{"match_all":{}}}`, url.Values{"explain": {"false", "true"}}, true},
		{"?explain=true without a body", Search, ``, url.Values{"explain": {"true"}}, true},
		{"top_hits explain", Search, `{"size":0,"aggs":{"t":{"top_hits":{"explain":true}}}}`, nil, true},
		{"collapse inner_hits explain", Search, `{"collapse":{"field":"k","inner_hits":{"name":"i","explain":true}}}`, nil, true},
		{"nested inner_hits explain", Search, `{"query":{"nested":{"path":"n","query":{"match_all":{}},"inner_hits":{"explain":true}}}}`, nil, true},
		{"delete_by_query ?explain=true", DeleteByQuery, `{"query":{"match_all":{}}}`, url.Values{"explain": {"true"}}, true},
		{"explain:false", Search, `{"explain":false,"query":{"match":{"name":"smith"}}}`, nil, false},
		{"?explain=false", Search, `{"query":{"match_all":{}}}`, url.Values{"explain": {"false"}}, false},
		{"a fuzzy search without explanation", Search, `{"query":{"fuzzy":{"name":"smitx"}}}`, nil, false},
		{"a count", Count, `{"query":{"fuzzy":{"name":"smitx"}}}`, url.Values{"explain": {"true"}}, false},
		// The scan is by member name: a field named explain holding a
		// true-ish value is refused too (more, never less).
		{"a field named explain", Search, `{"query":{"term":{"explain":"x"}}}`, nil, true},
		{"a field named explain, false", Search, `{"query":{"term":{"explain":"false"}}}`, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body *esbody.Object
			if tc.body != "" {
				body = obj(tc.body)
			}
			err := CheckExplanation(tc.kind, body, tc.values)
			if tc.refuse != (err != nil) {
				t.Fatalf("CheckExplanation = %v, want refused %v", err, tc.refuse)
			}
			if err != nil && !strings.Contains(err.Error(), "explanations are not supported") {
				t.Fatalf("reason %q", err)
			}
		})
	}
}
