package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestValidateRewriteFlagSpellings: the cluster reads a boolean query
// parameter given without a value ("?rewrite", "?rewrite=") as true
// (RestRequest.paramAsBoolean), so those spellings run _validate/query with
// rewrite, whose explanation expands a fuzzy (or prefix, wildcard) query
// into the terms of the whole index, those of documents the role query
// hides included. Elasticsearch refuses validate with rewrite under DLS;
// the proxy let the valueless spellings through as "rewrite off".
func TestValidateRewriteFlagSpellings(t *testing.T) {
	f := newOneRoleProxy(t, "dlsvalidator", "  indices:\n    - names: [\"e2e-vrw-*\"]\n      privileges: [read, view_index_metadata]\n"+
		"      query: '{\"term\":{\"level\":\"public\"}}'\n")
	idx := fmt.Sprintf("e2e-vrw-%d", time.Now().UnixNano())
	f.cleanup(nil, idx)
	const canary = "zzcanaryvrwhidden"
	f.setup("seed the hidden document", "PUT", "/"+idx+"/_doc/h1?refresh=true", `{"level":"secret","note":"`+canary+`"}`)
	f.setup("seed the visible document", "PUT", "/"+idx+"/_doc/v1?refresh=true", `{"level":"public","note":"visible"}`)
	body := `{"query":{"fuzzy":{"note":{"value":"zzcanaryvrwhiddem"}}}}`
	// Control: the cluster's rewritten explanation names the hidden term.
	if r := f.asAdmin("POST", "/"+idx+"/_validate/query?explain=true&rewrite", body); r.Status != 200 || !strings.Contains(r.Body, canary) {
		t.Fatalf("control: a valueless rewrite expands the fuzzy query on the cluster: %d %s", r.Status, r.Body)
	}
	for _, q := range []string{"rewrite", "rewrite=", "explain=true&rewrite", "explain=true&rewrite=", "rewrite=true"} {
		r := f.asUser("POST", "/"+idx+"/_validate/query?"+q, body)
		if strings.Contains(r.Body, canary) {
			t.Errorf("?%s: the explanation names a term of a hidden document: %d %s", q, r.Status, r.Body)
		}
		if r.Status != 400 || !strings.Contains(r.Body, "rewrite") {
			t.Errorf("?%s: want 400 (validate with rewrite under DLS), got %d %s", q, r.Status, r.Body)
		}
	}
	// The refusals are in the audit trail, as denials of the user's request.
	trail, err := os.ReadFile(filepath.Join(f.p.Dir, "audit.json"))
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, line := range strings.Split(string(trail), "\n") {
		if strings.Contains(line, `"access_denied"`) && strings.Contains(line, "dlsvalidator") && strings.Contains(line, "_validate/query") {
			denied++
		}
	}
	if denied < 5 {
		t.Errorf("want the 5 refused validate requests audited as access_denied, found %d", denied)
	}
	// rewrite=false is what it says, and allowed.
	if r := f.asUser("POST", "/"+idx+"/_validate/query?explain=true&rewrite=false", body); r.Status != 200 || strings.Contains(r.Body, canary) {
		t.Errorf("rewrite=false: %d %s", r.Status, r.Body)
	}
}

// TestValidateExplainHidesRoleQuery: _validate/query?explain printed the
// query the cluster validated, which was the user's query wrapped in the
// role query, and a role query can name what only hidden documents hold
// ("must_not": {"term": {"code": "<secret>"}}). Elasticsearch applies the
// role query to the index reader, so its explanation never names it; the
// proxy now validates the user's query unwrapped (it reads no document
// without rewrite, which is refused under DLS). _explain and explanations
// in searches, which read documents and cannot go unwrapped, are refused.
func TestValidateExplainHidesRoleQuery(t *testing.T) {
	const code = "zzcanaryrolequeryvx"
	f := newOneRoleProxy(t, "dlsexplainer", "  indices:\n    - names: [\"e2e-vrq-*\"]\n      privileges: [read, view_index_metadata]\n"+
		"      query: '{\"bool\":{\"must_not\":{\"term\":{\"code\":\""+code+"\"}}}}'\n")
	idx := fmt.Sprintf("e2e-vrq-%d", time.Now().UnixNano())
	f.cleanup(nil, idx)
	f.setup("seed the hidden document", "PUT", "/"+idx+"/_doc/h1?refresh=true", `{"code":"`+code+`","note":"a"}`)
	f.setup("seed the visible document", "PUT", "/"+idx+"/_doc/v1?refresh=true", `{"code":"public","note":"a"}`)
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/" + idx + "/_validate/query?explain=true", `{"query":{"match":{"note":"a"}}}`},
		{"GET", "/" + idx + "/_validate/query?explain", ""},
		{"GET", "/" + idx + "/_validate/query?explain=true&q=note:a", ""},
		{"POST", "/_validate/query?explain=true&index=" + idx, `{"query":{"term":{"code":"public"}}}`},
	} {
		r := f.asUser(req.method, req.path, req.body)
		if r.Status != 200 || !strings.Contains(r.Body, `"valid":true`) {
			t.Errorf("%s %s: want a valid answer: %d %s", req.method, req.path, r.Status, r.Body)
		}
		if strings.Contains(r.Body, code) {
			t.Errorf("%s %s: the explanation prints the role query: %s", req.method, req.path, r.Body)
		}
	}
	// _explain and explanations in a search would print it too: refused.
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/" + idx + "/_explain/v1", `{"query":{"match":{"note":"a"}}}`},
		{"POST", "/" + idx + "/_search?explain=true", `{"query":{"match":{"note":"a"}}}`},
		{"POST", "/" + idx + "/_search", `{"explain":true,"query":{"match_all":{}}}`},
		{"GET", "/" + idx + "/_search?explain&q=note:a", ""},
	} {
		r := f.asUser(req.method, req.path, req.body)
		if strings.Contains(r.Body, code) {
			t.Errorf("%s %s: the explanation prints the role query: %s", req.method, req.path, r.Body)
		}
		if r.Status != 400 || !strings.Contains(r.Body, "explanations are not supported") {
			t.Errorf("%s %s: want a 400 security_exception, got %d %.300s", req.method, req.path, r.Status, r.Body)
		}
	}
	// The role query still applies where documents are read.
	if r := f.asUser("POST", "/"+idx+"/_search", `{"query":{"match":{"note":"a"}}}`); r.Status != 200 || strings.Contains(r.Body, `"h1"`) || !strings.Contains(r.Body, `"v1"`) {
		t.Errorf("search: %d %s", r.Status, r.Body)
	}
}
