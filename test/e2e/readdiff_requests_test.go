package e2e

// The read-API differential's requests: the fixed list, and the
// continuations of its cursors (scroll pages, point-in-time searches).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// readDiffRequests is the fixed request list, the same for every user.
func readDiffRequests(f *fuzzFixture) []readReq {
	var rs []readReq
	add := func(kind, method, path, body string) {
		rs = append(rs, readReq{kind: kind, method: method, path: path, body: body})
	}
	idx := []string{"@A@", "@B@"}
	// Single documents, every id of both indices.
	getParams := []string{"", "_source_includes=obj.*,nst.*,dot.*", "_source_excludes=pub,*.pub", "_source=sec,obj,flat",
		"stored_fields=sectv,pub,grp", "_source=false", "stored_fields=*", "_source_includes=*sec*&_source_excludes=obj.*",
		"realtime=false", "_source=dis,arr"}
	for n, id := range f.ids {
		for k, ix := range idx {
			p := getParams[(n+k)%len(getParams)]
			add("get", "GET", "/"+ix+"/_doc/"+id+"?"+p, "")
			add("get", "HEAD", "/"+ix+"/_doc/"+id, "")
			add("get", "GET", "/"+ix+"/_source/"+id+"?"+getParams[(n+k+3)%len(getParams)], "")
			add("get", "HEAD", "/"+ix+"/_source/"+id, "")
			add("explain", "GET", "/"+ix+"/_explain/"+id+"?q=shared&df=pub", "")
			add("explain", "POST", "/"+ix+"/_explain/"+id+"?_source=true&stored_fields=pub,sectv", `{"query":{"match_all":{}}}`)
			add("tv", "GET", "/"+ix+"/_termvectors/"+id+"?fields="+[]string{"*", "sectv,pubtv", "pub,sec", "s*", "nst.*"}[(n+k)%5], "")
			add("tv", "POST", "/"+ix+"/_termvectors/"+id, `{"fields":["pubtv","sectv","pub","sec.keyword"],"offsets":true,"positions":true,"payloads":true,"term_statistics":true,"field_statistics":true,"filter":{"max_num_terms":3,"min_term_freq":1,"min_doc_freq":1}}`)
		}
	}
	// Several documents.
	for _, ix := range idx {
		add("mget", "POST", "/_mget", `{"docs":[{"_index":"`+ix+`","_id":"v1"},{"_index":"`+ix+`","_id":"h1","_source":["sec","pub"]},{"_index":"@B@","_id":"h2","stored_fields":["sectv","pub"]},{"_index":"@A@","_id":"v4","_source":{"includes":["*"],"excludes":["pub"]}},{"_index":"@A@","_id":"h3","_source":false}]}`)
		add("mget", "POST", "/"+ix+"/_mget?_source_includes=*sec*,obj.*", `{"ids":["v1","v2","h1","h2","v4","h3"]}`)
		add("mget", "GET", "/"+ix+"/_mget?stored_fields=sectv,grp", `{"ids":["v1","h1","v4","h3"]}`)
		add("mget", "POST", "/"+ix+"/_mget", `{"docs":[{"_id":"v1","_source":"obj.*"},{"_id":"h2"},{"_index":"@B@","_id":"v3","_source":["nst","arr","dis","flat"]}]}`)
		add("mtv", "POST", "/"+ix+"/_mtermvectors", `{"ids":["v1","h1","v4","h3"],"parameters":{"fields":["*"],"term_statistics":true,"field_statistics":true}}`)
		add("mtv", "POST", "/_mtermvectors", `{"docs":[{"_index":"`+ix+`","_id":"v2","fields":["sectv","pubtv"]},{"_index":"@B@","_id":"h1","fields":["s*"]},{"_index":"@A@","_id":"h2"}]}`)
		add("mtv", "POST", "/"+ix+"/_mtermvectors?fields=pub,sec&term_statistics=true", `{"docs":[{"_id":"v1"},{"_id":"h1","per_field_analyzer":{"pub":"keyword","sec":"keyword"}},{"_id":"v3","filter":{"max_num_terms":2}}]}`)
	}
	// Artificial documents: analyzed with the index's mapping; only the
	// canary check applies (a field the user cannot see is, on the
	// mirror, dynamically mapped).
	for _, ix := range idx {
		rs = append(rs,
			readReq{kind: "tv", method: "POST", path: "/" + ix + "/_termvectors", body: `{"doc":{"pub":"shared words","sec":"shared"},"term_statistics":true,"field_statistics":true}`, noMirror: true},
			readReq{kind: "tv", method: "POST", path: "/" + ix + "/_termvectors", body: `{"doc":{"pubtv":"shared words"},"fields":["pubtv"],"per_field_analyzer":{"pubtv":"standard"},"term_statistics":true,"field_statistics":true}`, noMirror: true},
			readReq{kind: "mtv", method: "POST", path: "/_mtermvectors", body: `{"docs":[{"_index":"` + ix + `","doc":{"sectv":"shared qzc"},"term_statistics":true},{"_index":"` + ix + `","doc":{"obj":{"sec":"x"}}}]}`, noMirror: true},
		)
	}
	// Counting and searching by query string.
	for _, ix := range []string{"@A@", "@B@", "@A@,@B@"} {
		for _, q := range []string{
			"q=shared", "q=shared&df=sec", "q=sec:shared", "q=qzc*&analyze_wildcard=true", "q=obj.sec:qzc*&analyze_wildcard=true",
			"q=shared+words&default_operator=AND&df=pub", "q=secnum:>1&lenient=true", "q=_exists_:sec", "q=_exists_:obj.sec",
			"q=nst.sec:shared&lenient=true", "q=grp:priv", "q=*:shared&lenient=true", "q=flat.sec:*&analyze_wildcard=true",
			"q=alias_sec:shared", "q=sec.keyword:qzc*", "q=_id:h1",
		} {
			add("count", "GET", "/"+ix+"/_count?"+q, "")
			add("search", "GET", "/"+ix+"/_search?size=20&"+q, "")
		}
		for _, q := range []string{
			"q=shared&sort=num:asc&_source_includes=pub,obj.*",
			"q=shared&sort=secnum:desc", "q=shared&stored_fields=sectv,pub", "q=shared&docvalue_fields=sec.keyword,pub.keyword,grp",
			"q=shared&docvalue_fields=*", "q=shared&track_total_hits=true&search_type=dfs_query_then_fetch",
			"q=shared&suggest_field=sec&suggest_text=qzchh1secq&suggest_mode=always", "q=shared&suggest_field=pub&suggest_text=qzcvv1pubx",
			"q=shared&_source_excludes=pub&stored_fields=_source,secnum", "q=shared&version=true&seq_no_primary_term=true&explain=true",
			"q=shared&sort=sec.keyword:asc", "q=shared&_source=nst.sec,arr.*", "q=shared&track_scores=true&sort=grp:asc",
		} {
			add("search", "GET", "/"+ix+"/_search?size=20&"+q, "")
		}
	}
	// Fields and mappings.
	for _, ix := range []string{"@A@", "@B@", "@A@,@B@"} {
		for _, p := range []string{"fields=*", "fields=*&include_unmapped=true", "fields=sec*,obj.*,nst.*", "fields=flat*,dis*,alias*", "fields=pub,sec.keyword"} {
			add("fieldcaps", "GET", "/"+ix+"/_field_caps?"+p, "")
		}
		add("fieldcaps", "POST", "/"+ix+"/_field_caps?fields=*", `{"index_filter":{"term":{"grp":"priv"}}}`)
		add("fieldcaps", "POST", "/"+ix+"/_field_caps?fields=*", `{"index_filter":{"exists":{"field":"sec"}}}`)
		for _, p := range []string{"*", "sec*,obj.*", "nst.sec,alias_sec,flat", "*.keyword", "secpfx,secsayt*"} {
			add("mapping", "GET", "/"+ix+"/_mapping/field/"+p, "")
			add("mapping", "GET", "/"+ix+"/_mapping/field/"+p+"?include_defaults=true", "")
		}
	}
	for _, ix := range []string{"@A@", "@B@"} {
		add("validate", "GET", "/"+ix+"/_validate/query?explain=true&q=sec:qzc*", "")
		add("validate", "POST", "/"+ix+"/_validate/query?explain=true&rewrite=true", `{"query":{"wildcard":{"sec.keyword":"qzc*"}}}`)
		add("validate", "POST", "/"+ix+"/_validate/query?explain=true&all_shards=true", `{"query":{"fuzzy":{"sec":"qzchh1secx"}}}`)
		add("validate", "POST", "/"+ix+"/_validate/query?explain=true&rewrite=true", `{"query":{"more_like_this":{"fields":["pub","sec"],"like":[{"_index":"`+ix+`","_id":"h1"}],"min_term_freq":1,"min_doc_freq":1}}}`)
	}
	// Whole mappings and index descriptions.
	for _, ix := range []string{"@A@", "@B@", "@A@,@B@"} {
		add("mapping", "GET", "/"+ix+"/_mapping", "")
		add("mapping", "GET", "/"+ix+"/_mappings?include_defaults=true", "")
		add("mapping", "GET", "/"+ix, "")
		add("mapping", "GET", "/"+ix+"?include_defaults=true&flat_settings=true", "")
	}
	// More query strings: wildcards in field names, regular expressions,
	// fuzziness, ranges, explanations of what matched.
	for _, ix := range []string{"@A@", "@B@", "@A@,@B@"} {
		for _, q := range []string{
			"q=sec:qzc*&analyze_wildcard=true&explain=true", "q=qzc*&analyze_wildcard=true&explain=true",
			"q=*.sec:qzc*&analyze_wildcard=true", "q=obj.\\*:qzc*&analyze_wildcard=true", "q=/qzc.*/",
			"q=sec:qzcvv1secx~2", "q=sec:(qzc* OR shared)&analyze_wildcard=true", "q=_exists_:flat.sec",
			"q=nst.sec:*&analyze_wildcard=true", "q=secnum:[0 TO *]", "q=qzc*&df=*&analyze_wildcard=true",
			"q=qzc*&df=sec*&analyze_wildcard=true", "q=shared&df=alias_sec", "q=sectv:shared&stored_fields=*&_source=true",
			"q=shared&_source_includes=*.sec&_source_excludes=obj.*", "q=shared&docvalue_fields=*.keyword&sort=_id:asc",
			"q=pub:shared AND NOT sec:shared", "q=shared&search_type=dfs_query_then_fetch&explain=true&df=sectv",
		} {
			add("search", "GET", "/"+ix+"/_search?size=20&"+q, "")
			add("count", "GET", "/"+ix+"/_count?"+q, "")
		}
		add("validate", "GET", "/"+ix+"/_validate/query?explain=true&rewrite=true&q=qzc*&analyze_wildcard=true", "")
		add("validate", "POST", "/"+ix+"/_validate/query?explain=true&rewrite=true", `{"query":{"query_string":{"query":"qzc*","rewrite":"scoring_boolean"}}}`)
		add("validate", "POST", "/"+ix+"/_validate/query?explain=true&rewrite=true", `{"query":{"prefix":{"pub.keyword":{"value":"qzc","rewrite":"scoring_boolean"}}}}`)
		add("fieldcaps", "POST", "/"+ix+"/_field_caps?fields=*", `{"index_filter":{"term":{"obj.sec":"qzchh1osecq"}}}`)
		add("fieldcaps", "POST", "/"+ix+"/_field_caps?fields=*", `{"index_filter":{"range":{"secnum":{"gte":86753190000}}}}`)
		add("fieldcaps", "POST", "/"+ix+"/_field_caps?fields=pub*", `{"index_filter":{"prefix":{"sec.keyword":"qzcbhh"}}}`)
	}
	for _, ix := range idx {
		add("get", "GET", "/"+ix+"/_doc/v1?stored_fields=*&_source=true", "")
		add("get", "GET", "/"+ix+"/_doc/h3?stored_fields=_none_", "")
		add("get", "GET", "/"+ix+"/_doc/v4?_source_includes=*&_source_excludes=", "")
		add("mget", "POST", "/"+ix+"/_mget?stored_fields=*&_source=true", `{"ids":["v1","h1","v4","h3"]}`)
		add("mget", "POST", "/"+ix+"/_mget?_source=false", `{"docs":[{"_id":"v2","_source":true},{"_id":"h2","_source":{"include":["*"]}},{"_id":"v4","stored_fields":"sectv","_source":"*"}]}`)
		add("tv", "GET", "/"+ix+"/_termvectors/v2?fields=*.keyword&field_statistics=false&positions=false&offsets=false", "")
		add("tv", "GET", "/"+ix+"/_termvectors/h2?realtime=false&fields=pubtv,sectv,alias_sec", "")
	}
	add("msearch", "POST", "/_msearch?search_type=dfs_query_then_fetch&rest_total_hits_as_int=true", `{"index":"@A@","search_type":"query_then_fetch"}
{"size":20,"query":{"query_string":{"query":"qzc*","analyze_wildcard":true}},"_source":["*sec*"]}
{"index":"@B@","preference":"_local"}
{"size":20,"query":{"bool":{"must_not":{"exists":{"field":"obj.sec"}}}},"stored_fields":["*"],"docvalue_fields":["*.keyword"]}
{"index":["@A@","@B@"],"ignore_unavailable":true}
{"size":20,"query":{"match_all":{}},"fields":["*"],"_source":false}
`)
	// Counting through _cat, and index names written as date math.
	for _, ix := range []string{"@A@", "@B@", "@A@,@B@"} {
		add("cat", "GET", "/_cat/count/"+ix+"?format=json", "")
		add("cat", "GET", "/_cat/count/"+ix+"?v", "")
	}
	for _, ix := range idx {
		dm := "%3C" + ix + "%3E"
		add("get", "GET", "/"+dm+"/_doc/v1", "")
		add("get", "GET", "/"+dm+"/_doc/h1", "")
		add("get", "GET", "/"+dm+"/_source/h3", "")
		add("search", "GET", "/"+dm+"/_search?size=20&q=shared", "")
		add("fieldcaps", "GET", "/"+dm+"/_field_caps?fields=*", "")
		add("mapping", "GET", "/"+dm+"/_mapping", "")
		add("mget", "POST", "/_mget", `{"docs":[{"_index":"<`+ix+`>","_id":"v1"},{"_index":"`+ix+`","_id":"h1"}]}`)
	}
	// Field names escaped in query strings: the query parser unescapes
	// them before it looks the field up.
	for _, ix := range []string{"@A@", "@B@"} {
		for _, q := range []string{
			`q=s%5Cec:qzc*`, `q=%5Csec:qzc*`, `q=%5Cu0073ec:qzc*`, `q=obj.s%5Cec:qzc*`, `q=obj%5C.sec:qzc*`,
			`q=_exists_:s%5Cec`, `q=qzc*&df=s%5Cec`, `q=qzc*&df=%5Cu0073ec`, `q=s%5C*c:qzc*`, `q=sec%5C.keyword:qzc*`,
			`q=%2Bsec:qzc*`, `q=sec:%3Eqzc`, `q=sec:%7Bqzc%20TO%20qzd%7D`, `q=nst.s%5Cec:qzc*`, `q=flat.s%5Cec:qzc*`,
		} {
			add("count", "GET", "/"+ix+"/_count?"+q+"&analyze_wildcard=true", "")
		}
	}
	// Multi-search and templates.
	add("msearch", "POST", "/_msearch", `{"index":"@A@"}
{"query":{"match":{"sec":"shared"}},"size":20}
{"index":"@B@"}
{"query":{"match_all":{}},"size":20,"_source":["sec","obj"]}
{"index":["@A@","@B@"]}
{"query":{"exists":{"field":"obj.sec"}},"size":20}
`)
	add("msearch", "POST", "/_msearch", `{"index":"@B@"}
{"size":0,"aggs":{"k":{"terms":{"field":"pub.keyword"}},"m":{"max":{"field":"secnum"}},"c":{"cardinality":{"field":"obj.pub"}}}}
{"index":"@A@"}
{"size":0,"aggs":{"k":{"terms":{"field":"pub.keyword"}},"t":{"terms":{"field":"sec.keyword"}},"n":{"nested":{"path":"nst"},"aggs":{"v":{"terms":{"field":"nst.pub"}}}}}}
{"index":"@B@"}
{"size":20,"query":{"term":{"pub.keyword":"qzcbhh1pubq shared words qzcbhh1pubbq"}}}
`)
	add("msearch", "POST", "/@A@/_msearch?typed_keys=true", `{}
{"size":0,"aggs":{"g":{"terms":{"field":"sec.keyword"}}}}
{"index":"@B@"}
{"size":20,"docvalue_fields":["sec.keyword","grp"],"stored_fields":["sectv"]}
`)
	tmpl := `{"source":"{\"size\":20,\"query\":{\"match\":{\"{{f}}\":\"{{v}}\"}},\"_source\":{{#toJson}}src{{/toJson}}}","params":{"f":"%s","v":"shared","src":["%s"]}}`
	for _, ix := range []string{"@A@", "@B@", "@A@,@B@"} {
		for _, fv := range [][2]string{{"sec", "*"}, {"pub", "obj.*"}, {"obj.sec", "sec"}, {"grp", "pub"}} {
			add("search", "POST", "/"+ix+"/_search/template", fmt.Sprintf(tmpl, fv[0], fv[1]))
		}
		add("search", "POST", "/"+ix+"/_search/template", `{"source":{"size":20,"query":{"query_string":{"query":"{{q}}"}},"stored_fields":["sectv"],"docvalue_fields":["{{dv}}"]},"params":{"q":"shared","dv":"sec.keyword"}}`)
		add("search", "GET", "/"+ix+"/_search/template?explain=true&profile=false", `{"source":"{\"size\":20,\"query\":{\"prefix\":{\"sec\":\"qzc\"}}}"}`)
	}
	add("msearch", "POST", "/_msearch/template", `{"index":"@A@"}
{"source":"{\"size\":20,\"query\":{\"match\":{\"sec\":\"{{v}}\"}}}","params":{"v":"shared"}}
{"index":"@B@"}
{"source":{"size":20,"query":{"term":{"grp":"{{g}}"}},"_source":["sec","pub","obj"]},"params":{"g":"priv"}}
`)
	add("render", "POST", "/_render/template", `{"source":"{\"query\":{\"match\":{\"sec\":\"{{v}}\"}}}","params":{"v":"shared"}}`)
	// Cursors: every page of a scroll, a point in time's searches.
	for _, ix := range []string{"@A@", "@B@", "@A@,@B@"} {
		rs = append(rs, readReq{kind: "search", method: "POST", path: "/" + ix + "/_search?scroll=1m", body: `{"size":2,"sort":[{"_id":"asc"}],"query":{"match":{"pub":"shared"}},"_source":["pub","sec","obj"],"docvalue_fields":["sec.keyword"]}`, follow: followScroll})
		pit := "/" + ix + "/_search/point_in_time?keep_alive=1m"
		if os.Getenv("E2E_BACKEND") == "elasticsearch" {
			pit = "/" + ix + "/_pit?keep_alive=1m"
		}
		rs = append(rs, readReq{kind: "search", method: "POST", path: pit, follow: followPIT})
	}
	// Wildcards, _all and the forbidden index: only the canary check
	// applies (the mirrors' names differ).
	for _, path := range []string{
		"/@P@*/_mapping", "/_mapping/field/sec*,obj.*", "/_all/_field_caps?fields=*", "/@P@*/_search?size=50&q=qzc*&analyze_wildcard=true",
		"/_cat/count/@P@*?format=json", "/*/_count?q=qzc*&analyze_wildcard=true", "/_search?size=50&q=_index:@P@*", "/@P@*",
		"/@A@,@Z@/_field_caps?fields=*", "/@Z@/_doc/v1", "/@Z@/_source/z1", "/@A@,@Z@/_search?q=shared", "/@P@*,-@B@/_mapping/field/*",
		"/@P@*/_search?size=50&q=_exists_:sec&sort=_index:asc", "/_mapping", "/_field_caps?fields=sec*",
	} {
		rs = append(rs, readReq{kind: "wild", method: "GET", path: path, noMirror: true})
	}
	rs = append(rs,
		readReq{kind: "wild", method: "POST", path: "/_mget", body: `{"docs":[{"_index":"@Z@","_id":"z1"},{"_index":"@A@","_id":"h1"},{"_index":"@B@","_id":"h1"}]}`, noMirror: true},
		readReq{kind: "wild", method: "POST", path: "/_msearch", body: "{\"index\":\"@Z@\"}\n{}\n{\"index\":\"@P@*\"}\n{\"size\":50}\n{\"index\":\"_all\"}\n{\"size\":50,\"_source\":[\"*sec*\"]}\n", noMirror: true},
		readReq{kind: "wild", method: "POST", path: "/_mtermvectors", body: `{"docs":[{"_index":"@Z@","_id":"z1"},{"_index":"@A@","_id":"h1","fields":["*"]}]}`, noMirror: true},
	)
	// Query languages: not loaded on the test node; refused or absent,
	// never an answer with data.
	for _, p := range []string{"/_plugins/_sql", "/_plugins/_ppl", "/_sql", "/_opendistro/_sql"} {
		q := `{"query":"SELECT * FROM @A@"}`
		if strings.HasSuffix(p, "_ppl") {
			q = `{"query":"source=@A@"}`
		}
		rs = append(rs, readReq{kind: "sql", method: "POST", path: p, body: q, noMirror: true, mustFail: true})
	}
	rs = append(rs,
		readReq{kind: "async", method: "POST", path: "/_plugins/_asynchronous_search?index=@A@&wait_for_completion_timeout=10s&keep_on_completion=false", body: `{"size":20,"query":{"match_all":{}}}`, noMirror: true, mustFail: true},
		readReq{kind: "async", method: "POST", path: "/@A@/_async_search?wait_for_completion_timeout=10s&keep_on_completion=false", body: `{"size":20,"query":{"match_all":{}}}`, noMirror: true, mustFail: true},
		readReq{kind: "sql", method: "POST", path: "/_sql?format=txt", body: `{"query":"SELECT sec FROM \"@A@\""}`, noMirror: true, mustFail: true},
	)
	return rs
}

// followScroll reads every page of the scroll first opened and returns
// them as one search answer.
func followScroll(t *testing.T, f *fuzzFixture, who string, first readAnswer) readAnswer {
	t.Helper()
	raw := first.raw
	var all []any
	page := first.json
	for n := 0; n < 20; n++ {
		var m struct {
			ScrollID string `json:"_scroll_id"`
			Hits     struct {
				Hits []any `json:"hits"`
			} `json:"hits"`
		}
		if err := json.Unmarshal([]byte(page), &m); err != nil {
			return readAnswer{status: 599, raw: raw + "\nunreadable page: " + page}
		}
		all = append(all, m.Hits.Hits...)
		if len(m.Hits.Hits) == 0 || m.ScrollID == "" {
			if m.ScrollID != "" {
				do(t, f.c, "DELETE", f.p.URL+"/_search/scroll", who, f.su.Password, strings.NewReader(`{"scroll_id":"`+m.ScrollID+`"}`), map[string]string{"Content-Type": "application/json"})
			}
			break
		}
		r := do(t, f.c, "POST", f.p.URL+"/_search/scroll", who, f.su.Password, strings.NewReader(`{"scroll":"1m","scroll_id":"`+m.ScrollID+`"}`), map[string]string{"Content-Type": "application/json"})
		raw += "\n" + r.Body
		if r.Status != 200 {
			return readAnswer{status: r.Status, raw: raw}
		}
		page = r.Body
	}
	js, _ := json.Marshal(map[string]any{"hits": map[string]any{"total": len(all), "hits": all}})
	return readAnswer{status: 200, raw: raw, json: string(js)}
}

// followPIT searches the point in time first opened three ways and
// returns the answers as one _msearch-like answer.
func followPIT(t *testing.T, f *fuzzFixture, who string, first readAnswer) readAnswer {
	t.Helper()
	var m struct {
		PitID string `json:"pit_id"` // OpenSearch
		ID    string `json:"id"`     // Elasticsearch
	}
	if json.Unmarshal([]byte(first.json), &m) != nil || m.PitID+m.ID == "" {
		return readAnswer{status: 599, raw: first.raw}
	}
	jsonCT := map[string]string{"Content-Type": "application/json"}
	if m.ID != "" {
		m.PitID = m.ID
		defer do(t, f.c, "DELETE", f.p.URL+"/_pit", who, f.su.Password, strings.NewReader(`{"id":"`+m.ID+`"}`), jsonCT)
	} else {
		defer do(t, f.c, "DELETE", f.p.URL+"/_search/point_in_time", who, f.su.Password, strings.NewReader(`{"pit_id":["`+m.PitID+`"]}`), jsonCT)
	}
	raw := first.raw
	var resps []any
	for _, b := range []string{
		`{"size":20,"query":{"match_all":{}}}`,
		`{"size":20,"query":{"query_string":{"query":"sec:shared OR obj.sec:qzc*","analyze_wildcard":true,"lenient":true}},"_source":["sec","pub","nst"]}`,
		`{"size":0,"aggs":{"s":{"terms":{"field":"sec.keyword"}},"n":{"max":{"field":"secnum"}}}}`,
	} {
		var body map[string]any
		_ = json.Unmarshal([]byte(b), &body)
		body["pit"] = map[string]any{"id": m.PitID, "keep_alive": "1m"}
		bs, _ := json.Marshal(body)
		r := do(t, f.c, "POST", f.p.URL+"/_search", who, f.su.Password, bytes.NewReader(bs), map[string]string{"Content-Type": "application/json"})
		raw += "\n" + r.Body
		var v any
		if r.Status != 200 || json.Unmarshal([]byte(r.Body), &v) != nil {
			return readAnswer{status: r.Status, raw: raw}
		}
		resps = append(resps, v)
	}
	js, _ := json.Marshal(map[string]any{"responses": resps})
	return readAnswer{status: 200, raw: raw, json: string(js)}
}
