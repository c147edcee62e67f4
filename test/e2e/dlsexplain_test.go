package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDLSExplainTermExpansion: the cluster rewrites fuzzy queries,
// multi-term queries with a scoring rewrite, fuzziness, phrase prefixes
// and span_multi into the matching terms of the field's dictionary, which
// holds the terms of documents the role query hides. An explanation
// prints that rewritten query: _explain of a visible document with
// {"fuzzy":{"flat":"qzchh1nsecq"}} answered "no match on required clause
// (flat._value:qzchh1fsecq)", a value of a hidden document (found by the
// body fuzzer, seed 8). Every explanation also printed the role query
// (TestExplainHidesRoleQuery), so explanations are refused (and audited)
// under DLS, of any query; the queries without an explanation still work.
func TestDLSExplainTermExpansion(t *testing.T) {
	f := startFuzzFixture(t)
	u := f.users[0] // fzdls
	forbidden := f.forbidden(u)
	check := func(what string, r result) {
		t.Helper()
		for _, c := range forbidden {
			if strings.Contains(r.Body, c.value) {
				t.Errorf("LEAK %s: %s (%s) in %d %.800s", what, c.value, c.field, r.Status, r.Body)
			}
		}
	}
	expanding := []string{
		`{"fuzzy":{"flat":{"value":"qzchh1nsecx","fuzziness":"AUTO"}}}`,
		`{"prefix":{"pub.keyword":{"value":"qzch","rewrite":"top_terms_100"}}}`,
		`{"wildcard":{"pub.keyword":{"value":"qzch*","rewrite":"scoring_boolean"}}}`,
		`{"match":{"pub":{"query":"qzchh1pubx","fuzziness":2}}}`,
		`{"match_phrase_prefix":{"pub":"qzchh"}}`,
		`{"span_multi":{"match":{"prefix":{"pub":{"value":"qzchh"}}}}}`,
		`{"query_string":{"query":"qzchh1pubx~2","default_field":"pub"}}`,
	}
	audit := filepath.Join(f.p.Dir, "audit.json")
	for _, q := range expanding {
		for _, rq := range []struct{ method, path, body string }{
			{"POST", "/" + f.a + "/_explain/v1", `{"query":` + q + `}`},
			{"POST", "/" + f.a + "/_search", `{"explain":true,"query":{"bool":{"should":[{"term":{"grp":"pub"}},{"constant_score":{"filter":` + q + `}}]}}}`},
			{"POST", "/" + f.a + "/_search?explain=true", `{"query":{"bool":{"should":[{"term":{"grp":"pub"}},{"constant_score":{"filter":` + q + `}}]}}}`},
			{"POST", "/" + f.a + "/_search", `{"size":0,"aggs":{"t":{"top_hits":{"explain":true}}},"query":{"bool":{"should":[{"term":{"grp":"pub"}},{"constant_score":{"filter":` + q + `}}]}}}`},
		} {
			r := f.send(t, u.name, rq.method, rq.path, rq.body, nil)
			check(rq.path+" "+rq.body, r)
			if r.Status != 400 || !strings.Contains(r.Body, "security_exception") {
				t.Errorf("%s %s: want a 400 security_exception, got %d %.400s", rq.path, rq.body, r.Status, r.Body)
				continue
			}
			if !eventually(5e9, func() bool {
				return slices.Contains(auditActions(t, audit, r.Header.Get("X-Request-Id")), "access_denied")
			}) {
				t.Errorf("%s %s: the refusal is not audited as access_denied", rq.path, rq.body)
			}
		}
		// Without an explanation the query runs (under the filter).
		r := f.send(t, u.name, "POST", "/"+f.a+"/_search", `{"query":`+q+`}`, nil)
		check("search "+q, r)
		if r.Status != 200 {
			t.Errorf("search %s: %d %.400s", q, r.Status, r.Body)
		}
	}
	// Explanations of queries that do not expand are refused too: they
	// would print the role query.
	for _, rq := range []struct{ path, body string }{
		{"/" + f.a + "/_explain/v1", `{"query":{"match":{"pub":"shared"}}}`},
		{"/" + f.a + "/_search", `{"explain":true,"query":{"prefix":{"pub.keyword":"qzc"}}}`},
		{"/" + f.a + "/_search?explain", `{"query":{"match_all":{}}}`},
	} {
		r := f.send(t, u.name, "POST", rq.path, rq.body, nil)
		check(rq.path+" "+rq.body, r)
		if r.Status != 400 || !strings.Contains(r.Body, "explanations are not supported") {
			t.Errorf("%s %s: want a 400 security_exception, got %d %.400s", rq.path, rq.body, r.Status, r.Body)
		}
	}
	// The unrestricted superuser still gets explanations.
	if r := f.admin(t, "superuser _explain", "POST", "/"+f.a+"/_explain/v1", `{"query":{"match":{"pub":"shared"}}}`); !strings.Contains(r.Body, `"explanation"`) {
		t.Errorf("superuser _explain: %d %.400s", r.Status, r.Body)
	}
}
