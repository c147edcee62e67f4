package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"regexp"
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
	logCounts(t, stats)
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

var keyRE = regexp.MustCompile(`"([a-z_.*]{3,})"(:?)`)

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

var mirrorIXRE = regexp.MustCompile(`@IX:[a-z,]*@`)

// logCounts logs a differential's outcome counts, one per line, by name.
func logCounts(t *testing.T, counts map[string]int) {
	t.Helper()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%6d %s", counts[k], k)
	}
}
