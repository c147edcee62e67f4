package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestReadAPIDifferential: every API that reads documents or fields other
// than a _search body (get and HEAD, _source, _mget, _explain,
// _termvectors, _mtermvectors, _count and _search by query string,
// _field_caps, _mapping/field, _validate/query, _msearch, search
// templates, scroll and point in time continuations, the query languages),
// in every response shape the cluster offers (filter_path, pretty, human,
// typed_keys, rest_total_hits_as_int, YAML/CBOR/SMILE, gzip), sent through
// the proxy by the body fuzzer's DLS, FLS and DLS+FLS users. No answer may
// hold a canary the user must not see, in any encoding; an answer the
// proxy gives must be, once index names, scores, timings and term
// statistics are set aside, the answer the superuser gets for the same
// request on the user's mirror indices (what the user may see, and
// nothing else). The requests are a fixed list: no randomness.
func TestReadAPIDifferential(t *testing.T) {
	f := startFuzzFixtureWith(t, true)
	stats := map[string]int{}
	var overRestricted []string
	errs := 0
	for _, u := range f.users {
		forbidden := f.forbidden(u)
		toUser := strings.NewReplacer("@A@", f.a, "@B@", f.b, "@Z@", f.z, "@P@", f.prefix)
		toMirror := strings.NewReplacer("@A@", u.mirrors["a"], "@B@", u.mirrors["b"], "@Z@", f.z, "@P@", f.prefix)
		back := strings.NewReplacer(u.mirrors["a"], f.a, u.mirrors["b"], f.b)
		for i, rq := range readDiffRequests(f) {
			if errs >= 25 {
				break
			}
			rq = rq.withShape(i)
			where := fmt.Sprintf("user=%s #%d [%s] %s %s %s", u.name, i, rq.shape, rq.method, toUser.Replace(rq.path), toUser.Replace(rq.body))
			got := rq.run(t, f, u.name, toUser)
			stats[fmt.Sprintf("%-12s %d", rq.kind, got.status)]++
			// 1. No forbidden canary in any encoding, unless the request
			// carried it.
			sent := strings.ToLower(rq.path + rq.body)
			for _, c := range forbidden {
				if strings.Contains(sent, strings.ToLower(c.value)) {
					continue
				}
				for _, form := range append(canaryForms(c.value), hex.EncodeToString([]byte(c.value))) {
					if strings.Contains(got.raw, form) {
						errs++
						t.Errorf("LEAK %s (%s of %s): %s\n-> %d %.1500s", c.value, c.field, c.index, where, got.status, got.raw)
						break
					}
				}
			}
			// 2. The mirror decides what the answer holds.
			if rq.noMirror {
				if rq.mustFail && got.status < 400 {
					errs++
					t.Errorf("ANSWERED %s: the test node has no such plugin, the proxy must not answer 2xx: %d %.600s", where, got.status, got.raw)
				}
				continue
			}
			want := rq.run(t, f, f.su.Name, toMirror)
			switch {
			case got.status >= 400 && want.status < 400:
				overRestricted = append(overRestricted, fmt.Sprintf("%s: %d %s", where, got.status, errorType(got.raw)))
				stats["refused where the mirror answers"]++
				continue
			case got.status == 200 && want.status == 400 && strings.Contains(want.raw, "No mapping found for ["):
				// A sort on a field the user cannot see: the cluster
				// sorts on missing values (the field is mapped), the
				// mirror has no such field.
				stats["sort on a hidden field"]++
				continue
			case got.status != want.status && (got.status < 400 || want.status < 400):
				errs++
				t.Errorf("STATUS %s\nuser:   %d %.800s\nmirror: %d %.800s", where, got.status, got.raw, want.status, want.raw)
				continue
			case got.status >= 400 || rq.method == "HEAD":
				// Both refuse (the proxy may answer a hidden document's
				// 404 before the cluster would reject a parameter).
				stats["same status"]++
				continue
			}
			if got.json == "" || want.json == "" {
				stats["not comparable (no JSON)"]++
				continue
			}
			if shardFailures(want.json) {
				// The mirror lacks a hidden field's mapping where the
				// real index has it: a sort on it fails there.
				stats["mirror shards failed"]++
				continue
			}
			ud, err1 := readDigest(rq.kind, got.json, nil)
			md, err2 := readDigest(rq.kind, want.json, back)
			if err1 != nil || err2 != nil {
				errs++
				t.Errorf("UNREADABLE %s: user %v, mirror %v\nuser:   %.600s\nmirror: %.600s", where, err1, err2, got.raw, want.raw)
				continue
			}
			for _, o := range refusedItems(ud, md) {
				overRestricted = append(overRestricted, fmt.Sprintf("%s: item %s", where, o))
				stats["item refused where the mirror answers"]++
			}
			if rq.kind == "tv" && lacksTermVectors(ud, md) {
				overRestricted = append(overRestricted, where+": no term vectors where the mirror has some")
				stats["term vectors narrowed"]++
				continue
			}
			stats["compared"]++
			if reflect.DeepEqual(ud, md) {
				continue
			}
			if readSubset("", ud, md) {
				// Fail closed: the proxy shows less than the cluster
				// would (a flat_object with a hidden key, a field one
				// of several indices hides, metadata fields).
				stats["narrowed"]++
				uj, _ := json.Marshal(ud)
				overRestricted = append(overRestricted, fmt.Sprintf("%s: narrowed: %.300s", where, uj))
				continue
			}
			{
				errs++
				uj, _ := json.Marshal(ud)
				mj, _ := json.Marshal(md)
				t.Errorf("DIFF %s\nuser:   %.2000s\nmirror: %.2000s", where, uj, mj)
			}
		}
	}
	keys := make([]string, 0, len(stats))
	for k := range stats {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%6d %s", stats[k], k)
	}
	for _, o := range overRestricted {
		t.Logf("over-restriction: %.300s", o)
	}
	if stats["compared"] < 150 {
		t.Errorf("only %d answers were compared with the mirror: the requests are refused too often", stats["compared"])
	}
}

// readReq is one request of the read-API differential. Its path and body
// name the indices as @A@, @B@ (readable) and @Z@ (forbidden), @P@ is
// the prefix of every index name of the fixture.
type readReq struct {
	kind, method, path, body string
	hdr                      map[string]string
	shape                    string
	noMirror                 bool // only the canary check applies
	mustFail                 bool // the API is absent from the test nodes: no success
	// follow, when set, sends the continuation requests of a cursor
	// (scroll, point in time) and returns the hits they gathered.
	follow func(t *testing.T, f *fuzzFixture, who string, first readAnswer) readAnswer
}

// readAnswer is a decoded answer: raw holds every byte the client got
// (decompressed), json the answer as JSON when it was JSON or YAML.
type readAnswer struct {
	status int
	raw    string
	json   string
}

// readShapes are the response parameters that change an answer's shape
// without changing what it holds; request i gets shape i mod len.
var readShapes = []string{
	"", "pretty", "human=true", "gzip", "rest_total_hits_as_int=true", "typed_keys",
	"format=yaml", "", "filter_path=-took", "error_trace=true", "format=cbor", "",
	"filter_path=hits.hits._id,hits.hits._index,hits.hits._source,hits.total,docs,_source,found,_id,count,fields,term_vectors,indices,matched,valid,responses",
	"format=smile", "accept yaml",
}

// withShape gives rq the i-th response shape (the cursor requests keep
// their plain shape: their continuations are compared as a whole).
func (rq readReq) withShape(i int) readReq {
	if rq.follow != nil || rq.shape == "fixed" {
		return rq
	}
	rq.shape = readShapes[i%len(readShapes)]
	hdr := map[string]string{}
	for k, v := range rq.hdr {
		hdr[k] = v
	}
	switch {
	case rq.shape == "":
	case rq.shape == "gzip":
		hdr["Accept-Encoding"] = "gzip"
	case rq.shape == "accept yaml":
		hdr["Accept"] = "application/yaml"
	case strings.HasPrefix(rq.shape, "filter_path=") && rq.kind == "mapping",
		(rq.shape == "typed_keys" || strings.HasPrefix(rq.shape, "rest_total")) && rq.kind != "search" && rq.kind != "msearch":
		rq.shape = "" // keys are index names; a parameter the API does not take
	default:
		rq.path = addParam(rq.path, rq.shape)
	}
	rq.hdr = hdr
	return rq
}

// run sends rq as who, with the index names rep gives, and decodes the
// answer.
func (rq readReq) run(t *testing.T, f *fuzzFixture, who string, rep *strings.Replacer) readAnswer {
	t.Helper()
	hdr := map[string]string{}
	for k, v := range rq.hdr {
		hdr[k] = v
	}
	var rd io.Reader
	if rq.body != "" {
		rd = strings.NewReader(rep.Replace(rq.body))
		if hdr["Content-Type"] == "" {
			hdr["Content-Type"] = "application/json"
			if strings.Contains(rq.path, "_msearch") {
				hdr["Content-Type"] = "application/x-ndjson"
			}
		}
	}
	r := do(t, f.c, rq.method, f.p.URL+rep.Replace(rq.path), who, f.su.Password, rd, hdr)
	a := decodeReadAnswer(r)
	if rq.follow != nil && a.status == 200 {
		return rq.follow(t, f, who, a)
	}
	return a
}

// decodeReadAnswer decompresses a gzip answer and turns a YAML, CBOR or
// SMILE one into JSON, which raw also gets (numbers in CBOR and SMILE are
// binary: the canary check reads them decoded).
func decodeReadAnswer(r result) readAnswer {
	body := []byte(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			if b, err := io.ReadAll(zr); err == nil {
				body = b
			}
		}
	}
	a := readAnswer{status: r.Status, raw: string(body)}
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"), strings.HasPrefix(ct, "application/vnd.opensearch+json"), strings.HasPrefix(ct, "application/vnd.elasticsearch+json"):
		a.json = a.raw
	case strings.HasPrefix(ct, "application/cbor"), strings.HasPrefix(ct, "application/smile"):
		dec := cborToJSON
		if strings.HasPrefix(ct, "application/smile") {
			dec = smileToJSON
		}
		js, err := dec(body)
		if err != nil {
			// Undecodable: the canary check reads the raw bytes, and the
			// comparison reports it.
			a.raw += "\nundecodable " + ct + ": " + err.Error()
			a.json = `{"undecodable":true}`
			break
		}
		a.json = js
		a.raw += "\n" + js
	case strings.HasPrefix(ct, "application/yaml"):
		var v any
		if yaml.Unmarshal(body, &v) == nil {
			if b, err := json.Marshal(v); err == nil {
				a.json = string(b)
			}
		}
	}
	return a
}

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

// readDropped are the members that differ between an index and its
// mirror without saying anything about what the user may see: timings,
// scores and their explanations, shard counts, sequence numbers, cursor
// ids, and term statistics (which count the documents a role query hides,
// as Elasticsearch's do).
var readDropped = map[string]bool{
	"took": true, "_score": true, "max_score": true, "_shards": true, "_seq_no": true, "_primary_term": true,
	"_scroll_id": true, "pit_id": true, "timed_out": true, "terminated_early": true, "num_reduce_phases": true,
	"explanation": true, "_explanation": true, "explanations": true, "doc_freq": true, "ttf": true,
	"field_statistics": true, "score": true, "took_in_millis": true, "status": true, "_version": true,
	"settings": true,                    // uuid, creation date, provided name
	"epoch":    true, "timestamp": true, // _cat/count
}

// readDigest is the part of an answer that must agree with the mirror's:
// the decoded JSON without readDropped members, with mirror index names
// read as the real ones (back, nil for the user's own answer), hits
// sorted by index and id, and suggestion options and term vector terms
// reduced to their text.
func readDigest(kind, js string, back *strings.Replacer) (any, error) {
	if js == "" {
		return nil, fmt.Errorf("not JSON")
	}
	if back != nil {
		js = back.Replace(js)
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding the answer: %w", err)
	}
	return normRead(kind, "", v), nil
}

func normRead(kind, key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if readDropped[k] {
				continue
			}
			if kind == "fieldcaps" && k == "indices" && key != "" {
				continue // which indices have a field: the mirrors' mappings differ only in hidden fields
			}
			n := normRead(kind, k, e)
			if isEmptyContainer(n) && k != "_source" && k != "fields" && k != "hits" && k != "docs" && k != "responses" {
				continue // an object or array field security emptied
			}
			out[k] = n
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			n := normRead(kind, key, e)
			if m, ok := n.(map[string]any); ok && len(m) == 0 && key != "hits" && key != "responses" && key != "docs" {
				continue // the proxy drops the objects field security empties
			}
			out = append(out, n)
		}
		if key == "hits" {
			sort.SliceStable(out, func(i, j int) bool { return hitKey(out[i]) < hitKey(out[j]) })
		}
		if key == "options" {
			// Suggestions: the text suggested, not its frequency.
			var texts []string
			for _, e := range out {
				if m, ok := e.(map[string]any); ok {
					texts = append(texts, fmt.Sprint(m["text"]))
				}
			}
			sort.Strings(texts)
			return texts
		}
		if key == "indices" && kind == "fieldcaps" {
			sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
		}
		return out
	case json.Number:
		if fl, err := x.Float64(); err == nil {
			return fl
		}
	}
	return v
}

// hitKey orders hits by index and id.
func hitKey(h any) string {
	m, _ := h.(map[string]any)
	return fmt.Sprint(m["_index"], "/", m["_id"])
}

// isEmptyContainer reports an empty object or array.
func isEmptyContainer(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// refusedItems finds the items (docs of _mget and _mtermvectors,
// responses of _msearch) the proxy refused with a security exception where
// the mirror answered; both become null, and their places are returned.
func refusedItems(u, m any) []string {
	um, _ := u.(map[string]any)
	mm, _ := m.(map[string]any)
	var out []string
	for _, k := range []string{"docs", "responses"} {
		ul, _ := um[k].([]any)
		ml, _ := mm[k].([]any)
		if len(ul) != len(ml) {
			continue
		}
		for i := range ul {
			ui, _ := ul[i].(map[string]any)
			mi, _ := ml[i].(map[string]any)
			if ui["error"] != nil && mi["error"] == nil && strings.Contains(fmt.Sprint(ui["error"]), "security_exception") {
				out = append(out, fmt.Sprintf("%s[%d]", k, i))
				ul[i], ml[i] = nil, nil
			}
		}
	}
	return out
}

// lacksTermVectors reports a term vectors answer without term vectors
// where the mirror has some (the proxy lists the visible fields a pattern
// reaches; where none has term vectors it asks for none).
func lacksTermVectors(u, m any) bool {
	um, _ := u.(map[string]any)
	mm, _ := m.(map[string]any)
	return um != nil && mm != nil && um["term_vectors"] == nil && mm["term_vectors"] != nil
}

// readSubset reports whether the user's digest u shows nothing the
// mirror's m does not: every member of u is in m with a value u's shows
// no more of, every element of an array of u matches a distinct one of
// m's, counts are no larger, a false found or matched may stand for a
// true one, and a null (a sort value of a field the user cannot see) for
// anything.
func readSubset(key string, u, m any) bool {
	if u == nil {
		return true
	}
	switch x := u.(type) {
	case map[string]any:
		mm, ok := m.(map[string]any)
		if !ok {
			return false
		}
		for k, uv := range x {
			mv, ok := mm[k]
			if !ok || !readSubset(k, uv, mv) {
				return false
			}
		}
		return true
	case []any:
		ml, ok := m.([]any)
		if !ok {
			return false
		}
		used := make([]bool, len(ml))
	next:
		for _, e := range x {
			for j, me := range ml {
				if !used[j] && readSubset(key, e, me) {
					used[j] = true
					continue next
				}
			}
			return false
		}
		return true
	case float64:
		mf, ok := m.(float64)
		switch key {
		case "count", "value", "total", "doc_count":
			return ok && x <= mf
		}
		return ok && x == mf
	case bool:
		switch key {
		case "found", "matched":
			return !x || m == true
		}
	}
	return reflect.DeepEqual(u, m)
}

// shardFailures reports an answer some of whose shards failed.
func shardFailures(js string) bool {
	var m struct {
		Shards struct {
			Failed int `json:"failed"`
		} `json:"_shards"`
	}
	return json.Unmarshal([]byte(js), &m) == nil && m.Shards.Failed > 0
}
