package dls

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// BenchmarkRequest measures the per-request DLS work for a typical
// dashboard search: the filter for three indices (one templated role
// query, rendered from the cache) and the rewrite of the body.
func BenchmarkRequest(b *testing.B) {
	cache := NewCache(0)
	indices := []IndexDLS{
		{Index: "logs-2024.01", Queries: raws(acme)},
		{Index: "logs-2024.02", Queries: raws(acme)},
		{Index: "owned", Queries: raws(`{"template":{"source":"{\"bool\":{\"filter\":[{\"term\":{\"owner\":\"{{_user.username}}\"}},{\"terms\":{\"group\":{{#toJson}}_user.metadata.groups{{/toJson}}}}]}}"}}`)},
	}
	body, err := esbody.ParseObject([]byte(`{"size":20,"sort":[{"@timestamp":"desc"}],"query":{"bool":{"filter":[{"range":{"@timestamp":{"gte":"now-15m"}}},{"match_phrase":{"message":"error"}}]}},"aggs":{"h":{"date_histogram":{"field":"@timestamp","fixed_interval":"30s"},"aggs":{"t":{"terms":{"field":"host"}}}}},"highlight":{"fields":{"message":{}}}}`))
	if err != nil {
		b.Fatal(err)
	}
	u := testUser
	b.ReportAllocs()
	for b.Loop() {
		filter, err := cache.Filter(u, indices)
		if err != nil {
			b.Fatal(err)
		}
		out, err := Wrap(Search, body, filter)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := esbody.Encode(out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatches measures write-side DLS on a small document.
func BenchmarkMatches(b *testing.B) {
	q, _ := esbody.ParseJSON([]byte(`{"bool":{"filter":[{"term":{"tenant":"acme"}},{"range":{"level":{"gte":1,"lt":10}}}],"must_not":{"terms":{"classification":["secret","top-secret"]}}}}`))
	doc, _ := esbody.ParseObject([]byte(`{"tenant":"acme","level":3,"classification":"internal","message":"hello"}`))
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := Matches(q, "1", doc); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
