package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// flsLeakFixture is one index, seeded by the superuser, read by "flsuser"
// whose role grants every field except some: probes must never return the
// canaries seeded into the excepted fields.
type flsLeakFixture struct {
	p     *proxy
	index string
	su    hashedUser
}

// startFLSLeakFixture creates the index with mapping and docs (bulk NDJSON
// lines) and a proxy where flsuser reads e2e-flsleak-* with
// field_security grant ["*"] except the given patterns.
func startFLSLeakFixture(t *testing.T, mapping string, except []string, docs ...string) *flsLeakFixture {
	t.Helper()
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	o.Users += "flsuser:" + su.Password + "\n"
	o.UsersRoles += "r_flsleak:flsuser\n"
	o.Roles = "r_flsleak:\n  indices:\n    - names: [\"e2e-flsleak-*\"]\n      privileges: [read, view_index_metadata]\n" +
		"      field_security:\n        grant: [\"*\"]\n        except: [\"" + strings.Join(except, "\", \"") + "\"]\n"
	p := startProxy(t, o)
	p.waitReady()
	f := &flsLeakFixture{p: p, index: fmt.Sprintf("e2e-flsleak-%d", time.Now().UnixNano()), su: su}
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	if r := do(t, c, "PUT", p.URL+"/"+f.index, su.Name, su.Password, strings.NewReader(mapping), hj); r.Status != 200 {
		t.Fatalf("create index: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+f.index, su.Name, su.Password, nil, nil) })
	r := do(t, c, "POST", p.URL+"/"+f.index+"/_bulk?refresh=true", su.Name, su.Password,
		strings.NewReader(strings.Join(docs, "\n")+"\n"), map[string]string{"Content-Type": "application/x-ndjson"})
	if r.Status != 200 || strings.Contains(r.Body, `"errors":true`) {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	return f
}

// probe sends body to path (relative to the index) as the superuser and as
// flsuser: the superuser's answer must contain want (the probe is real),
// flsuser's must contain none of the canaries.
func (f *flsLeakFixture) probe(t *testing.T, method, path, body, want string, canaries ...string) {
	t.Helper()
	c := f.p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	url := f.p.URL + "/" + f.index + path
	if want != "" {
		r := do(t, c, method, url, f.su.Name, f.su.Password, strings.NewReader(body), hj)
		if !strings.Contains(r.Body, want) {
			t.Fatalf("control %s %s %s: the superuser's answer lacks %q: %d %.600s", method, path, body, want, r.Status, r.Body)
		}
	}
	r := do(t, c, method, url, "flsuser", f.su.Password, strings.NewReader(body), hj)
	for _, canary := range canaries {
		if strings.Contains(r.Body, canary) {
			t.Errorf("LEAK: %s %s %s: flsuser's answer contains %s: %d %.600s", method, path, body, canary, r.Status, r.Body)
		}
	}
}

// TestFLSFlattenedKeys: a flattened field (OpenSearch flat_object) indexes
// every key's value under the field's own name, and OpenSearch answers a
// fields-API request for the field, or for any of its keys, with the whole
// object. A role excepting one key must not get that key's value through
// the field (fields API, query side channels, query_string over all fields).
func TestFLSFlattenedKeys(t *testing.T) {
	openSearchURL(t)
	backendLacks(t, "flat_object or flattened field type")
	const canary = "CANARY-FLATKEY-6b2e"
	f := startFLSLeakFixture(t, `{"mappings":{"properties":{"pub":{"type":"keyword"},"flat":{"type":"flat_object"}}}}`,
		[]string{"flat.secret"},
		`{"index":{"_id":"1"}}`, `{"pub":"p1","flat":{"ok":"fine","secret":"`+canary+`"}}`,
		`{"index":{"_id":"2"}}`, `{"pub":"p2","flat":{"ok":"fine","secret":"other"}}`)
	// Direct value leaks: OpenSearch fills fields with the whole object.
	for _, fields := range []string{`"flat"`, `"flat.ok"`, `"flat.*"`, `"fl*"`, `"*"`} {
		f.probe(t, "POST", "/_search", `{"_source":false,"fields":[`+fields+`]}`, canary, canary)
	}
	// Side channels: a query on the field matches any key's value; the
	// probe document is found only if the hidden key takes part.
	for _, q := range []string{
		`{"prefix":{"flat":"CANARY-FLATKEY"}}`,
		`{"term":{"flat":"` + canary + `"}}`,
		`{"query_string":{"query":"CANARY\\-FLATKEY*"}}`,
		`{"query_string":{"query":"CANARY\\-FLATKEY*","fields":["flat"]}}`,
	} {
		f.probe(t, "POST", "/_search", `{"_source":["pub"],"query":`+q+`}`, `"p1"`, `"p1"`, canary)
	}
	// _source keeps the visible key.
	c := f.p.client(nil)
	r := do(t, c, "GET", f.p.URL+"/"+f.index+"/_doc/1", "flsuser", f.su.Password, nil, nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"ok":"fine"`) || strings.Contains(r.Body, canary) {
		t.Errorf("GET _doc: want the visible key only: %d %s", r.Status, r.Body)
	}
}

// TestFLSURLSuggester: a term suggester given in the URL (suggest_field,
// suggest_text or q, suggest_mode) on a hidden field suggested the hidden
// field's terms; it is now checked like a suggester of the body.
func TestFLSURLSuggester(t *testing.T) {
	const token = "qzflssuggestq"
	f := startFLSLeakFixture(t, `{"mappings":{"properties":{"pub":{"type":"text"},"secret":{"type":"text"}}}}`,
		[]string{"secret"},
		`{"index":{"_id":"1"}}`, `{"pub":"hello","secret":"`+token+` amber"}`)
	for _, q := range []string{
		"suggest_field=secret&suggest_text=qzflssuggestx&suggest_mode=always",
		"suggest_field=secret&q=qzflssuggestx&suggest_mode=always&suggest_size=3",
		"suggest_field=secret&suggest_text=qzflssuggestx&suggest_mode=popular&q=pub:hello",
	} {
		f.probe(t, "GET", "/_search?"+q, "", token, token)
		f.probe(t, "POST", "/_search?"+q, `{"suggest":{"s":{"text":"hello","term":{"field":"pub"}}}}`, token, token)
	}
	// A suggester on a visible field still works.
	f.probe(t, "GET", "/_search?suggest_field=pub&suggest_text=helo&suggest_mode=always", "", "hello")
	c := f.p.client(nil)
	r := do(t, c, "GET", f.p.URL+"/"+f.index+"/_search?suggest_field=pub&suggest_text=helo&suggest_mode=always", "flsuser", f.su.Password, nil, nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"text":"hello"`) {
		t.Errorf("suggester on a visible field: %d %s", r.Status, r.Body)
	}
}

// TestFLSSearchPipelineRefused: a search pipeline runs in the cluster after
// the proxy (rename_field can put a hidden value under a visible name), so
// naming one is refused under FLS, as under DLS.
func TestFLSSearchPipelineRefused(t *testing.T) {
	f := startFLSLeakFixture(t, `{"mappings":{"properties":{"pub":{"type":"keyword"},"secret":{"type":"keyword"}}}}`,
		[]string{"secret"}, `{"index":{"_id":"1"}}`, `{"pub":"p","secret":"x"}`)
	c := f.p.client(nil)
	for _, path := range []string{"/_search?search_pipeline=any", "/_msearch?search_pipeline=any"} {
		body, ct := `{}`, "application/json"
		if strings.Contains(path, "_msearch") {
			body, ct = "{}\n{}\n", "application/x-ndjson"
		}
		r := do(t, c, "POST", f.p.URL+"/"+f.index+path, "flsuser", f.su.Password, strings.NewReader(body), map[string]string{"Content-Type": ct})
		if r.Status != 400 || !strings.Contains(r.Body, "search_pipeline") {
			t.Errorf("%s: want 400 naming search_pipeline, got %d %s", path, r.Status, r.Body)
		}
	}
}

// TestFLSDocvalueFieldsPatternNames: a docvalue_fields pattern reaching a
// hidden text field made the cluster fail the search naming the field
// ("set fielddata=true on [secretnote]"); patterns are now expanded to the
// visible fields, so hidden names never reach an answer.
func TestFLSDocvalueFieldsPatternNames(t *testing.T) {
	f := startFLSLeakFixture(t, `{"mappings":{"properties":{"pub":{"type":"keyword"},"secretnote":{"type":"text"}}}}`,
		[]string{"secretnote"}, `{"index":{"_id":"1"}}`, `{"pub":"p","secretnote":"x"}`)
	f.probe(t, "POST", "/_search", `{"docvalue_fields":["sec*"]}`, "[secretnote]", "secretnote")
	f.probe(t, "POST", "/_search", `{"docvalue_fields":[{"field":"s*","format":"use_field_mapping"}]}`, "[secretnote]", "secretnote")
	// The fields API fails on a format for a keyword field, naming it.
	f2 := startFLSLeakFixture(t, `{"mappings":{"properties":{"pub":{"type":"date"},"secretkw":{"type":"keyword"}}}}`,
		[]string{"secretkw"}, `{"index":{"_id":"1"}}`, `{"pub":"2024-01-01","secretkw":"x"}`)
	f2.probe(t, "POST", "/_search", `{"_source":false,"fields":[{"field":"*","format":"yyyy"}]}`, "[secretkw]", "secretkw")
}

// TestFLSURLDocvalueFieldsNames: the docvalue_fields URL parameter is
// moved into the body, so its patterns are expanded like the body's and
// the cluster's error never names a hidden field.
func TestFLSURLDocvalueFieldsNames(t *testing.T) {
	f := startFLSLeakFixture(t, `{"mappings":{"properties":{"pub":{"type":"keyword"},"secretnote":{"type":"text"},"num":{"type":"long"}}}}`,
		[]string{"secretnote", "num"}, `{"index":{"_id":"1"}}`, `{"pub":"p","secretnote":"x","num":4242424242}`)
	f.probe(t, "GET", "/_search?docvalue_fields=sec*", "", "[secretnote]", "secretnote")
	f.probe(t, "POST", "/_search?docvalue_fields=pub,sec*", `{"docvalue_fields":["p*"]}`, "[secretnote]", "secretnote")
	f.probe(t, "GET", "/_search?docvalue_fields=num,n*", "", "4242424242", "4242424242")
	// Visible fields still come back.
	r := do(t, f.p.client(nil), "GET", f.p.URL+"/"+f.index+"/_search?docvalue_fields=pub,p*", "flsuser", f.su.Password, nil, nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"pub":["p"`) {
		t.Errorf("docvalue_fields of a visible field: %d %s", r.Status, r.Body)
	}
}

// TestFLSCatCount: _cat/count works under FLS (its answer holds counts
// only; the search filter made every answer fail), and its q cannot count
// on a hidden field.
func TestFLSCatCount(t *testing.T) {
	f := startFLSLeakFixture(t, `{"mappings":{"properties":{"pub":{"type":"keyword"},"secret":{"type":"keyword"}}}}`,
		[]string{"secret"}, `{"index":{"_id":"1"}}`, `{"pub":"p","secret":"zq42"}`, `{"index":{"_id":"2"}}`, `{"pub":"p","secret":"other"}`)
	c := f.p.client(nil)
	for _, tc := range []struct{ query, user, want string }{
		{"?format=json", "flsuser", `"count":"2"`},
		{"?format=json&q=pub:p", "flsuser", `"count":"2"`},
		{"?format=json&q=secret:zq42", f.su.Name, `"count":"1"`},
		{"?format=json&q=secret:zq42", "flsuser", `"count":"0"`},
		{"?v", "flsuser", "count"},
	} {
		r := do(t, c, "GET", f.p.URL+"/_cat/count/"+f.index+tc.query, tc.user, f.su.Password, nil, nil)
		if r.Status != 200 || !strings.Contains(r.Body, tc.want) {
			t.Errorf("%s as %s: want 200 with %s, got %d %s", tc.query, tc.user, tc.want, r.Status, r.Body)
		}
	}
}

// TestFLSClusterPrivilegeDataReads: OpenSearch SQL, PPL and asynchronous
// search are cluster actions (granted by "manage") that read the indices
// their request names: the cluster runs them with full access, so a user
// with "manage" but FLS (or no read at all) on an index read its hidden
// fields, and any other index. They are now refused unless the user may
// read every index without DLS/FLS. (The test node has none of these
// plugins: the superuser's requests reach it and get "no handler found".)
func TestFLSClusterPrivilegeDataReads(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	o.Users += "manager:" + su.Password + "\n"
	o.UsersRoles += "r_manage_fls:manager\n"
	o.Roles = "r_manage_fls:\n  cluster: [manage]\n  indices:\n    - names: [\"e2e-flsleak-*\"]\n      privileges: [read]\n" +
		"      field_security:\n        grant: [\"*\"]\n        except: [\"secret\"]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	for _, rq := range []struct{ path, body string }{
		{"/_plugins/_sql", `{"query":"SELECT secret FROM e2e-flsleak-x"}`},
		{"/_opendistro/_sql", `{"query":"SELECT secret FROM e2e-flsleak-x"}`},
		{"/_plugins/_ppl", `{"query":"source=e2e-flsleak-x | fields secret"}`},
		{"/_plugins/_asynchronous_search?index=e2e-flsleak-x", `{"query":{"match_all":{}}}`},
		{"/_plugins/_transform/_preview", `{"transform":{"source_index":"e2e-flsleak-x","target_index":"t","page_size":1,"groups":[{"terms":{"source_field":"pub","target_field":"pub"}}],"aggregations":{"s":{"terms":{"field":"secret"}}}}}`},
	} {
		r := do(t, c, "POST", p.URL+rq.path, "manager", su.Password, strings.NewReader(rq.body), hj)
		if r.Status != 403 {
			t.Errorf("LEAK: %s as a manager with FLS: want 403, got %d %s", rq.path, r.Status, r.Body)
		}
		r = do(t, c, "POST", p.URL+rq.path, su.Name, su.Password, strings.NewReader(rq.body), hj)
		if r.Status == 403 {
			t.Errorf("%s as the superuser: refused: %s", rq.path, r.Body)
		}
	}
	// Jobs that would read the index later, with full access.
	for _, rq := range []struct{ path, body string }{
		{"/_plugins/_rollup/jobs/e2e-x", `{"rollup":{"source_index":"e2e-flsleak-x","target_index":"e2e-flsleak-out","enabled":true,"schedule":{"interval":{"period":1,"unit":"Minutes"}},"page_size":10,"dimensions":[{"terms":{"source_field":"secret"}}],"metrics":[]}}`},
		{"/_plugins/_transform/e2e-x", `{"transform":{"enabled":true,"schedule":{"interval":{"period":1,"unit":"Minutes"}},"source_index":"e2e-flsleak-x","target_index":"e2e-flsleak-out","page_size":1,"groups":[{"terms":{"source_field":"secret","target_field":"s"}}]}}`},
	} {
		r := do(t, c, "PUT", p.URL+rq.path, "manager", su.Password, strings.NewReader(rq.body), hj)
		if r.Status != 403 {
			t.Errorf("LEAK: PUT %s as a manager with FLS: want 403, got %d %s", rq.path, r.Status, r.Body)
		}
	}
}

// TestFLSDerivedFieldInObject: OpenSearch keeps a derived field whose name
// is dotted ("user.dz") in a "derived" section of its parent object's
// definition, not in the top-level "derived" section. The proxy's mapping
// parser saw only the top-level section, so the field passed for an
// unknown name granted by the role, and its script read the hidden field
// from _source for the fields API and aggregations. A derived field is
// now hidden wherever the mapping holds it.
func TestFLSDerivedFieldInObject(t *testing.T) {
	openSearchURL(t)
	backendLacks(t, "derived fields (OpenSearch 2.15+)")
	const canary = "CANARY-DERIVEDOBJ-4c1d"
	f := startFLSLeakFixture(t, `{"mappings":{"properties":{"pub":{"type":"keyword"},"secret":{"type":"keyword"},"user":{"properties":{"name":{"type":"keyword"}}}},`+
		`"derived":{"user.dz":{"type":"keyword","script":{"source":"emit(params._source.secret)"}}}}}`,
		[]string{"secret"},
		`{"index":{"_id":"1"}}`, `{"pub":"p1","secret":"`+canary+`","user":{"name":"n1"}}`)
	for _, fields := range []string{`"user.dz"`, `"user.*"`, `"*"`} {
		f.probe(t, "POST", "/_search", `{"_source":false,"fields":[`+fields+`]}`, canary, canary)
	}
	f.probe(t, "POST", "/_search", `{"size":0,"aggs":{"a":{"terms":{"field":"user.dz"}}}}`, canary, canary)
	// The mapping does not show the script reading the hidden field.
	f.probe(t, "GET", "/_mapping", "", "params._source.secret", "params._source.secret")
	f.probe(t, "GET", "/_mapping/field/user.dz", "", "params._source.secret", "params._source.secret")

	// A derived field of type object lists its sub-fields' types as strings
	// ({"properties":{"k":"keyword"}}): the mapping parser refused that
	// shape, and every request of the FLS user on the index failed.
	g := startFLSLeakFixture(t, `{"mappings":{"properties":{"pub":{"type":"keyword"},"secret":{"type":"keyword"}},`+
		`"derived":{"dobj":{"type":"object","properties":{"k":"keyword"},"script":{"source":"emit('{}')"}}}}}`,
		[]string{"secret"},
		`{"index":{"_id":"1"}}`, `{"pub":"p1","secret":"`+canary+`"}`)
	hj := map[string]string{"Content-Type": "application/json"}
	r := do(t, g.p.client(nil), "POST", g.p.URL+"/"+g.index+"/_search", "flsuser", g.su.Password, strings.NewReader(`{"fields":["dobj.*","pub"]}`), hj)
	if r.Status != 200 || !strings.Contains(r.Body, `"p1"`) || strings.Contains(r.Body, canary) {
		t.Errorf("search on an index with a derived object field: want 200 with the visible document only: %d %.600s", r.Status, r.Body)
	}
}
