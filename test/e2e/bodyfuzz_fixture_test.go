package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The body fuzzer's fixture: one index the restricted users read (with
// documents their role query hides and fields their field security hides),
// one index no role grants, and, per restricted user, a mirror index the
// superuser reads that holds exactly what that user may see (the visible
// documents, without the hidden fields). The same request sent by the user
// to the real index and by the superuser to the user's mirror must agree on
// which documents match: the mirror is the oracle of DLS/FLS semantics.

// fuzzRule is what one role hides in one index.
type fuzzRule struct {
	dlsGrp string          // when set, the role query shows only documents of this grp
	hidden map[string]bool // field paths the role's field security hides
}

// fuzzUser is one restricted user of the fuzzer: its rules and mirrors by
// index key ("a", "b").
type fuzzUser struct {
	name    string
	rules   map[string]*fuzzRule
	mirrors map[string]string // index holding what this user may see of each index
}

// dls reports whether a role query restricts the user somewhere.
func (u *fuzzUser) dls() bool {
	for _, r := range u.rules {
		if r.dlsGrp != "" {
			return true
		}
	}
	return false
}

// hides reports whether some index's field security hides field.
func (u *fuzzUser) hides(field string) bool {
	for _, r := range u.rules {
		if r.hidden[field] {
			return true
		}
	}
	return false
}

// fuzzCanary is one seeded value and where it lives.
type fuzzCanary struct {
	value string
	index string // the index's key ("a", "b" or "z")
	grp   string // the document's group
	field string // full field path
}

// fuzzFixture is the fuzzer's cluster state and proxy.
type fuzzFixture struct {
	p        *proxy
	c        *http.Client
	su       hashedUser
	prefix   string // every index name starts with it
	a, b, z  string // the readable indices and the forbidden one
	users    []*fuzzUser
	canaries []fuzzCanary
	ids      []string          // every document id of indices a and b
	docGrp   map[string]string // "index/id" of every document of a and b: its group
}

// name is the index name of key.
func (f *fuzzFixture) name(key string) string {
	return map[string]string{"a": f.a, "b": f.b, "z": f.z}[key]
}

const fuzzMapping = `{"settings":{"number_of_shards":2,"number_of_replicas":0},"mappings":{"properties":{
  "grp":{"type":"keyword"},
  "pub":{"type":"text","fields":{"keyword":{"type":"keyword"}}},
  "num":{"type":"long"},
  "sec":{"type":"text","fields":{"keyword":{"type":"keyword"}}},
  "sectv":{"type":"text","term_vector":"with_positions_offsets","store":true},
  "pubtv":{"type":"text","term_vector":"with_positions_offsets"},
  "secpfx":{"type":"text","index_prefixes":{"min_chars":2,"max_chars":5},"index_phrases":true},
  "secsayt":{"type":"search_as_you_type"},
  "secnum":{"type":"long"},
  "alias_sec":{"type":"alias","path":"sec"},
  "obj":{"properties":{"pub":{"type":"keyword"},"sec":{"type":"keyword"}}},
  "dot":{"properties":{"pub":{"type":"keyword"},"sec":{"type":"keyword"}}},
  "nst":{"type":"nested","properties":{"pub":{"type":"keyword"},"sec":{"type":"text","fields":{"keyword":{"type":"keyword"}}}}},
  "arr":{"properties":{"pub":{"type":"keyword"},"sec":{"type":"keyword"}}},
  "dis":{"type":"object","enabled":false},
  "flat":{"type":"flat_object"}}}}`

// fuzzHiddenFLS is what the field security of the FLS users hides.
var fuzzHiddenFLS = []string{"secpfx", "secsayt", "sec", "sec.keyword", "sectv", "secnum", "alias_sec", "obj.sec", "dot.sec", "nst.sec", "nst.sec.keyword", "arr.sec", "dis.sec", "flat.sec"}

// seedValue registers and returns the canary of one field of a document.
func (f *fuzzFixture) seedValue(index, id, grp, field, tag string) string {
	hv := "v"
	if grp == "priv" {
		hv = "h"
	}
	val := fmt.Sprintf("qzc%s%s%sq", hv, id, tag)
	if index != "a" {
		val = fmt.Sprintf("qzc%s%s%s%sq", index, hv, id, tag)
	}
	f.canaries = append(f.canaries, fuzzCanary{value: val, index: index, grp: grp, field: field})
	return val
}

// fuzzDoc builds one document of index key: id, its group, and the
// number n; every string value is a distinct canary.
func (f *fuzzFixture) fuzzDoc(index, id, grp string, n int) map[string]any {
	v := func(field, tag string) string { return f.seedValue(index, id, grp, field, tag) }
	num := func(field string, x int64) int64 {
		f.canaries = append(f.canaries, fuzzCanary{value: fmt.Sprint(x), index: index, grp: grp, field: field})
		return x
	}
	base := map[string]int64{"a": 86753090000, "b": 86753390000, "z": 86753290000}[index]
	if grp == "priv" {
		base += 100000
	}
	return map[string]any{
		"grp":     grp,
		"pub":     v("pub", "pub") + " shared words " + v("pub", "pubb"),
		"num":     num("num", base+int64(n)*7+1),
		"sec":     v("sec", "sec") + " shared " + v("sec", "secb"),
		"sectv":   v("sectv", "stv") + " shared",
		"pubtv":   "shared " + v("pubtv", "ptv") + " words shared",
		"secpfx":  v("secpfx", "spx") + " shared " + v("secpfx", "spxb"),
		"secsayt": v("secsayt", "ssy") + " shared words",
		"secnum":  num("secnum", base+int64(n)*7+3),
		"obj":     map[string]any{"pub": v("obj.pub", "opub"), "sec": v("obj.sec", "osec")},
		"dot.pub": v("dot.pub", "dpub"),
		"dot.sec": v("dot.sec", "dsec"),
		"nst": []any{
			map[string]any{"pub": v("nst.pub", "npub"), "sec": v("nst.sec", "nsec")},
			map[string]any{"pub": v("nst.pub", "npubb"), "sec": v("nst.sec", "nsecb")},
		},
		"arr": []any{
			map[string]any{"pub": v("arr.pub", "apub"), "sec": v("arr.sec", "asec")},
			map[string]any{"pub": v("arr.pub", "apubb")},
		},
		"dis":  map[string]any{"pub": v("dis.pub", "xpub"), "sec": v("dis.sec", "xsec")},
		"flat": map[string]any{"pub": v("flat.pub", "fpub"), "sec": v("flat.sec", "fsec")},
	}
}

// fuzzMappingFor is fuzzMapping as the backend under test can create it:
// the Elasticsearch 7.17 OSS node has no flat_object (nor x-pack's
// flattened), so there "flat" is a plain object of the same keys.
func fuzzMappingFor() string {
	if os.Getenv("E2E_BACKEND") == "elasticsearch" {
		return strings.Replace(fuzzMapping, `"flat":{"type":"flat_object"}`, `"flat":{"properties":{"pub":{"type":"keyword"},"sec":{"type":"keyword"}}}`, 1)
	}
	return fuzzMapping
}

// mirrorMapping is fuzzMapping without the fields hidden holds: a hidden
// field is, to the user, a field that does not exist.
func mirrorMapping(hidden map[string]bool) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(fuzzMappingFor()), &m); err != nil {
		panic(err)
	}
	var prune func(props map[string]any, prefix string)
	prune = func(props map[string]any, prefix string) {
		for name, def := range props {
			if hidden[prefix+name] {
				delete(props, name)
				continue
			}
			if sub, ok := def.(map[string]any)["properties"].(map[string]any); ok {
				prune(sub, prefix+name+".")
			}
		}
	}
	prune(m["mappings"].(map[string]any)["properties"].(map[string]any), "")
	b, _ := json.Marshal(m)
	return string(b)
}

// rawFuzzDoc is a document written the way the cluster stores it, not as
// the proxy would write it: keys with \u escapes, dotted keys next to the
// objects they extend ("obj.sec" beside "obj", "arr.sec" beside the array
// "arr", "dis.sec" beside the disabled object "dis"). The source comes
// back as it was sent, and the response filters must read it as the
// cluster does.
func (f *fuzzFixture) rawFuzzDoc(index, id, grp string) string {
	v := func(field, tag string) string { return f.seedValue(index, id, grp, field, tag) }
	return `{"grp":"` + grp + `","p\u0075b":"` + v("pub", "pub") + ` shared","s\u0065c":"` + v("sec", "sec") + ` shared",` +
		`"obj.sec":"` + v("obj.sec", "osec") + `","obj":{"p\u0075b":"` + v("obj.pub", "opub") + `"},` +
		`"dot":{"s\u0065c":"` + v("dot.sec", "dsec") + `","pub":"` + v("dot.pub", "dpub") + `"},` +
		`"nst":[{"s\u0065c":"` + v("nst.sec", "nsec") + `","pub":"` + v("nst.pub", "npub") + `"}],` +
		`"arr.sec":"` + v("arr.sec", "asec") + `","arr":[{"pub":"` + v("arr.pub", "apub") + `"}],` +
		`"dis.sec":"` + v("dis.sec", "xsec") + `","dis":{"pub":"` + v("dis.pub", "xpub") + `"},` +
		`"flat":{"s\u0065c":"` + v("flat.sec", "fsec") + `","pub":"` + v("flat.pub", "fpub") + `"},` +
		`"sect\u0076":"` + v("sectv", "stv") + `"}`
}

// strip removes from doc (a fuzzDoc) the fields hidden holds.
func stripFuzzDoc(doc map[string]any, hidden map[string]bool) map[string]any {
	out := map[string]any{}
	for k, val := range doc {
		if hidden[k] {
			continue
		}
		switch x := val.(type) {
		case map[string]any:
			sub := map[string]any{}
			for sk, sv := range x {
				if !hidden[k+"."+sk] && !hidden[k+".*"] {
					sub[sk] = sv
				}
			}
			out[k] = sub
		case []any:
			var arr []any
			for _, e := range x {
				sub := map[string]any{}
				for sk, sv := range e.(map[string]any) {
					if !hidden[k+"."+sk] {
						sub[sk] = sv
					}
				}
				arr = append(arr, sub)
			}
			out[k] = arr
		default:
			out[k] = val
		}
	}
	return out
}

// startFuzzFixture seeds the indices and starts a proxy with the
// restricted users fzdls (DLS), fzfls (FLS by except), fzboth (DLS and FLS
// by grant).
func startFuzzFixture(t *testing.T) *fuzzFixture {
	t.Helper()
	return startFuzzFixtureWith(t, false)
}

// fuzzPatternHidden is what fzpat's field security on index a hides: its
// grant is a list of patterns ("p*", "obj.*", "*tv") with exceptions, and
// it names an alias whose target it does not grant.
var fuzzPatternHidden = []string{"num", "sec", "sec.keyword", "pubtv", "secpfx", "secsayt", "secnum", "alias_sec", "obj.sec",
	"dot.pub", "dot.sec", "nst.sec", "nst.sec.keyword", "arr.pub", "arr.sec", "dis.pub", "dis.sec", "flat", "flat.pub", "flat.sec", "flat.*"}

// startFuzzFixtureWith is startFuzzFixture; withPatterns adds the user
// fzpat, whose field security is written with wildcard patterns on index
// a, and whose role on index b has another DLS query shape (must_not)
// and FLS exceptions by pattern ("obj.*", "*.keyword").
func startFuzzFixtureWith(t *testing.T, withPatterns bool) *fuzzFixture {
	t.Helper()
	cluster := openSearchURL(t)
	if !withPatterns {
		// The body fuzzer's expectations (knownOverRestriction) are
		// written for flat_object fields.
		backendLacks(t, "flat_object fields")
	}
	o, su := superuserOpts(t, cluster)
	nano := time.Now().UnixNano()
	f := &fuzzFixture{su: su, prefix: fmt.Sprintf("e2e-fz-%d", nano), docGrp: map[string]string{}}
	f.a, f.b, f.z = f.prefix+"-a", f.prefix+"-b", f.prefix+"-z"
	set := func(names ...string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[n] = true
		}
		return m
	}
	hidBExcept := []string{"pub", "pub.keyword", "obj.pub", "num", "nst.pub", "arr.pub", "dot.pub"}
	hidBoth := set(append([]string{"flat", "flat.pub", "flat.*"}, fuzzHiddenFLS...)...)
	f.users = []*fuzzUser{
		{name: "fzdls", rules: map[string]*fuzzRule{"a": {dlsGrp: "pub", hidden: set()}, "b": {dlsGrp: "priv", hidden: set()}}},
		{name: "fzfls", rules: map[string]*fuzzRule{"a": {hidden: set(fuzzHiddenFLS...)}, "b": {hidden: set(hidBExcept...)}}},
		{name: "fzboth", rules: map[string]*fuzzRule{"a": {dlsGrp: "pub", hidden: hidBoth}, "b": {hidden: set()}}},
	}
	if withPatterns {
		f.users = append(f.users, &fuzzUser{name: "fzpat", rules: map[string]*fuzzRule{
			"a": {hidden: set(fuzzPatternHidden...)},
			"b": {dlsGrp: "priv", hidden: set("obj.pub", "obj.sec", "pub.keyword", "sec.keyword", "nst.sec.keyword")},
		}})
	}
	// A mirror's name extends the real index's, so that the patterns of a
	// body (_index queries) reach both alike; the roles grant exact names
	// only.
	for _, u := range f.users {
		u.mirrors = map[string]string{"a": f.a + "-m" + u.name, "b": f.b + "-m" + u.name}
	}
	entry := func(index, extra string) string {
		return "    - names: [\"" + index + "\"]\n      privileges: [read, view_index_metadata]\n" + extra
	}
	dlsQ := func(grp string) string { return "      query: '{\"term\":{\"grp\":\"" + grp + "\"}}'\n" }
	except := func(names []string) string {
		return "      field_security:\n        grant: [\"*\"]\n        except: [\"" + strings.Join(names, "\", \"") + "\"]\n"
	}
	o.Roles = "r_fzdls:\n  indices:\n" + entry(f.a, dlsQ("pub")) + entry(f.b, dlsQ("priv")) +
		"r_fzfls:\n  indices:\n" + entry(f.a, except(fuzzHiddenFLS)) + entry(f.b, except(hidBExcept)) +
		"r_fzboth:\n  indices:\n" + entry(f.a, dlsQ("pub")+"      field_security:\n        grant: [\"grp\", \"pub\", \"pub.keyword\", \"pubtv\", \"num\", \"obj.pub\", \"dot.pub\", \"nst.pub\", \"arr.pub\", \"dis.pub\"]\n") +
		entry(f.b, "")
	if withPatterns {
		o.Roles += "r_fzpat:\n  indices:\n" +
			entry(f.a, "      field_security:\n        grant: [\"grp\", \"p*\", \"obj.*\", \"nst.pub\", \"alias_sec\", \"*tv\"]\n        except: [\"pubtv\", \"obj.sec\"]\n") +
			entry(f.b, "      query: '{\"bool\":{\"must_not\":{\"term\":{\"grp\":\"pub\"}}}}'\n"+
				"      field_security:\n        grant: [\"*\"]\n        except: [\"obj.*\", \"*.keyword\"]\n")
	}
	for _, u := range f.users {
		o.Users += u.name + ":" + su.Password + "\n"
		o.UsersRoles += "r_" + u.name + ":" + u.name + "\n"
	}
	f.p = startProxy(t, o)
	f.p.waitReady()
	f.c = f.p.client(nil)
	all := []string{f.a, f.b, f.z}
	for _, u := range f.users {
		all = append(all, u.mirrors["a"], u.mirrors["b"])
	}
	t.Cleanup(func() { dropIndices(t, f.c, cluster, all...) })
	for _, ix := range []string{f.a, f.b, f.z} {
		f.admin(t, "create "+ix, "PUT", "/"+ix, fuzzMappingFor())
	}
	for _, u := range f.users {
		for k, m := range u.mirrors {
			f.admin(t, "create "+m, "PUT", "/"+m, mirrorMapping(u.rules[k].hidden))
		}
	}
	type seeded struct {
		id, grp string
		doc     map[string]any
		raw     string // the source as sent to the real index, when not doc's JSON
	}
	docs := map[string][]seeded{}
	for _, k := range []string{"a", "b", "z"} {
		ids := []string{"v1", "v2", "v3", "h1", "h2"}
		if k == "z" {
			ids = []string{"v1", "z1"}
		}
		for i, id := range ids {
			grp := "pub"
			if strings.HasPrefix(id, "h") {
				grp = "priv"
			}
			docs[k] = append(docs[k], seeded{id: id, grp: grp, doc: f.fuzzDoc(k, id, grp, i)})
			if k != "z" {
				f.docGrp[f.name(k)+"/"+id] = grp
			}
			if k == "a" {
				f.ids = append(f.ids, id)
			}
		}
		if k == "z" {
			continue
		}
		for _, id := range []string{"v4", "h3"} {
			grp := map[string]string{"v4": "pub", "h3": "priv"}[id]
			raw := f.rawFuzzDoc(k, id, grp)
			var doc map[string]any
			if err := json.Unmarshal([]byte(raw), &doc); err != nil {
				t.Fatalf("raw document: %v: %s", err, raw)
			}
			docs[k] = append(docs[k], seeded{id: id, grp: grp, doc: doc, raw: raw})
			f.docGrp[f.name(k)+"/"+id] = grp
			if k == "a" {
				f.ids = append(f.ids, id)
			}
		}
	}
	bulk := func(ix string, ds []seeded, keep func(seeded) (map[string]any, bool)) {
		var b strings.Builder
		for _, d := range ds {
			doc, ok := keep(d)
			if !ok {
				continue
			}
			js, _ := json.Marshal(doc)
			if doc == nil {
				js = []byte(d.raw)
			}
			fmt.Fprintf(&b, "{\"index\":{\"_id\":%q}}\n%s\n", d.id, js)
		}
		r := do(t, f.c, "POST", f.p.URL+"/"+ix+"/_bulk?refresh=true", su.Name, su.Password, strings.NewReader(b.String()), map[string]string{"Content-Type": "application/x-ndjson"})
		if r.Status != 200 || strings.Contains(r.Body, `"errors":true`) {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	for _, k := range []string{"a", "b", "z"} {
		bulk(f.name(k), docs[k], func(d seeded) (map[string]any, bool) {
			if d.raw != "" {
				return nil, true // sent as written
			}
			return d.doc, true
		})
	}
	for _, u := range f.users {
		for k, m := range u.mirrors {
			rule := u.rules[k]
			bulk(m, docs[k], func(d seeded) (map[string]any, bool) {
				if rule.dlsGrp != "" && d.grp != rule.dlsGrp {
					return nil, false
				}
				return stripFuzzDoc(d.doc, rule.hidden), true
			})
		}
	}
	// Control: the superuser sees every canary of indices a and b.
	r := f.admin(t, "control", "POST", "/"+f.a+","+f.b+"/_search", `{"size":50}`)
	for _, c := range f.canaries {
		if c.index != "z" && c.field != "alias_sec" && !strings.Contains(r.Body, c.value) {
			t.Fatalf("fixture: the superuser's search lacks %s (%s)", c.value, c.field)
		}
	}
	return f
}

// admin sends a superuser request that must succeed.
func (f *fuzzFixture) admin(t *testing.T, what, method, path, body string) result {
	t.Helper()
	r := do(t, f.c, method, f.p.URL+path, f.su.Name, f.su.Password, strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
	if r.Status >= 300 {
		t.Fatalf("%s: %s %s: %d %s", what, method, path, r.Status, r.Body)
	}
	return r
}

// visibleDocs counts the documents of a and b user u may see, and reports
// whether the "index/id" hit is one of them.
func (f *fuzzFixture) visibleDocs(u *fuzzUser) (int, func(hit string) bool) {
	ok := func(hit string) bool {
		grp, known := f.docGrp[hit]
		if !known {
			return false
		}
		key := "a"
		if strings.HasPrefix(hit, f.b+"/") {
			key = "b"
		}
		rule := u.rules[key]
		return rule.dlsGrp == "" || rule.dlsGrp == grp
	}
	n := 0
	for hit := range f.docGrp {
		if ok(hit) {
			n++
		}
	}
	return n, ok
}

// forbidden lists the canaries user u must never see.
func (f *fuzzFixture) forbidden(u *fuzzUser) []fuzzCanary {
	var out []fuzzCanary
	for _, c := range f.canaries {
		rule := u.rules[c.index]
		if rule == nil || (rule.dlsGrp != "" && c.grp != rule.dlsGrp) || rule.hidden[c.field] {
			out = append(out, c)
		}
	}
	return out
}

// canaryForms are the ways a value may show in a response: as is, upper
// case (a normalizer), and base64 at each of the three alignments (an
// error message quoting a binary value, a cursor).
func canaryForms(v string) []string {
	forms := []string{v, strings.ToUpper(v)}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		// A number also comes back as a double: 8.6753090003E10 (Java),
		// 8.6753090003e+10 (YAML, Go).
		fl := float64(n)
		forms = append(forms, strings.Replace(strconv.FormatFloat(fl, 'E', -1, 64), "E+", "E", 1), strconv.FormatFloat(fl, 'e', -1, 64), v+".0")
	}
	for pad := 0; pad < 3; pad++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x00", pad) + v))
		// Drop the characters that mix in the padding bytes or the end.
		start := (pad*8 + 5) / 6
		if pad == 0 {
			start = 0
		}
		end := len(strings.TrimRight(enc, "=")) - 2
		if end-start >= 8 {
			forms = append(forms, enc[start:end])
		}
	}
	return forms
}
