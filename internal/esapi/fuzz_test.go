package esapi

import (
	"strings"
	"testing"
)

// FuzzClassify feeds arbitrary methods, paths and query strings to the
// classifier. Invariants: it never panics; a result without an error has an
// action (denied results included); index expressions and targets never
// contain '/' outside date math; every index expression parses again; and
// a refused request is never reported with a partial classification.
func FuzzClassify(f *testing.F) {
	for _, r := range corpusRequests(f) {
		path, query, _ := strings.Cut(r[2], "?")
		f.Add(r[1], path, query)
	}
	for _, s := range []string{
		"/logs-zzz%2C%2A/_search", "//_search", "/index,/_search", "/a%2Fb/_search", "/_SEARCH",
		"/%3Clogs-%7Bnow%2Fd%7D%3E/_search", "/rc:logs::failures/_search", "/logs-*,-logs-old/_search",
		"/_plugins/_security/api/roles", "/logs/_doc/_search", "/%2E%2E/_search", "/_search/scroll/abc",
	} {
		f.Add("GET", s, "")
	}
	f.Add("GET", "/_search", "index=a&index=b")
	f.Add("POST", "/_bulk", "index=logs%2Chr")
	f.Fuzz(func(t *testing.T, method, path, query string) {
		c, err := ClassifyURL(method, path, query)
		if err != nil {
			if c != nil {
				t.Fatalf("error %v with a classification %+v", err, c)
			}
			return
		}
		if c.Action == "" {
			t.Fatalf("%s %s?%s: empty action without error or denial", method, path, query)
		}
		if c.Route == "" || c.Endpoint == "" {
			t.Fatalf("%s %s: empty route or endpoint", method, path)
		}
		if (c.IndicesFrom == IndicesPath || c.IndicesFrom == IndicesQuery) != (len(c.Indices) > 0) {
			t.Fatalf("%s %s: indices %q from %s", method, path, c.Indices, c.IndicesFrom)
		}
		if len(c.Expressions) != len(c.Indices) {
			t.Fatalf("%s %s: %d expressions for %d indices", method, path, len(c.Expressions), len(c.Indices))
		}
		for i, ix := range append(append([]string{}, c.Indices...), c.Targets...) {
			if ix == "" || strings.Contains(ix, ",") {
				t.Fatalf("%s %s: bad index expression %q", method, path, ix)
			}
			if strings.Contains(ix, "/") && !isDateMathExpr(ix) {
				t.Fatalf("%s %s: index expression %q contains '/'", method, path, ix)
			}
			if i < len(c.Expressions) && c.Expressions[i].Raw != ix {
				t.Fatalf("%s %s: expression %q for index %q", method, path, c.Expressions[i].Raw, ix)
			}
		}
	})
}

// isDateMathExpr reports whether every '/' of an index expression sits
// inside a date-math "<...{...}...>" expression, where it means rounding.
func isDateMathExpr(s string) bool {
	e, err := parseIndexExpression(s, true)
	return err == nil && e.DateMath && !strings.Contains(s[:strings.IndexByte(s, '<')], "/")
}
