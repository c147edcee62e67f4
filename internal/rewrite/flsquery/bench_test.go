package flsquery

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// kibanaLikeBody is a Discover-style search: time filter, a query_string
// over the default fields, a date histogram, sort and highlight.
const kibanaLikeBody = `{"size":500,"sort":[{"@timestamp":{"order":"desc","unmapped_type":"boolean"}}],
"version":true,"stored_fields":["*"],"docvalue_fields":[{"field":"@timestamp","format":"date_time"}],
"_source":{"excludes":[]},"track_total_hits":true,
"aggs":{"2":{"date_histogram":{"field":"@timestamp","fixed_interval":"30m","time_zone":"UTC","min_doc_count":1}}},
"query":{"bool":{"must":[],"filter":[{"query_string":{"query":"acme AND user.name:alice*","analyze_wildcard":true}},
{"range":{"@timestamp":{"gte":"2024-03-01T00:00:00.000Z","lte":"2024-03-31T00:00:00.000Z","format":"strict_date_optional_time"}}}],
"should":[],"must_not":[]}},
"highlight":{"pre_tags":["@kibana-highlighted-field@"],"post_tags":["@/kibana-highlighted-field@"],"fields":{"*":{}},"fragment_size":2147483647}}`

// BenchmarkRewrite measures the rewrite of a Kibana-like body for one view
// and for two views (a split query).
func BenchmarkRewrite(b *testing.B) {
	body, err := esbody.ParseObject([]byte(kibanaLikeBody))
	if err != nil {
		b.Fatal(err)
	}
	wide := &fakeView{mapped: logsMapping(), grant: []string{"*"}}
	scopes := map[string]Scope{
		"one view":  oneIndex("logs-acme-2024", aliceView()),
		"two views": {Indices: []IndexFields{{Index: "a", Fields: aliceView()}, {Index: "b", Fields: wide}}},
	}
	for name, scope := range scopes {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Rewrite(body, scope); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
