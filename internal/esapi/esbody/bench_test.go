package esbody

import (
	"fmt"
	"strings"
	"testing"
)

func benchBulk(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"index\":{\"_index\":\"logs-acme-2024\",\"_id\":\"doc-%d\"}}\n", i)
		fmt.Fprintf(&b, "{\"@timestamp\":\"2024-03-01T10:00:00Z\",\"tenant\":\"acme\",\"message\":\"acme message %d\",\"user\":{\"name\":\"alice\",\"email\":\"a@acme.example\"},\"salary\":7733901,\"tags\":[\"a\",\"b\",\"c\"]}\n", i)
	}
	return []byte(b.String())
}

func BenchmarkParseJSON(b *testing.B) {
	doc := []byte(`{"size":50,"query":{"bool":{"must":[{"match":{"message":"quarterly note"}}],"filter":[{"term":{"tenant":"acme"}},{"range":{"@timestamp":{"gte":"now-1d"}}}]}},"aggs":{"t":{"terms":{"field":"user.name","size":10}}},"_source":["message","user.*"]}`)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := ParseJSON(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseBulk(b *testing.B) {
	body := benchBulk(1000)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseBulk(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeBulk(b *testing.B) {
	items, err := ParseBulk(benchBulk(1000))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := EncodeBulk(items); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadGzip(b *testing.B) {
	body := gzipped(b, string(benchBulk(1000)))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r := req("POST", "/_bulk", body, "Content-Type: application/x-ndjson", "Content-Encoding: gzip")
		if _, err := Read(r, 8<<20); err != nil {
			b.Fatal(err)
		}
	}
}
