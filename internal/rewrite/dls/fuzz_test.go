package dls

import (
	"errors"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// FuzzWrapSearch feeds random search bodies to Wrap. It must never panic,
// must refuse only with a *Refusal, must not modify its input, and every
// body it lets through must have the DLS wrapper as its top-level query,
// the filter on every has_child/has_parent inner query and in every
// top-level knn.
func FuzzWrapSearch(f *testing.F) {
	seeds := []string{
		`{}`,
		`{"query":{"match_all":{}}}`,
		`{"size":0,"aggs":{"g":{"global":{},"aggs":{"th":{"top_hits":{"size":20}}}}}}`,
		`{"query":{"has_child":{"type":"c","query":{"match":{"m":"z"}},"inner_hits":{}}}}`,
		`{"query":{"bool":{"should":[{"has_parent":{"parent_type":"p","query":{"term":{"a":1}}}}],"minimum_should_match":1}}}`,
		`{"knn":[{"field":"v","query_vector":[1],"filter":{"term":{"a":1}}}],"query":{"term":{"b":2}}}`,
		`{"aggs":{"s":{"significant_terms":{"field":"t","background_filter":{"term":{"x":1}}}}}}`,
		`{"post_filter":{"term":{"a":1}},"sort":[{"n":{"nested":{"path":"c","filter":{"match_all":{}}}}}],"highlight":{"fields":[{"m":{}}]}}`,
		`{"collapse":{"field":"u","inner_hits":{"name":"x","collapse":{"field":"v"}}},"rescore":[{"query":{"rescore_query":{"match_all":{}}}}]}`,
		`{"query":{"function_score":{"query":{"match_all":{}},"functions":[{"filter":{"term":{"a":1}},"weight":2}]}}}`,
		`{"query":{"more_like_this":{"like":[{"doc":{"m":"x"}}],"fields":["m"]}}}`,
		`{"query":{"knn":{"v":{"vector":[1],"k":1,"filter":{"has_child":{"type":"c","query":{"match_all":{}}}}}}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	filter := single("term", single("tenant", esbody.String("acme")))
	f.Fuzz(func(t *testing.T, data []byte) {
		body, err := esbody.ParseObject(data)
		if err != nil {
			return
		}
		before, err := esbody.Encode(body)
		if err != nil {
			return
		}
		out, err := Wrap(Search, body, filter)
		if after, _ := esbody.Encode(body); string(after) != string(before) {
			t.Fatalf("Wrap modified its input")
		}
		if err != nil {
			var r *Refusal
			if !errors.As(err, &r) || r.Status != 400 {
				t.Fatalf("Wrap failed with %v, want a 400 *Refusal", err)
			}
			return
		}
		knn, hasKnn := out.Get("knn")
		if hasKnn && !body.Has("query") {
			// kNN-only search: the knn sections carry the filter.
			if out.Has("query") {
				t.Fatalf("a query was added to a kNN-only search: %s", mustEncode(t, out))
			}
		} else if !topLevelWrapped(out, filter) {
			t.Fatalf("output query is not the DLS wrapper: %s", mustEncode(t, out))
		}
		enc := mustEncode(t, out)
		if _, err := esbody.ParseObject(enc); err != nil {
			t.Fatalf("output does not parse back: %v", err)
		}
		for _, name := range []string{"query", "post_filter"} {
			q, _ := out.Get(name)
			checkJoinQueriesWrapped(t, q, filter, false)
		}
		if hasKnn {
			checkKnnFiltered(t, knn, filter)
		}
	})
}

func mustEncode(t *testing.T, v esbody.Value) []byte {
	b, err := esbody.Encode(v)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}

// checkJoinQueriesWrapped walks a query tree and checks that the query of
// every has_child/has_parent is the DLS wrapper. Inside the body of a leaf
// query, names are field names, not query types, and are skipped.
func checkJoinQueriesWrapped(t *testing.T, v esbody.Value, filter esbody.Value, inLeaf bool) {
	switch v := v.(type) {
	case *esbody.Object:
		for name, mv := range v.All() {
			if !inLeaf && (name == "has_child" || name == "has_parent") {
				if inner, ok := esbody.Lookup(mv, "query"); ok {
					if io, isObj := inner.(*esbody.Object); isObj && !topLevelWrapped(single("query", io), filter) {
						t.Fatalf("%s query not filtered: %s", name, mustEncode(t, io))
					}
				}
			}
			checkJoinQueriesWrapped(t, mv, filter, inLeaf || leafQueries[name])
		}
	case esbody.Array:
		for _, e := range v {
			checkJoinQueriesWrapped(t, e, filter, inLeaf)
		}
	}
}

func checkKnnFiltered(t *testing.T, knn esbody.Value, filter esbody.Value) {
	items, ok := knn.(esbody.Array)
	if !ok {
		items = esbody.Array{knn}
	}
	for _, it := range items {
		f, _ := esbody.Lookup(it, "filter")
		fa, ok := f.(esbody.Array)
		if !ok || len(fa) == 0 || !esbody.Equal(fa[len(fa)-1], filter) {
			t.Fatalf("knn without the DLS filter: %s", mustEncode(t, it))
		}
	}
}

// FuzzMatches evaluates random queries on random documents. It must never
// panic, fail only with ErrUnsupported, agree with MatchesAny, and a
// decided answer must flip under must_not.
func FuzzMatches(f *testing.F) {
	seeds := [][2]string{
		{`{"term":{"tenant":"acme"}}`, `{"tenant":"acme"}`},
		{`{"bool":{"should":[{"term":{"n":1}},{"range":{"n":{"gte":0,"lt":5}}}],"minimum_should_match":"50%"}}`, `{"n":[1,7]}`},
		{`{"range":{"d":{"gte":"2024-01-01T00:00:00+01:00"}}}`, `{"d":"2024-01-01"}`},
		{`{"match":{"t":"a b"}}`, `{"t":"a b","x":{"y.z":[{"t":1}]}}`},
		{`{"bool":{"must_not":{"exists":{"field":"a.b"}}}}`, `{"a":[{"b":null},{"b":""}]}`},
		{`{"terms":{"k.keyword":["x",1,true]}}`, `{"k":"x"}`},
		{`{"ids":{"values":["1"]}}`, `{}`},
	}
	for _, s := range seeds {
		f.Add([]byte(s[0]), []byte(s[1]), "1")
	}
	f.Fuzz(func(t *testing.T, query, document []byte, id string) {
		q, err := esbody.ParseJSON(query)
		if err != nil {
			return
		}
		doc, err := esbody.ParseObject(document)
		if err != nil {
			return
		}
		got, err := Matches(q, id, doc)
		if err != nil && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("Matches failed with %v", err)
		}
		anyGot, anyErr := MatchesAny([]esbody.Value{q}, id, doc)
		if anyGot != got || (anyErr == nil) != (err == nil) {
			t.Fatalf("MatchesAny = %v, %v; Matches = %v, %v", anyGot, anyErr, got, err)
		}
		if err != nil {
			return
		}
		neg := single("bool", single("must_not", esbody.Array{q}))
		ng, nerr := Matches(neg, id, doc)
		if nerr != nil || ng == got {
			t.Fatalf("must_not of a decided query: %v, %v (query %v)", ng, nerr, got)
		}
	})
}
