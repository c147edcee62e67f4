package secquery

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// manyLeavesKey is one API key whose metadata has n leaves: a
// manage_own_api_key user can make it, and every leaf is a value of the
// flattened field "metadata", so a terms aggregation on it makes n
// buckets, each holding the key again.
func manyLeavesKey(n int) []Doc {
	meta := map[string]any{}
	for i := range n {
		meta[fmt.Sprintf("k%d", i)] = fmt.Sprintf("v%d", i)
	}
	d := Doc{ID: "own", Values: map[string][]any{"name": {"own"}}}
	d.AddFlattened("metadata", meta)
	return []Doc{d}
}

// nestedTerms is depth terms aggregations on field, each nested in the
// previous one.
func nestedTerms(field string, size, depth int) string {
	agg := fmt.Sprintf(`{"terms":{"field":%q,"size":%d}}`, field, size)
	for range depth - 1 {
		agg = fmt.Sprintf(`{"terms":{"field":%q,"size":%d},"aggs":{"a":%s}}`, field, size, agg)
	}
	return `{"size":0,"aggs":{"a":` + agg + `}}`
}

func wantQueryError(t *testing.T, err error, typ, reason string) {
	t.Helper()
	var qe *QueryError
	if !errors.As(err, &qe) || qe.Type != typ || !strings.Contains(qe.Reason, reason) {
		t.Fatalf("error %v, want %s containing %q", err, typ, reason)
	}
}

// TestAggregationsStopAtMaxBuckets: nested aggregations whose buckets
// multiply (terms over one key's 20 metadata leaves, 4 deep: 168,420
// buckets, 5 MB of answer; 8 deep: 2.6e10, which never finished) are
// refused with Elasticsearch's too_many_buckets_exception once they pass
// search.max_buckets, before they are built; what stays under it is
// answered.
func TestAggregationsStopAtMaxBuckets(t *testing.T) {
	docs := manyLeavesKey(20)
	for _, depth := range []int{4, 8} {
		s, err := ParseSearch(testSchema(), []byte(nestedTerms("metadata", 100, depth)), queryTestNow)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Run(docs, false)
		wantQueryError(t, err, "too_many_buckets_exception", "Must be less than or equal to: [65536]")
	}
	// filters buckets count as well: 40 filters, 4 deep (2.6 million).
	filters := `{"filters":{"filters":[` + strings.Repeat(`{"match_all":{}},`, 39) + `{"match_all":{}}]}}`
	agg := filters
	for range 3 {
		agg = strings.TrimSuffix(filters, "}") + `,"aggs":{"f":` + agg + `}}`
	}
	s, err := ParseSearch(testSchema(), []byte(`{"aggs":{"f":`+agg+`}}`), queryTestNow)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(docs, false)
	wantQueryError(t, err, "too_many_buckets_exception", "search.max_buckets")

	// Two levels (20 + 400 buckets) are answered.
	s, err = ParseSearch(testSchema(), []byte(nestedTerms("metadata", 100, 2)), queryTestNow)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(docs, false)
	if err != nil || len(res.Aggregations["a"].(map[string]any)["buckets"].([]any)) != 20 {
		t.Fatalf("two levels: %v %v", err, res.Aggregations)
	}
}

// TestAggregationsBoundWork: few buckets over many values each (a
// cardinality under every bucket of a terms over 1,500 leaves reads
// 1,500 values 1,500 times per level) are refused once the values read
// pass the proxy's bound.
func TestAggregationsBoundWork(t *testing.T) {
	docs := manyLeavesKey(1500)
	body := `{"size":0,"aggs":{"a":{"terms":{"field":"metadata","size":1500},"aggs":{"b":{"filter":{"match_all":{}},"aggs":{"c":{"terms":{"field":"metadata","size":1},"aggs":{"d":{"cardinality":{"field":"metadata"}}}}}}}}}}`
	s, err := ParseSearch(testSchema(), []byte(body), queryTestNow)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(docs, false)
	wantQueryError(t, err, "illegal_argument_exception", "field values")
}

// TestQueryClauseLimits: every clause runs over every document, so a
// request's clauses are bounded as Lucene bounds them (4096; a simple
// query string's terms count once per field), and a terms query's values
// as index.max_terms_count does (65536); what stays under is answered.
func TestQueryClauseLimits(t *testing.T) {
	should := func(n int) string {
		return `{"query":{"bool":{"should":[` + strings.TrimSuffix(strings.Repeat(`{"term":{"name":"x"}},`, n), ",") + `]}}}`
	}
	values := func(n int) string {
		return `{"query":{"terms":{"name":[` + strings.TrimSuffix(strings.Repeat(`"x",`, n), ",") + `]}}}`
	}
	for _, tt := range []struct{ name, body, typ, reason string }{
		{"5000 should clauses", should(5000), "too_many_nested_clauses", "maxClauseCount is set to 4096"},
		{"filters aggregation of 5000 clauses", `{"aggs":{"f":{"filters":{"filters":[` + strings.TrimSuffix(strings.Repeat(`{"match_all":{}},`, 5000), ",") + `]}}}}`, "too_many_nested_clauses", "4096"},
		{"simple query string of 600 terms over every field", `{"query":{"simple_query_string":{"query":"` + strings.Repeat("a ", 600) + `"}}}`, "too_many_nested_clauses", "4096"},
		{"terms query of 65537 values", values(65537), "illegal_argument_exception", "has exceeded the allowed maximum of [65536]"},
		{"sort of 65 criteria", `{"sort":[` + strings.TrimSuffix(strings.Repeat(`"name",`, 65), ",") + `]}`, "illegal_argument_exception", "more than the [64]"},
	} {
		_, err := ParseSearch(testSchema(), []byte(tt.body), queryTestNow)
		wantQueryError(t, err, tt.typ, tt.reason)
	}
	for _, body := range []string{should(4000), values(65536)} {
		s, err := ParseSearch(testSchema(), []byte(body), queryTestNow)
		if err != nil {
			t.Fatal(err)
		}
		if res := mustRun(t, s, queryTestKeys(), false); res.Total != 0 {
			t.Errorf("%.60s: %d hits", body, res.Total)
		}
	}
	s, err := ParseSearch(testSchema(), []byte(`{"query":{"terms":{"name":["Backup","ingest-dev","nope"]}}}`), queryTestNow)
	if err != nil {
		t.Fatal(err)
	}
	if res := mustRun(t, s, queryTestKeys(), false); res.Total != 2 {
		t.Errorf("terms over names: %d hits, want 2", res.Total)
	}
}

// TestWildcardLongPatterns: a pattern longer than the value fails at once
// and runs of stars are one, with the same answers as before.
func TestWildcardLongPatterns(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{strings.Repeat("*", 100000), "abc", true},
		{strings.Repeat("*a", 100000), "aaa", false},
		{strings.Repeat("?", 100000), "abc", false},
		{"a" + strings.Repeat("*", 1000) + "c", "abc", true},
		{`a\*c`, "a*c", true},
		{`a\*c`, "abc", false},
		{"é?", "éx", true},
	} {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%.20q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}
