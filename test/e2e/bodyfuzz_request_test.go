package e2e

// The body fuzzer's requests: what is sent, and the encodings and
// spellings each request may be varied into.

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

func (rq fuzzReq) show() string {
	s := rq.plain
	if rq.variant != "" {
		s += " [" + rq.variant + "]"
	}
	return s
}

// request draws one request for user u.
func (g *fuzzGen) request(u *fuzzUser) fuzzReq {
	f := g.f
	// The index expression of multi-index APIs and the indices of a and b
	// it reaches (none: the request names a forbidden index, no mirror).
	targets := []struct {
		expr   string
		covers []string
	}{
		{f.a, []string{"a"}}, {f.a, []string{"a"}}, {f.b, []string{"b"}},
		{f.a + "," + f.b, []string{"a", "b"}}, {f.prefix + "-*", []string{"a", "b"}},
		{f.prefix + "-a*", []string{"a"}}, {"_all", []string{"a", "b"}}, {"*", []string{"a", "b"}},
		{f.prefix + "-*,-" + f.z, []string{"a", "b"}}, {f.a + "," + f.z, nil}, {f.prefix + "-z*", nil},
	}
	tg := targets[g.r.IntN(len(targets))]
	target, mirrorOK := tg.expr, tg.covers != nil
	// The one index of single-index APIs.
	key := g.pick([]string{"a", "a", "b"})
	a := f.name(key)
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	var rq fuzzReq
	switch k := g.r.IntN(20); {
	case k < 9:
		b := g.searchBody()
		rq = fuzzReq{kind: "search", method: "POST", path: "/" + target + "/_search", plain: js(b)}
		if g.chance(0.15) {
			rq.path += "?pre_filter_shard_size=1"
		}
		if b["collapse"] != nil || b["search_after"] != nil {
			rq.noDiff = true
		}
	case k < 11:
		rq = fuzzReq{kind: "count", method: "POST", path: "/" + target + "/_count", plain: js(obj{"query": g.query(2)})}
	case k < 13:
		var lines, mlines []string
		var skip []bool
		var itemCovers []int
		for n := 1 + g.r.IntN(3); n > 0; n-- {
			h := obj{}
			covers := tg.covers
			switch g.r.IntN(6) {
			case 0:
				covers = []string{"a"} // the path's index
			case 1:
				h["indices"] = target
			case 2:
				h["index"] = []any{target}
			default:
				h["index"] = target
			}
			if g.chance(0.2) {
				h[g.pick([]string{"expand_wildcards", "ignore_unavailable", "search_type", "preference"})] = g.pick([]string{"all", "true", "dfs_query_then_fetch", "_local"})
			}
			sb := g.searchBody()
			b := js(sb)
			lines = append(lines, js(h), b)
			mlines = append(mlines, `{"index":"@IX:`+strings.Join(covers, ",")+`@"}`, b)
			skip = append(skip, g.minSc || sb["collapse"] != nil || sb["search_after"] != nil || covers == nil)
			itemCovers = append(itemCovers, len(covers))
		}
		rq = fuzzReq{kind: "msearch", method: "POST", path: "/" + f.a + "/_msearch", plain: strings.Join(lines, "\n") + "\n",
			hdr: map[string]string{"Content-Type": "application/x-ndjson"}, mirror: "/_msearch",
			mirrorPlain: strings.Join(mlines, "\n") + "\n", skipItems: skip, itemCovers: itemCovers}
		return g.vary(rq, false)
	case k < 14:
		rq = fuzzReq{kind: "explain", method: "POST", path: "/" + a + "/_explain/" + g.pick(g.f.ids), plain: js(obj{"query": g.query(2)})}
	case k < 16:
		var docs []any
		for n := 1 + g.r.IntN(3); n > 0; n-- {
			d := obj{"_index": f.name(g.pick([]string{"a", "b"})), "_id": g.pick(g.f.ids)}
			if g.chance(0.5) {
				d["_source"] = g.sourceOpt()
			}
			if g.chance(0.2) {
				d["stored_fields"] = []any{g.fieldOrPattern()}
			}
			docs = append(docs, d)
		}
		if g.chance(0.5) {
			rq = fuzzReq{kind: "mget", method: "POST", path: "/_mget", plain: js(obj{"docs": docs}), mirror: "/_mget"}
			return g.vary(rq, true)
		}
		rq = fuzzReq{kind: "mget", method: "POST", path: "/" + a + "/_mget", plain: js(obj{"ids": []any{g.pick(g.f.ids), g.pick(g.f.ids)}})}
	case k == 16:
		id := g.pick(g.f.ids)
		q := url.Values{}
		if g.chance(0.5) {
			q.Set("_source_includes", g.fieldOrPattern())
		}
		if g.chance(0.3) {
			q.Set("stored_fields", g.fieldOrPattern())
		}
		ep := g.pick([]string{"_doc", "_source"})
		rq = fuzzReq{kind: "get", method: "GET", path: "/" + a + "/" + ep + "/" + id + "?" + q.Encode()}
		if ep == "_source" {
			rq.kind = "source"
			q.Del("stored_fields")
		}
		rq.mirror = "/@IX@/" + ep + "/" + id + "?" + q.Encode()
		rq.covers = []string{key}
		return rq
	case k == 17:
		tv := obj{"fields": []any{g.fieldOrPattern()}, "term_statistics": true, "field_statistics": true, "positions": false}
		path := "/" + a + "/_termvectors/" + g.pick(g.f.ids)
		if g.chance(0.3) {
			tv["doc"] = obj{g.pick(fuzzTextFields): "qzch shared words"}
			path = "/" + a + "/_termvectors"
		}
		rq = fuzzReq{kind: "tv", method: "POST", path: path, plain: js(tv), noDiff: true}
	case k == 18:
		if g.chance(0.5) {
			rq = fuzzReq{kind: "fieldcaps", method: "POST", path: "/" + target + "/_field_caps?fields=" + url.QueryEscape(g.fieldOrPattern()), plain: js(obj{"index_filter": g.query(1)}), noDiff: true}
			break
		}
		if g.chance(0.4) {
			tv := obj{"ids": []any{g.pick(g.f.ids)}, "parameters": obj{"fields": []any{g.fieldOrPattern()}, "term_statistics": true}}
			if g.chance(0.5) {
				tv = obj{"docs": []any{obj{"_index": a, "_id": g.pick(g.f.ids), "fields": []any{g.fieldOrPattern()}}}}
			}
			rq = fuzzReq{kind: "tv", method: "POST", path: "/" + a + "/_mtermvectors", plain: js(tv), noDiff: true}
			break
		}
		rq = fuzzReq{kind: "fieldcaps", method: "GET", path: "/" + target + "/_field_caps?fields=" + url.QueryEscape(g.fieldOrPattern()), noDiff: true}
		return rq
	default:
		if g.chance(0.5) {
			rq = fuzzReq{kind: "validate", method: "POST", path: "/" + a + "/_validate/query?explain=true&rewrite=" + g.pick([]string{"true", "false"}), plain: js(obj{"query": g.query(2)}), noDiff: true}
		} else {
			q := url.Values{}
			qs := g.queryString()
			q.Set("q", qs["query"].(string))
			if df, ok := qs["default_field"].(string); ok {
				q.Set("df", df)
			}
			if g.chance(0.3) {
				q.Set("sort", g.anyField()+":asc")
			}
			if g.chance(0.3) {
				q.Set("_source_includes", g.fieldOrPattern())
			}
			if g.chance(0.2) {
				q.Set("docvalue_fields", g.fieldOrPattern())
			}
			if g.chance(0.2) {
				q.Set("stored_fields", g.fieldOrPattern())
			}
			q.Set("size", "20")
			rq = fuzzReq{kind: "search", method: "GET", path: "/" + target + "/_search?" + q.Encode()}
			if mirrorOK {
				rq.mirror = "/@IX@/_search?" + q.Encode()
				rq.covers = tg.covers
			}
			return rq
		}
	}
	if rq.mirror == "" && !rq.noDiff {
		switch {
		case strings.HasPrefix(rq.path, "/"+target+"/") && mirrorOK:
			rq.mirror = "/@IX@/" + strings.TrimPrefix(rq.path, "/"+target+"/")
			rq.covers = tg.covers
		case strings.HasPrefix(rq.path, "/"+a+"/"):
			rq.mirror = "/@IX@/" + strings.TrimPrefix(rq.path, "/"+a+"/")
			rq.covers = []string{key}
		}
	}
	return g.vary(rq, rq.kind == "search" || rq.kind == "count")
}

// vary picks a syntactic variant of rq's body; getOK allows the body to
// move into ?source= of a GET.
func (g *fuzzGen) vary(rq fuzzReq, getOK bool) fuzzReq {
	body := rq.plain
	if rq.hdr == nil {
		rq.hdr = map[string]string{"Content-Type": "application/json"}
	}
	ndjson := rq.kind == "msearch"
	var vs []string
	if !ndjson && g.chance(0.15) {
		body = escapeSomeKeys(g.r, body)
		vs = append(vs, "escaped keys")
	}
	if !ndjson && g.chance(0.1) {
		var buf bytes.Buffer
		_ = json.Indent(&buf, []byte(body), "", "  ")
		body = buf.String()
		vs = append(vs, "pretty")
	}
	rq.body = []byte(body)
	switch x := g.r.IntN(30); {
	case x < 2:
		rq.body = compressed(rq.body, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) })
		rq.hdr["Content-Encoding"] = "gzip"
		vs = append(vs, "gzip")
	case x == 2:
		rq.body = compressed(rq.body, func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) })
		rq.hdr["Content-Encoding"] = "deflate"
		vs = append(vs, "deflate")
	case x < 5 && getOK && !strings.Contains(rq.path, "?"):
		rq.path += "?source_content_type=application/json&source=" + url.QueryEscape(body)
		rq.method = "GET"
		rq.body = nil
		vs = append(vs, "?source=")
	case x == 5 && !ndjson:
		var v any
		dec := json.NewDecoder(strings.NewReader(rq.plain))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			if y, err := yaml.Marshal(yamlable(v)); err == nil {
				rq.body = y
				rq.hdr["Content-Type"] = "application/yaml"
				vs = append(vs, "yaml body")
			}
		}
	case x == 6 && !ndjson:
		var v any
		dec := json.NewDecoder(strings.NewReader(rq.plain))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			rq.body = cborEncode(nil, v)
			rq.hdr["Content-Type"] = "application/cbor"
			vs = append(vs, "cbor body")
		}
	case x == 7:
		rq.hdr["Content-Type"] = "application/json; charset=UTF-8"
	}
	switch x := g.r.IntN(25); x {
	case 0, 1, 2:
		f := g.pick([]string{"yaml", "cbor", "smile"})
		rq.path = addParam(rq.path, "format="+f)
		vs = append(vs, "format="+f)
	case 3:
		rq.hdr["Accept"] = g.pick([]string{"application/yaml", "application/cbor", "application/smile"})
		vs = append(vs, "accept "+rq.hdr["Accept"])
	case 4:
		rq.path = addParam(rq.path, "pretty=true")
	case 5:
		rq.path = addParam(rq.path, "filter_path="+g.pick([]string{"hits.hits._source", "**.sec*", "aggregations"}))
		vs = append(vs, "filter_path")
		rq.noDiff = true
	}
	rq.variant = strings.Join(vs, ", ")
	return rq
}

func addParam(path, kv string) string {
	if strings.Contains(path, "?") {
		return path + "&" + kv
	}
	return path + "?" + kv
}

// escapeSomeKeys writes one character of some keys and short strings
// (field names as values) as a \u escape, which a JSON parser reads as the
// same string.
func escapeSomeKeys(r *rand.Rand, body string) string {
	return keyRE.ReplaceAllStringFunc(body, func(m string) string {
		if r.IntN(3) != 0 {
			return m
		}
		colon := strings.HasSuffix(m, ":")
		k := strings.TrimSuffix(m, ":")
		k = k[1 : len(k)-1]
		i := r.IntN(len(k))
		out := `"` + k[:i] + fmt.Sprintf(`\u%04x`, k[i]) + k[i+1:] + `"`
		if colon {
			out += ":"
		}
		return out
	})
}

// yamlable turns json.Numbers into ints or floats for the YAML encoder.
func yamlable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = yamlable(e)
		}
	case []any:
		for i, e := range x {
			x[i] = yamlable(e)
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		fl, _ := x.Float64()
		return fl
	}
	return v
}

// cborEncode appends the CBOR encoding of a decoded JSON value.
func cborEncode(b []byte, v any) []byte {
	head := func(major byte, n uint64) {
		switch {
		case n < 24:
			b = append(b, major<<5|byte(n))
		case n < 1<<8:
			b = append(b, major<<5|24, byte(n))
		case n < 1<<16:
			b = append(b, major<<5|25, byte(n>>8), byte(n))
		case n < 1<<32:
			b = append(b, major<<5|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		default:
			b = append(b, major<<5|27)
			for s := 56; s >= 0; s -= 8 {
				b = append(b, byte(n>>s))
			}
		}
	}
	switch x := v.(type) {
	case nil:
		b = append(b, 0xf6)
	case bool:
		if x {
			b = append(b, 0xf5)
		} else {
			b = append(b, 0xf4)
		}
	case string:
		head(3, uint64(len(x)))
		b = append(b, x...)
	case json.Number:
		if n, err := x.Int64(); err == nil {
			if n >= 0 {
				head(0, uint64(n))
			} else {
				head(1, uint64(-1-n))
			}
		} else {
			fl, _ := x.Float64()
			bits := math.Float64bits(fl)
			b = append(b, 0xfb)
			for s := 56; s >= 0; s -= 8 {
				b = append(b, byte(bits>>s))
			}
		}
	case []any:
		head(4, uint64(len(x)))
		for _, e := range x {
			b = cborEncode(b, e)
		}
	case map[string]any:
		head(5, uint64(len(x)))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b = cborEncode(b, k)
			b = cborEncode(b, x[k])
		}
	}
	return b
}

// compressed returns body written through the compressor newWriter makes.
func compressed(body []byte, newWriter func(io.Writer) io.WriteCloser) []byte {
	var buf bytes.Buffer
	zw := newWriter(&buf)
	_, _ = zw.Write(body)
	_ = zw.Close()
	return buf.Bytes()
}
