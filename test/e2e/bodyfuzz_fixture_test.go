package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
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

// fuzzUser is one restricted user of the fuzzer and what its role hides.
type fuzzUser struct {
	name   string
	dls    bool            // the role query hides the "priv" documents
	hidden map[string]bool // field paths the role's field security hides
	mirror string          // index holding what this user may see
}

// fuzzCanary is one seeded value and where it lives.
type fuzzCanary struct {
	value     string
	index     string // the index's role ("a" or "z")
	docHidden bool   // in a document the role query hides
	field     string // full field path
}

// fuzzFixture is the fuzzer's cluster state and proxy.
type fuzzFixture struct {
	p        *proxy
	c        *http.Client
	su       hashedUser
	prefix   string // every index name starts with it
	a, z     string // the readable index and the forbidden one
	users    []*fuzzUser
	canaries []fuzzCanary
	ids      []string // every document id of index a
	hiddenID []string // ids of documents the role query hides
}

const fuzzMapping = `{"settings":{"number_of_shards":2,"number_of_replicas":0},"mappings":{"properties":{
  "grp":{"type":"keyword"},
  "pub":{"type":"text","fields":{"keyword":{"type":"keyword"}}},
  "num":{"type":"long"},
  "sec":{"type":"text","fields":{"keyword":{"type":"keyword"}}},
  "sectv":{"type":"text","term_vector":"with_positions_offsets","store":true},
  "secnum":{"type":"long"},
  "alias_sec":{"type":"alias","path":"sec"},
  "obj":{"properties":{"pub":{"type":"keyword"},"sec":{"type":"keyword"}}},
  "dot":{"properties":{"pub":{"type":"keyword"},"sec":{"type":"keyword"}}},
  "nst":{"type":"nested","properties":{"pub":{"type":"keyword"},"sec":{"type":"text","fields":{"keyword":{"type":"keyword"}}}}},
  "arr":{"properties":{"pub":{"type":"keyword"},"sec":{"type":"keyword"}}},
  "dis":{"type":"object","enabled":false},
  "flat":{"type":"flat_object"}}}}`

// fuzzHiddenFLS is what the field security of the FLS users hides.
var fuzzHiddenFLS = []string{"sec", "sec.keyword", "sectv", "secnum", "alias_sec", "obj.sec", "dot.sec", "nst.sec", "nst.sec.keyword", "arr.sec", "dis.sec", "flat.sec"}

// fuzzDoc builds one document of index a: id, its group, and the canary
// suffix n; every string value is a distinct canary.
func (f *fuzzFixture) fuzzDoc(index, id string, hiddenDoc bool, n int) map[string]any {
	v := func(field, tag string) string {
		val := fmt.Sprintf("qzc%s%s%sq", map[bool]string{true: "h", false: "v"}[hiddenDoc], id, tag)
		if index == "z" {
			val = fmt.Sprintf("qzcz%s%sq", id, tag)
		}
		f.canaries = append(f.canaries, fuzzCanary{value: val, index: index, docHidden: hiddenDoc, field: field})
		return val
	}
	num := func(field string, x int64) int64 {
		f.canaries = append(f.canaries, fuzzCanary{value: fmt.Sprint(x), index: index, docHidden: hiddenDoc, field: field})
		return x
	}
	grp := "pub"
	if hiddenDoc {
		grp = "priv"
	}
	base := int64(86753090000)
	if hiddenDoc {
		base = 86753190000
	}
	if index == "z" {
		base = 86753290000
	}
	return map[string]any{
		"grp":     grp,
		"pub":     v("pub", "pub") + " shared words " + v("pub", "pubb"),
		"num":     num("num", base+int64(n)*7+1),
		"sec":     v("sec", "sec") + " shared " + v("sec", "secb"),
		"sectv":   v("sectv", "stv") + " shared",
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

// mirrorMapping is fuzzMapping without the fields hidden holds: a hidden
// field is, to the user, a field that does not exist.
func mirrorMapping(hidden map[string]bool) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(fuzzMapping), &m); err != nil {
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
	cluster := openSearchURL(t)
	backendLacks(t, "flat_object fields")
	o, su := superuserOpts(t, cluster)
	nano := time.Now().UnixNano()
	f := &fuzzFixture{su: su, prefix: fmt.Sprintf("e2e-fz-%d", nano)}
	f.a, f.z = f.prefix+"-a", f.prefix+"-z"
	hidFLS := map[string]bool{}
	for _, h := range fuzzHiddenFLS {
		hidFLS[h] = true
	}
	hidBoth := map[string]bool{"flat": true, "flat.pub": true, "flat.*": true}
	for _, h := range fuzzHiddenFLS {
		hidBoth[h] = true
	}
	// A mirror's name extends the real index's, so that the patterns of a
	// body (_index queries) reach both alike; the role grants the exact
	// name only.
	mirror := func(u string) string { return f.a + "-m" + u }
	f.users = []*fuzzUser{
		{name: "fzdls", dls: true, hidden: map[string]bool{}, mirror: mirror("dls")},
		{name: "fzfls", hidden: hidFLS, mirror: mirror("fls")},
		{name: "fzboth", dls: true, hidden: hidBoth, mirror: mirror("both")},
	}
	role := func(extra string) string {
		return "  indices:\n    - names: [\"" + f.a + "\"]\n      privileges: [read, view_index_metadata]\n" + extra
	}
	dlsQ := "      query: '{\"term\":{\"grp\":\"pub\"}}'\n"
	o.Roles = "r_fzdls:\n" + role(dlsQ) +
		"r_fzfls:\n" + role("      field_security:\n        grant: [\"*\"]\n        except: [\""+strings.Join(fuzzHiddenFLS, "\", \"")+"\"]\n") +
		"r_fzboth:\n" + role(dlsQ+"      field_security:\n        grant: [\"grp\", \"pub\", \"pub.keyword\", \"num\", \"obj.pub\", \"dot.pub\", \"nst.pub\", \"arr.pub\", \"dis.pub\"]\n")
	for _, u := range f.users {
		o.Users += u.name + ":" + su.Password + "\n"
		o.UsersRoles += "r_" + u.name + ":" + u.name + "\n"
	}
	f.p = startProxy(t, o)
	f.p.waitReady()
	f.c = f.p.client(nil)
	all := []string{f.a, f.z}
	for _, u := range f.users {
		all = append(all, u.mirror)
	}
	t.Cleanup(func() { dropIndices(t, f.c, cluster, all...) })
	f.admin(t, "create "+f.a, "PUT", "/"+f.a, fuzzMapping)
	f.admin(t, "create "+f.z, "PUT", "/"+f.z, fuzzMapping)
	for _, u := range f.users {
		f.admin(t, "create "+u.mirror, "PUT", "/"+u.mirror, mirrorMapping(u.hidden))
	}
	type seeded struct {
		id     string
		hidden bool
		doc    map[string]any
	}
	var docs []seeded
	for i, id := range []string{"v1", "v2", "v3", "h1", "h2"} {
		hidden := strings.HasPrefix(id, "h")
		docs = append(docs, seeded{id, hidden, f.fuzzDoc("a", id, hidden, i)})
		f.ids = append(f.ids, id)
		if hidden {
			f.hiddenID = append(f.hiddenID, id)
		}
	}
	var zdocs []seeded
	for i, id := range []string{"v1", "z1"} {
		zdocs = append(zdocs, seeded{id, false, f.fuzzDoc("z", id, false, i)})
	}
	bulk := func(ix string, ds []seeded, keep func(seeded) (map[string]any, bool)) {
		var b strings.Builder
		for _, d := range ds {
			doc, ok := keep(d)
			if !ok {
				continue
			}
			js, _ := json.Marshal(doc)
			fmt.Fprintf(&b, "{\"index\":{\"_id\":%q}}\n%s\n", d.id, js)
		}
		r := do(t, f.c, "POST", f.p.URL+"/"+ix+"/_bulk?refresh=true", su.Name, su.Password, strings.NewReader(b.String()), map[string]string{"Content-Type": "application/x-ndjson"})
		if r.Status != 200 || strings.Contains(r.Body, `"errors":true`) {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	bulk(f.a, docs, func(d seeded) (map[string]any, bool) { return d.doc, true })
	bulk(f.z, zdocs, func(d seeded) (map[string]any, bool) { return d.doc, true })
	for _, u := range f.users {
		bulk(u.mirror, docs, func(d seeded) (map[string]any, bool) {
			if u.dls && d.hidden {
				return nil, false
			}
			return stripFuzzDoc(d.doc, u.hidden), true
		})
	}
	// Control: the superuser sees every canary of index a.
	r := f.admin(t, "control", "POST", "/"+f.a+"/_search", `{"size":50}`)
	for _, c := range f.canaries {
		if c.index == "a" && c.field != "alias_sec" && !strings.Contains(r.Body, c.value) {
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

// forbidden lists the canaries user u must never see.
func (f *fuzzFixture) forbidden(u *fuzzUser) []fuzzCanary {
	var out []fuzzCanary
	for _, c := range f.canaries {
		if c.index == "z" || (u.dls && c.docHidden) || u.hidden[c.field] {
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
