package e2e

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestBodyFuzzDifferential: random valid request bodies (search, count,
// msearch, explain, mget, get, termvectors, field_caps, validate, URL
// searches), in random syntactic variants (escaped keys, numbers as
// strings, pretty printing, gzip/deflate, ?source=, YAML and CBOR bodies,
// YAML/CBOR/SMILE answers), are sent through the proxy by users restricted
// by DLS, FLS or both. No answer may hold a canary the user must not see,
// and, where the proxy answers, the documents matched must be those the
// superuser gets for the same request on a mirror index holding only what
// the user may see. E2E_FUZZ_SEED picks the seed (default 1),
// E2E_FUZZ_ITERS the number of requests per user (default 400).
func TestBodyFuzzDifferential(t *testing.T) {
	f := startFuzzFixture(t)
	seed := uint64(1)
	if s := os.Getenv("E2E_FUZZ_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	iters := 400
	if s := os.Getenv("E2E_FUZZ_ITERS"); s != "" {
		iters, _ = strconv.Atoi(s)
	}
	// Legitimate bodies the official clients send are not refused.
	for _, u := range f.users {
		for _, b := range []string{
			`{"query":{"match":{"pub":"shared"}}}`,
			`{"query":{"bool":{"filter":[{"term":{"grp":"pub"}}]}},"sort":[{"pub.keyword":"asc"}],"_source":["pub","obj.pub"]}`,
			`{"size":0,"aggs":{"g":{"terms":{"field":"grp"}}}}`,
			`{"query":{"match":{"pub":"shared"}},"highlight":{"fields":{"pub":{}}}}`,
			`{"query":{"nested":{"path":"nst","query":{"exists":{"field":"nst.pub"}}}}}`,
		} {
			if r := f.send(t, u.name, "POST", "/"+f.a+"/_search", b, nil); r.Status != 200 {
				t.Errorf("%s: a plain body is refused: %s: %d %.400s", u.name, b, r.Status, r.Body)
			}
		}
	}
	stats := map[string]int{}
	errs := 0
	for _, u := range f.users {
		forbidden := f.forbidden(u)
		g := &fuzzGen{r: rand.New(rand.NewPCG(seed, uint64(len(u.name)))), f: f}
		for i := 0; i < iters && errs < 25; i++ {
			rq := g.request(u)
			where := fmt.Sprintf("seed=%d user=%s iter=%d: %s %s %s", seed, u.name, i, rq.method, rq.path, rq.show())
			got, gotJSON := f.sendReq(t, u.name, rq)
			stats[fmt.Sprintf("%s %d", rq.kind, got.Status)]++
			// 1. No forbidden canary, unless the request itself carried it.
			sent := strings.ToLower(rq.path + string(rq.body) + rq.plain + decodedWrappers(rq.plain))
			for _, c := range forbidden {
				if strings.Contains(sent, strings.ToLower(c.value)) {
					continue
				}
				for _, form := range canaryForms(c.value) {
					if strings.Contains(got.Body, form) {
						errs++
						t.Errorf("LEAK %s (%s of %s): %s\n-> %d %.1500s", c.value, c.field, c.index, where, got.Status, got.Body)
						break
					}
				}
			}
			// 2. The mirror's answer decides what should match.
			if rq.mirror == "" {
				continue
			}
			toMirror := strings.NewReplacer(f.a, u.mirrors["a"], f.b, u.mirrors["b"])
			var mix []string
			for _, k := range rq.covers {
				mix = append(mix, u.mirrors[k])
			}
			mpath := strings.ReplaceAll(toMirror.Replace(rq.mirror), "@IX@", strings.Join(mix, ","))
			mbody := toMirror.Replace(rq.plain)
			if rq.mirrorPlain != "" {
				mbody = mirrorIXRE.ReplaceAllStringFunc(toMirror.Replace(rq.mirrorPlain), func(m string) string {
					var ms []string
					for _, k := range strings.Split(strings.Trim(m[4:], "@"), ",") {
						if k != "" {
							ms = append(ms, u.mirrors[k])
						}
					}
					return strings.Join(ms, ",")
				})
			}
			mr := f.send(t, f.su.Name, rq.method, mpath, mbody, nil)
			switch {
			case got.Status != 200 && mr.Status == 200:
				if v := os.Getenv("E2E_FUZZ_VERBOSE"); v != "" && strings.Contains(errorType(got.Body), v) {
					t.Logf("REFUSED %s\n  user: %d %.600s", where, got.Status, got.Body)
				}
				stats[fmt.Sprintf("refused %d %s", got.Status, errorType(got.Body))]++
				continue
			case got.Status != 200 || mr.Status != 200:
				if os.Getenv("E2E_FUZZ_VERBOSE") != "" && got.Status == 200 {
					t.Logf("ACCEPTED %s\n  mirror: %d %.600s\n  user: %.600s", where, mr.Status, mr.Body, got.Body)
				}
				stats[fmt.Sprintf("both %d/%d %s", got.Status, mr.Status, errorType(mr.Body))]++
				continue
			}
			stats["compared"]++
			if (g.minSc && rq.kind != "msearch") || rq.noDiff || knownOverRestriction(u, rq) {
				continue
			}
			back := strings.NewReplacer(u.mirrors["a"], f.a, u.mirrors["b"], f.b)
			ud, ok1 := digest(rq.kind, result{Status: got.Status, Body: gotJSON}, back)
			md, ok2 := digest(rq.kind, mr, back)
			if rq.kind == "msearch" {
				ud, md = msearchComparable(ud, md, rq.skipItems)
			}
			patterns := expandsFieldPatterns(rq.path + rq.plain + decodedWrappers(rq.plain))
			if u.dls() || patterns {
				// The cluster's term statistics count the documents the
				// role query hides (as Elasticsearch's do): scores differ
				// from the mirror's. Under FLS alone they must not, except
				// where the proxy lists the fields a pattern reaches (see
				// expandsFieldPatterns).
				dropKey(ud, "scores")
				dropKey(md, "scores")
			}
			flsDiffers := len(u.rules["a"].hidden)+len(u.rules["b"].hidden) > 0
			narrowed := false
			if len(rq.covers) > 1 && flsDiffers {
				// One body serves indices whose field security differs:
				// with aggregations, the proxy hides everywhere a field
				// any of them hides (fail closed), where the cluster
				// would use it in the indices that show it. The user's
				// hits must then be a subset of the mirror's.
				dropAggs(ud)
				dropAggs(md)
				narrowed = true
			}
			if ul, ok := ud.([]any); ok && flsDiffers {
				// The same, item by item.
				ml, _ := md.([]any)
				for i := range ul {
					if i < len(rq.itemCovers) && rq.itemCovers[i] > 1 && i < len(ml) {
						dropAggs(ul[i])
						dropAggs(ml[i])
						if withinVisible(f, u, ul[i]) {
							ul[i], ml[i] = nil, nil
						}
					}
				}
			}
			if ok1 && ok2 && ud != nil && md != nil && !reflect.DeepEqual(ud, md) && !(narrowed && withinVisible(f, u, ud)) &&
				!(patterns && len(u.rules[rq.covers0()].hidden) > 0 && subsetOf(ud, md)) {
				errs++
				uj, _ := json.Marshal(ud)
				mj, _ := json.Marshal(md)
				t.Errorf("DIFF %s\nuser:   %.1500s\nmirror: %.1500s", where, uj, mj)
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
	if total := len(f.users) * iters; stats["compared"]*4 < total {
		t.Errorf("only %d of %d requests were answered and compared: the generator's bodies are refused too often", stats["compared"], total)
	}
}

var wrapperRE = regexp.MustCompile(`"wrapper":\{"query":"([A-Za-z0-9+/=]+)"`)

// decodedWrappers is the text of the wrapper queries a body carries: what
// the request sends in base64 may come back in clear.
func decodedWrappers(body string) string {
	var out strings.Builder
	for _, m := range wrapperRE.FindAllStringSubmatch(body, -1) {
		if b, err := base64.StdEncoding.DecodeString(m[1]); err == nil {
			out.Write(b)
			out.WriteString(decodedWrappers(string(b)))
		}
	}
	return out.String()
}

// knownOverRestriction reports requests whose answers the proxy narrows
// more than the mirror on purpose (fail closed): any query on a flat_object
// field one of whose keys is hidden matches nothing; significant_text under
// DLS uses the role query as its background set; an exists query on an
// internal sub-field the mapping does not show (search_as_you_type's
// _2gram, index_prefixes' _index_prefix) matches nothing.
func knownOverRestriction(u *fuzzUser, rq fuzzReq) bool {
	s := rq.path + rq.plain
	internal := false
	for _, sub := range []string{"._2gram", "._3gram", "._index_prefix", "._index_phrase"} {
		internal = internal || strings.Contains(s, sub)
	}
	return (u.hides("flat.sec") && strings.Contains(s, "flat")) ||
		(u.dls() && strings.Contains(s, "significant_")) ||
		(internal && strings.Contains(s, "exists"))
}

// fuzzReq is one generated request: what the user sends (possibly in a
// variant encoding) and the plain JSON the superuser sends to the mirror.
type fuzzReq struct {
	kind, method, path string
	body               []byte // as sent by the user
	hdr                map[string]string
	plain              string   // the JSON body before any variant
	mirror             string   // the mirror's path ("@IX@" is the mirror indices); empty: no comparison
	covers             []string // the keys of the indices the mirror path stands for
	mirrorPlain        string   // the mirror's body when it is not plain's ("@IX:a,b@" names mirrors)
	skipItems          []bool   // _msearch items whose matches depend on scores
	itemCovers         []int    // how many of a and b each _msearch item reaches
	noDiff             bool     // answered, but the matching set depends on scores
	variant            string
}

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

var keyRE = regexp.MustCompile(`"([a-z_.*]{3,})"(:?)`)

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

// send sends one request as who; body is JSON unless hdr says otherwise.
func (f *fuzzFixture) send(t *testing.T, who, method, path, body string, hdr map[string]string) result {
	t.Helper()
	if hdr == nil {
		hdr = map[string]string{"Content-Type": "application/json"}
		if strings.HasSuffix(path, "_msearch") {
			hdr["Content-Type"] = "application/x-ndjson"
		}
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	return do(t, f.c, method, f.p.URL+path, who, f.su.Password, rd, hdr)
}

// sendReq sends the user's variant of rq.
func (f *fuzzFixture) sendReq(t *testing.T, who string, rq fuzzReq) (result, string) {
	t.Helper()
	var rd io.Reader
	if rq.body != nil {
		rd = bytes.NewReader(rq.body)
	} else if rq.plain != "" && rq.method != "GET" {
		rd = strings.NewReader(rq.plain)
	}
	hdr := rq.hdr
	if hdr == nil {
		hdr = map[string]string{}
	}
	r := do(t, f.c, rq.method, f.p.URL+rq.path, who, f.su.Password, rd, hdr)
	js := r.Body
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/yaml") {
		// Decode to JSON, so the digest can compare it.
		var v any
		if yaml.Unmarshal([]byte(r.Body), &v) == nil {
			if b, err := json.Marshal(v); err == nil {
				js = string(b)
			}
		}
	}
	return r, js
}

// errorType is the error.type of an Elasticsearch error answer.
func errorType(body string) string {
	var e struct {
		Error struct {
			Type      string `json:"type"`
			Reason    string `json:"reason"`
			RootCause []struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"root_cause"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e) != nil {
		return "?"
	}
	if len(e.Error.RootCause) > 0 {
		e.Error.Type, e.Error.Reason = e.Error.RootCause[0].Type, e.Error.RootCause[0].Reason
	}
	r := e.Error.Reason
	if len(r) > 60 {
		r = r[:60]
	}
	return e.Error.Type + ": " + r
}

// digest is what must agree between the user's answer and the mirror's:
// totals, the ids matched, found flags and aggregations (scores, timings
// and hits inside aggregations left out).
func digest(kind string, r result, back *strings.Replacer) (any, bool) {
	var v any
	dec := json.NewDecoder(strings.NewReader(r.Body))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	if sh, ok := m["_shards"].(map[string]any); ok && fmt.Sprint(sh["failed"]) != "0" {
		return nil, true // failed shards: not comparable
	}
	switch kind {
	case "search":
		return searchDigest(m, back), true
	case "count":
		return m["count"], true
	case "explain":
		return m["matched"], true
	case "get":
		return m["found"], true
	case "source":
		return r.Status, true
	case "msearch":
		var out []any
		rs, _ := m["responses"].([]any)
		for _, r := range rs {
			rm, _ := r.(map[string]any)
			if sh, ok := rm["_shards"].(map[string]any); rm["error"] != nil || !ok || fmt.Sprint(sh["failed"]) != "0" {
				out = append(out, nil) // refused or failed: not comparable
				continue
			}
			out = append(out, searchDigest(rm, back))
		}
		return out, true
	case "mget":
		var out []string
		docs, _ := m["docs"].([]any)
		for _, d := range docs {
			dm, _ := d.(map[string]any)
			out = append(out, back.Replace(fmt.Sprint(dm["_index"], "/", dm["_id"], " ", dm["found"])))
		}
		return out, true
	}
	return nil, false
}

func searchDigest(m map[string]any, back *strings.Replacer) any {
	hits, _ := m["hits"].(map[string]any)
	out := map[string]any{}
	var total any
	if tm, ok := hits["total"].(map[string]any); ok {
		total = tm["value"]
	} else {
		total = hits["total"]
	}
	out["total"] = total
	if sh, ok := m["_shards"].(map[string]any); ok {
		out["skipped"] = sh["skipped"]
	}
	hh, _ := hits["hits"].([]any)
	if n, err := strconv.Atoi(fmt.Sprint(total)); err == nil && n == len(hh) {
		var ids []string
		scores := map[string]string{}
		for _, h := range hh {
			hm, _ := h.(map[string]any)
			id := back.Replace(fmt.Sprint(hm["_index"], "/", hm["_id"]))
			ids = append(ids, id)
			if sc, err := strconv.ParseFloat(fmt.Sprint(hm["_score"]), 64); err == nil {
				scores[id] = strconv.FormatFloat(sc, 'g', 5, 64)
			}
		}
		sort.Strings(ids)
		out["ids"] = ids
		out["scores"] = scores
	}
	if aggs, ok := m["aggregations"]; ok {
		out["aggs"] = normAgg(aggs, back)
	}
	return out
}

var mirrorIXRE = regexp.MustCompile(`@IX:[a-z,]*@`)

// msearchComparable keeps, of two _msearch digests, the items both
// answered and that do not depend on scores (the others become nil on both
// sides).
func msearchComparable(u, m any, skip []bool) (any, any) {
	ul, ok1 := u.([]any)
	ml, ok2 := m.([]any)
	if !ok1 || !ok2 || len(ul) != len(ml) {
		return nil, nil
	}
	for i := range ul {
		if ul[i] == nil || ml[i] == nil || (i < len(skip) && skip[i]) {
			ul[i], ml[i] = nil, nil
		}
	}
	return ul, ml
}

// covers0 is the key of the first index the mirror stands for.
func (rq fuzzReq) covers0() string {
	if len(rq.covers) == 0 {
		return "a"
	}
	return rq.covers[0]
}

// subsetOf reports whether digest u matched no document m did not: a
// count or total no larger and ids among m's. The proxy expands "*" and
// field patterns into the visible fields the mapping shows; the cluster's
// own expansion also reaches internal sub-fields (_index_prefix, _2gram),
// so the user may match fewer documents, never others.
func subsetOf(u, m any) bool {
	um, ok1 := u.(map[string]any)
	mm, ok2 := m.(map[string]any)
	if !ok1 || !ok2 {
		uc, err1 := strconv.Atoi(fmt.Sprint(u))
		mc, err2 := strconv.Atoi(fmt.Sprint(m))
		return err1 == nil && err2 == nil && uc <= mc
	}
	ut, err1 := strconv.Atoi(fmt.Sprint(um["total"]))
	mt, err2 := strconv.Atoi(fmt.Sprint(mm["total"]))
	if err1 != nil || err2 != nil || ut > mt {
		return false
	}
	uids, _ := um["ids"].([]string)
	mids, _ := mm["ids"].([]string)
	for _, id := range uids {
		if mids != nil && !slices.Contains(mids, id) {
			return false
		}
	}
	return true
}

// withinVisible reports whether digest d (a count or a search digest)
// holds only documents user u may see. Where one body serves indices whose
// field security differs, the proxy hides a field everywhere some index
// hides it: a query then matches fewer documents than the cluster would,
// or more under must_not, but never one the role query hides.
func withinVisible(f *fuzzFixture, u *fuzzUser, d any) bool {
	n, visible := f.visibleDocs(u)
	dm, ok := d.(map[string]any)
	if !ok {
		c, err := strconv.Atoi(fmt.Sprint(d)) // a count
		return err == nil && c <= n
	}
	t, err := strconv.Atoi(fmt.Sprint(dm["total"]))
	if err != nil || t > n {
		return false
	}
	ids, _ := dm["ids"].([]string)
	for _, id := range ids {
		if !visible(id) {
			return false
		}
	}
	return true
}

// expandsFieldPatterns reports bodies whose field patterns (or default
// "*" fields) the proxy expands into a list of visible fields. The cluster
// scores such a list differently from its own expansion: it counts an
// alias and its target once (the proxy lists both, doubling the target's
// weight) and adds internal sub-fields the mapping does not show
// (_index_prefix, _index_phrase, _2gram...). Matches agree; scores may not.
func expandsFieldPatterns(s string) bool {
	return strings.Contains(s, "*") || strings.Contains(s, "query_string") || strings.Contains(s, "multi_match") ||
		strings.Contains(s, "q=")
}

// dropAggs removes the aggregations from a search digest.
func dropAggs(d any) { dropKey(d, "aggs") }

// dropKey removes key from a search digest or from each of a list of them.
func dropKey(d any, key string) {
	switch x := d.(type) {
	case map[string]any:
		delete(x, key)
	case []any:
		for _, e := range x {
			dropKey(e, key)
		}
	}
}

// normAgg drops from an aggregation answer what may differ without a leak
// (scores, hits of top_hits, background counts) and names the mirror as
// the real index.
func normAgg(v any, back *strings.Replacer) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			switch k {
			case "_score", "max_score", "score", "bg_count", "hits", "sum_other_doc_count", "doc_count_error_upper_bound", "meta":
				continue
			}
			out[k] = normAgg(e, back)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normAgg(e, back)
		}
		return out
	case string:
		return back.Replace(x)
	case json.Number: // YAML writes 86753090001 as 8.6753090001E10
		if fl, err := x.Float64(); err == nil {
			return fl
		}
	}
	return v
}

// compressed returns body written through the compressor newWriter makes.
func compressed(body []byte, newWriter func(io.Writer) io.WriteCloser) []byte {
	var buf bytes.Buffer
	zw := newWriter(&buf)
	_, _ = zw.Write(body)
	_ = zw.Close()
	return buf.Bytes()
}
