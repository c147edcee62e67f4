package e2e

// The classification differential's legitimate requests and the spellings
// each is mutated into.

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// dfxBase is one legitimate request of the restricted user.
type dfxBase struct {
	Name   string
	Method string
	Path   string // escaped path
	Query  string // raw query, without '?'
	Body   string
	NDJSON bool
	// Shape is a string the node's 2xx answer to this API always contains.
	Shape string
	// Probe marks a base the proxy may refuse in every spelling.
	Probe bool
	// Hidden marks a base that reads the document the DLS user's role
	// query hides: no spelling may tell that user the document exists.
	Hidden bool
	// Action, Endpoint and Indices are what the classifier reports for
	// the base request.
	Action, Endpoint string
	Indices          []string
}

func (f *dfxFixture) bases() []dfxBase {
	A, W := f.A, f.W
	bs := []dfxBase{
		{Name: "search", Method: "GET", Path: "/" + A + "/_search", Shape: `"hits"`},
		{Name: "search-body", Method: "POST", Path: "/" + A + "/_search", Body: `{"query":{"match_all":{}}}`, Shape: `"hits"`},
		{Name: "search-query-index", Method: "GET", Path: "/_search", Query: "index=" + A, Shape: `"hits"`},
		{Name: "count", Method: "GET", Path: "/" + A + "/_count", Shape: `"count"`},
		{Name: "count-two", Method: "GET", Path: "/" + A + "," + f.A2 + "/_count", Shape: `"count"`},
		{Name: "get", Method: "GET", Path: "/" + A + "/_doc/a1", Shape: `"found"`},
		{Name: "source", Method: "GET", Path: "/" + A + "/_source/a1", Shape: `"note"`},
		{Name: "mget-index", Method: "POST", Path: "/" + A + "/_mget", Body: `{"ids":["a1"]}`, Shape: `"docs"`},
		{Name: "mget", Method: "POST", Path: "/_mget", Body: `{"docs":[{"_index":"` + A + `","_id":"a1"}]}`, Shape: `"docs"`},
		{Name: "msearch", Method: "POST", Path: "/_msearch", Body: `{"index":"` + A + `"}` + "\n{}\n", NDJSON: true, Shape: `"responses"`},
		{Name: "msearch-index", Method: "POST", Path: "/" + A + "/_msearch", Body: "{}\n{}\n", NDJSON: true, Shape: `"responses"`},
		{Name: "field_caps", Method: "GET", Path: "/" + A + "/_field_caps", Query: "fields=*", Shape: `"fields"`},
		{Name: "cat-indices", Method: "GET", Path: "/_cat/indices/" + A, Query: "format=json", Shape: `"health"`},
		{Name: "cat-count", Method: "GET", Path: "/_cat/count/" + A, Query: "format=json", Shape: `"count"`},
		{Name: "mapping", Method: "GET", Path: "/" + A + "/_mapping", Shape: `"mappings"`},
		{Name: "settings", Method: "GET", Path: "/" + A + "/_settings", Shape: `"settings"`},
		{Name: "get-index", Method: "GET", Path: "/" + A, Shape: `"mappings"`},
		{Name: "stats", Method: "GET", Path: "/" + A + "/_stats", Shape: `"_all"`},
		{Name: "explain", Method: "POST", Path: "/" + A + "/_explain/a1", Body: `{"query":{"match_all":{}}}`, Shape: `"explanation"`},
		{Name: "validate", Method: "GET", Path: "/" + A + "/_validate/query", Query: "q=n:1", Shape: `"valid"`},
		{Name: "validate-fuzzy", Method: "POST", Path: "/" + A + "/_validate/query", Query: "explain=true",
			Body: `{"query":{"fuzzy":{"note":{"value":"` + f.CanH[:len(f.CanH)-1] + `x"}}}}`, Shape: `"valid"`},
		{Name: "get-hidden", Method: "GET", Path: "/" + A + "/_doc/h1", Shape: `"found"`, Hidden: true},
		{Name: "source-hidden", Method: "GET", Path: "/" + A + "/_source/h1", Shape: `"note"`, Hidden: true},
		{Name: "explain-hidden", Method: "POST", Path: "/" + A + "/_explain/h1", Body: `{"query":{"match_all":{}}}`, Shape: `"explanation"`, Hidden: true},
		{Name: "termvectors", Method: "GET", Path: "/" + A + "/_termvectors/a1", Shape: `"found"`},
		{Name: "bulk", Method: "POST", Path: "/_bulk", Body: `{"index":{"_index":"` + W + `","_id":"b1"}}` + "\n" + `{"note":"bulk"}` + "\n", NDJSON: true, Shape: `"items"`},
		{Name: "bulk-index", Method: "POST", Path: "/" + W + "/_bulk", Body: `{"index":{"_id":"b2"}}` + "\n" + `{"note":"bulk"}` + "\n", NDJSON: true, Shape: `"items"`},
		{Name: "mget-query-index", Method: "POST", Path: "/_mget", Query: "index=" + A, Body: `{"ids":["a1"]}`, Shape: `"docs"`},
		{Name: "msearch-query-index", Method: "POST", Path: "/_msearch", Query: "index=" + A, Body: "{}\n{}\n", NDJSON: true, Shape: `"responses"`},
		{Name: "bulk-query-index", Method: "POST", Path: "/_bulk", Query: "index=" + W, Body: `{"index":{"_id":"b3"}}` + "\n" + `{"note":"bulk"}` + "\n", NDJSON: true, Shape: `"items"`},
		{Name: "search-template", Method: "POST", Path: "/" + A + "/_search/template", Body: `{"source":{"query":{"match_all":{}}}}`, Shape: `"hits"`, Probe: true},
		{Name: "msearch-template", Method: "POST", Path: "/" + A + "/_msearch/template", Body: "{}\n" + `{"source":{"query":{"match_all":{}}}}` + "\n", NDJSON: true, Shape: `"responses"`, Probe: true},
		{Name: "field-mapping", Method: "GET", Path: "/" + A + "/_mapping/field/note", Shape: `"mappings"`},
		{Name: "search-shards", Method: "GET", Path: "/" + A + "/_search_shards", Shape: `"shards"`},
		{Name: "segments", Method: "GET", Path: "/" + A + "/_segments", Shape: `"indices"`},
		{Name: "recovery", Method: "GET", Path: "/" + A + "/_recovery", Shape: `{`},
		{Name: "cat-shards", Method: "GET", Path: "/_cat/shards/" + A, Query: "format=json", Shape: `[`},
		{Name: "alias-index", Method: "GET", Path: "/" + A + "/_alias", Shape: `"aliases"`},
		{Name: "search-all", Method: "GET", Path: "/_search", Shape: `"hits"`},
		{Name: "count-all", Method: "GET", Path: "/_count", Shape: `"count"`},
		{Name: "mapping-all", Method: "GET", Path: "/_mapping", Shape: `{`},
		{Name: "settings-all", Method: "GET", Path: "/_settings", Shape: `{`},
		{Name: "alias-all", Method: "GET", Path: "/_alias", Shape: `{`},
		{Name: "aliases-all", Method: "GET", Path: "/_aliases", Shape: `{`, Probe: true},
		{Name: "field_caps-all", Method: "GET", Path: "/_field_caps", Query: "fields=*", Shape: `"fields"`},
		{Name: "stats-all", Method: "GET", Path: "/_stats", Shape: `"_all"`},
		{Name: "segments-all", Method: "GET", Path: "/_segments", Shape: `"indices"`},
		{Name: "recovery-all", Method: "GET", Path: "/_recovery", Shape: `{`},
		{Name: "validate-all", Method: "GET", Path: "/_validate/query", Query: "q=n:1", Shape: `"valid"`},
		{Name: "resolve", Method: "GET", Path: "/_resolve/index/" + A, Shape: `"indices"`},
		{Name: "cat-indices-all", Method: "GET", Path: "/_cat/indices", Query: "format=json", Shape: `[`},
		{Name: "cat-aliases-all", Method: "GET", Path: "/_cat/aliases", Query: "format=json", Shape: `[`, Probe: true},
		{Name: "cat-shards-all", Method: "GET", Path: "/_cat/shards", Query: "format=json", Shape: `[`},
		{Name: "cat-segments-all", Method: "GET", Path: "/_cat/segments", Query: "format=json", Shape: `[`},
		{Name: "cat-count-all", Method: "GET", Path: "/_cat/count", Query: "format=json", Shape: `[`},
		{Name: "cat-recovery-all", Method: "GET", Path: "/_cat/recovery", Query: "format=json", Shape: `[`},
		{Name: "update_by_query", Method: "POST", Path: "/" + W + "/_update_by_query", Query: "conflicts=proceed", Shape: `"updated"`},
	}
	for i := range bs {
		c, err := esapi.ClassifyURL(bs[i].Method, bs[i].Path, bs[i].Query)
		if err != nil || c.Denied != "" {
			panic(fmt.Sprintf("base %s does not classify: %v", bs[i].Name, err))
		}
		bs[i].Action, bs[i].Endpoint, bs[i].Indices = c.Action, c.Endpoint, c.Indices
	}
	return bs
}

// dfxMutation is one spelling of a base request.
type dfxMutation struct {
	Base   dfxBase
	Method string
	Target string // request target as sent, byte for byte
	Header map[string]string
	// What names the mutation.
	What string
	// MustPass marks spellings official clients send.
	MustPass bool
	// ZeroForDLS marks queries that match nothing the DLS/FLS user may
	// see: any count or total above zero in that user's answer leaks.
	ZeroForDLS bool
}

// mutate generates the spellings of b.
func (f *dfxFixture) mutate(b dfxBase) []dfxMutation {
	var out []dfxMutation
	seen := map[string]bool{}
	add := func(what, method, pth, query string, mustPass bool, hdr map[string]string) {
		target := pth
		if query != "" {
			target += "?" + query
		}
		key := method + " " + target + fmt.Sprint(hdr)
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, dfxMutation{Base: b, Method: method, Target: target, What: what, MustPass: mustPass, Header: hdr})
	}
	p, q := b.Path, b.Query
	add("base", b.Method, p, q, true, nil)
	// Percent-encode one path character at a time, upper and lower hex,
	// and double-encode it.
	for i := 1; i < len(p); i++ {
		c := p[i]
		up := fmt.Sprintf("%%%02X", c)
		lo := strings.ToLower(up)
		must := c == ',' || c == '*'
		add("encode "+string(c), b.Method, p[:i]+up+p[i+1:], q, must, nil)
		add("encode lower "+string(c), b.Method, p[:i]+lo+p[i+1:], q, must, nil)
		add("double-encode "+string(c), b.Method, p[:i]+"%25"+up[1:]+p[i+1:], q, false, nil)
	}
	segs := strings.Split(p[1:], "/")
	join := func(s []string) string { return "/" + strings.Join(s, "/") }
	for i := range segs {
		with := func(v string) []string { s := append([]string{}, segs...); s[i] = v; return s }
		insert := func(v ...string) []string {
			s := append([]string{}, segs[:i]...)
			s = append(s, v...)
			return append(s, segs[i:]...)
		}
		add("dot segment", b.Method, join(insert(".")), q, false, nil)
		add("dot-dot segment", b.Method, join(insert("x", "..")), q, false, nil)
		add("encoded dot-dot", b.Method, join(insert("x", "%2E%2E")), q, false, nil)
		add("empty segment", b.Method, join(insert("")), q, false, nil)
		add("';' parameter", b.Method, join(with(segs[i]+";x=1")), q, false, nil)
		add("plus", b.Method, join(with(segs[i]+"+")), q, false, nil)
		add("space", b.Method, join(with(segs[i]+"%20")), q, false, nil)
		add("upper case", b.Method, join(with(strings.ToUpper(segs[i]))), q, false, nil)
		add("title case", b.Method, join(with(strings.ToUpper(segs[i][:1])+segs[i][1:])), q, false, nil)
		add("fullwidth low line", b.Method, join(with(strings.ReplaceAll(segs[i], "_", "%EF%BC%BF"))), q, false, nil)
		add("hyphen look-alike", b.Method, join(with(strings.ReplaceAll(segs[i], "-", "%E2%80%90"))), q, false, nil)
		add("cyrillic a", b.Method, join(with(strings.ReplaceAll(segs[i], "a", "%D0%B0"))), q, false, nil)
		add("raw utf-8", b.Method, join(with(strings.ReplaceAll(segs[i], "-", "\u2010"))), q, false, nil)
		add("long segment", b.Method, join(with(segs[i]+strings.Repeat("x", 300))), q, false, nil)
		add("backslash", b.Method, join(with(segs[i]+"\\")), q, false, nil)
		add("encoded slash", b.Method, join(with(segs[i]+"%2Fx")), q, false, nil)
	}
	add("trailing slash", b.Method, p+"/", q, true, nil)
	add("two trailing slashes", b.Method, p+"//", q, false, nil)
	add("leading double slash", b.Method, "/"+p, q, false, nil)
	add("extra segment", b.Method, p+"/extra", q, false, nil)
	add("fragment", b.Method, p+"#frag", q, false, nil)
	add("fragment after query", b.Method, p, joinQuery(q, "pretty#x"), false, nil)
	// A mapping type after the index (the typed routes of 7.x).
	if strings.HasPrefix(p, "/"+f.A+"/") {
		rest := strings.TrimPrefix(p, "/"+f.A)
		for _, typ := range []string{"_doc", "doc", "x", "_all"} {
			add("type "+typ, b.Method, "/"+f.A+"/"+typ+rest, q, false, nil)
		}
	}
	// Index expressions in place of the readable index.
	if strings.Contains(p, "/"+f.A+"/") || strings.HasSuffix(p, "/"+f.A) {
		num := strings.TrimPrefix(f.A, "dfx-a-")
		for _, expr := range []string{
			f.A + ",", f.A + ",,", "," + f.A, f.A + "," + f.S, "*", "_all", "dfx-*", "dfx-*,-" + f.A, "*,-dfx-a-*",
			"-" + f.S + "," + f.A, "+" + f.S, "_all,-" + f.A, f.Alias, "dfx-sal-*", "*:" + f.S, "x:" + f.S,
			f.S + "::data", f.A + "::*", "%3C" + f.S + "%3E", "%3Cdfx-%7Bnow%2Fd%7B'" + "s-" + num + "'%7D%7D%3E",
			"%3Cdfx-a-%7Bnow%2Fd%7B'" + num + "'%7D%7D%3E", "%3Cdfx-%5C%7Bs%5C%7D%3E", "dfx-?-" + num, strings.ToUpper(f.S),
			"dfx-s-" + num + "%2A", "dfx-s-" + num + "*", ".." + f.S, "dfx-a-" + num + "*,dfx-s-" + num + "*",
			f.A + "%2C" + f.S, f.A + "%252C" + f.S, "%2A", "*,-*", "_all,_all",
		} {
			add("index expression "+expr, b.Method, strings.Replace(p, "/"+f.A, "/"+expr, 1), q, false, nil)
		}
	}
	add("absolute-form", b.Method, "http://127.0.0.1"+p, q, false, nil)
	// Query-string mutations.
	for _, extra := range []string{
		"index=dfx-s-x", "index=%s", "alias=%l", "name=%l", "indices=%s", "alias=%s", "name=%s", "target=%s", "index=%l", "index=%a", "index=%a&index=%s", "Index=%s", "%69ndex=%s", "index%3D%s",
		"+index=%s", "index[]=%s", "q=note:*", "q=a&q=b", "routing=x", "routing=x&routing=y",
		"preference=_local", "preference=_shards:0", "filter_path=**", "filter_path=a&filter_path=b",
		"unknown_param=1", "expand_wildcards=all", "ignore_unavailable=true", "allow_no_indices=true",
		"pretty", "pretty&pretty", "format=yaml", "format=cbor", "source=%7B%7D&source_content_type=application/json",
		"id=s1", "_id=s1", "type=_doc",
		"explain", "explain=", "version", "rewrite", "rewrite=", "all_shards", "typed_keys", "rest_total_hits_as_int",
		"realtime=", "refresh", "_source", "_source=", "_source=secretf", "_source_includes=secretf", "stored_fields=",
		"stored_fields=secretf", "docvalue_fields=secretf.keyword", "fields=secretf", "q=secretf:*", "q=*&df=secretf",
		"q=canarydfx*", "q=note:canarydfx*&analyze_wildcard", "sort=secretf.keyword", "routing=", "preference=",
		"track_scores", "seq_no_primary_term", "include_defaults", "lenient", "analyze_wildcard", "ids=h1", "fields=*", "pretty=true%3Bindex=%s", "&&", "=x",
	} {
		add("query "+extra, b.Method, p, joinQuery(q, extra), false, nil)
	}
	// Queries that match only what the DLS/FLS user may not see: the
	// hidden document's value, the hidden field's value. Their counts
	// must be zero for that user.
	for _, q2 := range []string{"q=note:canarydfxhidden*", "q=secretf:canarydfxfield*", "q=canarydfxfield*&df=secretf",
		"q=canarydfxhidden*", "q=canarydfxfield*", "q=canarydfx*&analyze_wildcard=true"} {
		out = append(out, dfxMutation{Base: b, Method: b.Method, Target: p + "?" + joinQuery(q, q2), What: "hidden query " + q2, ZeroForDLS: true})
	}
	// The same, as a body in the query string.
	for _, src := range []string{
		"source=" + url.QueryEscape(`{"query":{"wildcard":{"note":"canarydfxhidden*"}}}`) + "&source_content_type=application/json",
		"source=" + url.QueryEscape(`{"query":{"exists":{"field":"secretf"}}}`) + "&source_content_type=application/json",
		"source=" + url.QueryEscape("query:\n  wildcard:\n    note: canarydfxhidden*\n") + "&source_content_type=application/yaml",
		"source=" + url.QueryEscape(`{"query":{"wildcard":{"note":"canarydfxhidden*"}}}`),
	} {
		out = append(out, dfxMutation{Base: b, Method: b.Method, Target: p + "?" + joinQuery(q, src), What: "hidden query in source", ZeroForDLS: true})
	}
	// Method swaps and overrides.
	for _, m := range []string{"GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "get", "TRACE"} {
		add("method "+m, m, p, q, false, nil)
	}
	add("method override", b.Method, p, q, false, map[string]string{"X-HTTP-Method-Override": "DELETE"})
	return out
}

func joinQuery(q, extra string) string {
	if q == "" {
		return extra
	}
	return q + "&" + extra
}
