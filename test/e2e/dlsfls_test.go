package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Canaries seeded into what restricted users must never see. Any response
// containing one, in any encoding, is a leak.
const (
	canaryHiddenDoc   = "CANARY-DLSDOC-4b1d"    // only in documents outside the role query
	canarySecretField = "CANARY-FLSSECRET-9e0c" // only in the hidden field "secret"
	canarySSN         = "CANARY-FLSSSN-2f7a"    // only in customer.ssn
)

// dlsFixture is one index with documents of two tenants and hidden fields,
// and the roles checklist §19 E–F is about.
type dlsFixture struct {
	p     *proxy
	c     *http.Client
	index string
	pass  string
	su    string // the superuser's name (same password)
}

const dlsMapping = `{"mappings":{"properties":{
  "tenant":{"type":"keyword"},
  "owner":{"type":"keyword"},
  "message":{"type":"text","fields":{"keyword":{"type":"keyword"}}},
  "secret":{"type":"text","fields":{"keyword":{"type":"keyword"}},"copy_to":"all_text"},
  "all_text":{"type":"text"},
  "salary":{"type":"long"},
  "customer":{"properties":{"name":{"type":"keyword"},"ssn":{"type":"keyword"}}},
  "ssn_alias":{"type":"alias","path":"customer.ssn"}}}}`

func startDLSFixture(t *testing.T) *dlsFixture {
	t.Helper()
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	index := fmt.Sprintf("e2e-dlsfls-%d", time.Now().UnixNano())
	users := []string{"dls", "fls", "both", "union", "lifted", "split", "none", "tmpl", "writer"}
	for _, u := range users {
		o.Users += u + ":" + su.Password + "\n"
	}
	o.UsersRoles += "r_dls:dls,union,lifted,split\nr_fls:fls,split\nr_both:both\nr_initech:union\nr_plain:lifted\nr_none:none\nr_tmpl:tmpl\nr_writer:writer\n"
	role := func(name, extra string) string {
		return name + ":\n  indices:\n    - names: [\"" + index + "\"]\n      privileges: [read, view_index_metadata]\n" + extra
	}
	o.Roles = role("r_dls", "      query: '{\"term\":{\"tenant\":\"acme\"}}'\n") +
		role("r_fls", "      field_security:\n        grant: [\"tenant\", \"owner\", \"message\", \"customer.*\"]\n        except: [\"customer.ssn\"]\n") +
		role("r_both", "      query: '{\"term\":{\"tenant\":\"acme\"}}'\n      field_security:\n        grant: [\"tenant\", \"message\"]\n") +
		role("r_initech", "      query: '{\"term\":{\"tenant\":\"initech\"}}'\n") +
		role("r_plain", "") +
		role("r_none", "      field_security:\n        grant: []\n") +
		role("r_tmpl", "      query: '{\"template\":{\"source\":{\"term\":{\"owner\":\"{{_user.username}}\"}}}}'\n") +
		"r_writer:\n  indices:\n    - names: [\"" + index + "\"]\n      privileges: [read, write]\n      query: '{\"term\":{\"tenant\":\"acme\"}}'\n"
	p := startProxy(t, o)
	p.waitReady()
	f := &dlsFixture{p: p, c: p.client(nil), index: index, pass: su.Password, su: su.Name}
	hj := map[string]string{"Content-Type": "application/json"}
	if r := do(t, f.c, "PUT", p.URL+"/"+index, su.Name, su.Password, strings.NewReader(dlsMapping), hj); r.Status != 200 {
		t.Fatalf("create index: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, f.c, "DELETE", p.URL+"/"+index, su.Name, su.Password, nil, nil) })
	docs := []string{
		`{"index":{"_id":"a1"}}`, `{"tenant":"acme","owner":"tmpl","message":"hello acme one","secret":"` + canarySecretField + ` amber","salary":100,"customer":{"name":"ann","ssn":"` + canarySSN + `"}}`,
		`{"index":{"_id":"a2"}}`, `{"tenant":"acme","owner":"other","message":"hello acme two","secret":"` + canarySecretField + `","salary":200,"customer":{"name":"bob","ssn":"` + canarySSN + `"}}`,
		`{"index":{"_id":"g1"}}`, `{"tenant":"globex","owner":"tmpl","message":"hello ` + canaryHiddenDoc + `","salary":987654321,"customer":{"name":"` + canaryHiddenDoc + `"}}`,
		`{"index":{"_id":"i1"}}`, `{"tenant":"initech","owner":"x","message":"hello initech","salary":5}`,
	}
	r := do(t, f.c, "POST", p.URL+"/"+index+"/_bulk?refresh=true", su.Name, su.Password, strings.NewReader(strings.Join(docs, "\n")+"\n"), map[string]string{"Content-Type": "application/x-ndjson"})
	if r.Status != 200 || strings.Contains(r.Body, `"errors":true`) {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	// Control: the superuser sees every canary, so they are really there.
	r = do(t, f.c, "POST", p.URL+"/"+index+"/_search", su.Name, su.Password, strings.NewReader(`{"size":10}`), hj)
	for _, c := range []string{canaryHiddenDoc, canarySecretField, canarySSN} {
		if !strings.Contains(r.Body, c) {
			t.Fatalf("fixture: superuser search lacks %s: %s", c, r.Body)
		}
	}
	return f
}

// req sends a request as user and checks that none of the canaries appears
// in the response, neither as sent by default nor gzip-compressed.
func (f *dlsFixture) req(t *testing.T, user, method, path, body string, forbidden ...string) result {
	t.Helper()
	hdr := map[string]string{"Content-Type": "application/json"}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := do(t, f.c, method, f.p.URL+path, user, f.pass, rd, hdr)
	assertNoCanary(t, user+" "+method+" "+path, r.Body+fmt.Sprint(r.Header), forbidden)
	// The same request asking for gzip: the raw and the decoded bytes.
	hdr["Accept-Encoding"] = "gzip"
	if body != "" {
		rd = strings.NewReader(body)
	}
	gz := do(t, f.c, method, f.p.URL+path, user, f.pass, rd, hdr)
	decoded := gz.Body
	if gz.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader([]byte(gz.Body)))
		if err != nil {
			t.Fatalf("%s %s: bad gzip: %v", method, path, err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s %s: bad gzip: %v", method, path, err)
		}
		decoded = string(b)
	}
	assertNoCanary(t, user+" "+method+" "+path+" (gzip)", gz.Body+decoded, forbidden)
	return r
}

func assertNoCanary(t *testing.T, what, s string, canaries []string) {
	t.Helper()
	for _, c := range canaries {
		if strings.Contains(s, c) {
			t.Errorf("LEAK: %s: response contains %s: %.600s", what, c, s)
		}
	}
}

// hitIDs returns the _id of every hit of a search response, sorted as
// returned.
func hitIDs(t *testing.T, body string) []string {
	t.Helper()
	var sr struct {
		Hits struct {
			Total struct{ Value int } `json:"total"`
			Hits  []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal([]byte(body), &sr); err != nil {
		t.Fatalf("not a search response: %v: %.300s", err, body)
	}
	var ids []string
	for _, h := range sr.Hits.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func TestDocumentLevelSecurity(t *testing.T) {
	f := startDLSFixture(t)
	ix := "/" + f.index
	hidden := []string{canaryHiddenDoc}

	t.Run("search shows only the role query's documents", func(t *testing.T) {
		r := f.req(t, "dls", "POST", ix+"/_search", `{"size":10,"sort":["_doc"]}`, hidden...)
		if got := strings.Join(hitIDs(t, r.Body), ","); r.Status != 200 || got != "a1,a2" {
			t.Fatalf("want hits a1,a2; got %d %q %s", r.Status, got, r.Body)
		}
		if !strings.Contains(r.Body, `"value":2`) {
			t.Errorf("hits.total must count only visible documents: %s", r.Body)
		}
	})
	t.Run("URL q parameter honours DLS", func(t *testing.T) {
		r := f.req(t, "dls", "GET", ix+"/_search?q=tenant:globex", "", hidden...)
		if ids := hitIDs(t, r.Body); r.Status != 200 || len(ids) != 0 {
			t.Fatalf("q=tenant:globex must find nothing: %d %s", r.Status, r.Body)
		}
	})
	t.Run("count and aggregations count only visible documents", func(t *testing.T) {
		r := f.req(t, "dls", "POST", ix+"/_count", `{"query":{"match_all":{}}}`, hidden...)
		if r.Status != 200 || !strings.Contains(r.Body, `"count":2`) {
			t.Fatalf("count: %d %s", r.Status, r.Body)
		}
		r = f.req(t, "dls", "POST", ix+"/_search", `{"size":0,"aggs":{"t":{"terms":{"field":"tenant"}},"m":{"max":{"field":"salary"}}}}`, hidden...)
		if r.Status != 200 || strings.Contains(r.Body, "globex") || strings.Contains(r.Body, "987654321") || !strings.Contains(r.Body, `"key":"acme"`) {
			t.Fatalf("aggs: %d %s", r.Status, r.Body)
		}
	})
	t.Run("a hidden document answers as a missing one", func(t *testing.T) {
		r := f.req(t, "dls", "GET", ix+"/_doc/g1", "", hidden...)
		if r.Status != 404 || !strings.Contains(r.Body, `"found":false`) {
			t.Fatalf("GET hidden: %d %s", r.Status, r.Body)
		}
		r = f.req(t, "dls", "GET", ix+"/_doc/a1", "", hidden...)
		if r.Status != 200 || !strings.Contains(r.Body, `"found":true`) {
			t.Fatalf("GET visible: %d %s", r.Status, r.Body)
		}
		r = f.req(t, "dls", "GET", ix+"/_source/g1", "", hidden...)
		if r.Status != 404 {
			t.Fatalf("GET _source hidden: %d %s", r.Status, r.Body)
		}
		// Explanations would print the role query: refused under DLS,
		// for hidden and visible documents alike.
		for _, id := range []string{"g1", "a1"} {
			r = f.req(t, "dls", "POST", ix+"/_explain/"+id, `{"query":{"match_all":{}}}`, hidden...)
			if r.Status != 400 || !strings.Contains(r.Body, "explanations are not supported") {
				t.Fatalf("explain %s: %d %s", id, r.Status, r.Body)
			}
		}
		r = f.req(t, "dls", "POST", ix+"/_mget", `{"ids":["a1","g1"]}`, hidden...)
		if r.Status != 200 || strings.Count(r.Body, `"found":true`) != 1 || strings.Count(r.Body, `"found":false`) != 1 {
			t.Fatalf("mget: %d %s", r.Status, r.Body)
		}
	})
	t.Run("several roles: OR of queries; a role without query lifts DLS", func(t *testing.T) {
		r := f.req(t, "union", "POST", ix+"/_search", `{"size":10,"sort":["_doc"]}`, hidden...)
		if got := strings.Join(hitIDs(t, r.Body), ","); got != "a1,a2,i1" {
			t.Fatalf("union: want a1,a2,i1, got %q %s", got, r.Body)
		}
		r = f.req(t, "lifted", "POST", ix+"/_search", `{"size":10,"sort":["_doc"]}`)
		if got := strings.Join(hitIDs(t, r.Body), ","); got != "a1,a2,g1,i1" {
			t.Fatalf("lifted: want all four, got %q %s", got, r.Body)
		}
	})
	t.Run("templated role query renders per user", func(t *testing.T) {
		r := f.req(t, "tmpl", "POST", ix+"/_search", `{"size":10,"sort":["_doc"]}`)
		if got := strings.Join(hitIDs(t, r.Body), ","); got != "a1,g1" {
			t.Fatalf("template: want a1,g1 (owner=tmpl), got %q %s", got, r.Body)
		}
	})
	t.Run("side channels", func(t *testing.T) {
		for name, body := range map[string]string{
			"global agg":          `{"size":0,"aggs":{"g":{"global":{},"aggs":{"th":{"top_hits":{"size":20}}}}}}`,
			"has_child-free bool": `{"size":10,"query":{"bool":{"should":[{"term":{"tenant":"globex"}}],"minimum_should_match":1}}}`,
			"suggest":             `{"size":0,"suggest":{"s":{"text":"CANARY","term":{"field":"message"}}}}`,
			"min_doc_count 0":     `{"size":0,"aggs":{"t":{"terms":{"field":"customer.name","min_doc_count":0,"size":50}}}}`,
			"post_filter":         `{"size":10,"post_filter":{"term":{"tenant":"globex"}}}`,
			"significant_terms":   `{"size":0,"aggs":{"s":{"significant_terms":{"field":"customer.name","min_doc_count":1}}}}`,
		} {
			r := f.req(t, "dls", "POST", ix+"/_search", body, hidden...)
			if r.Status == 200 && strings.Contains(r.Body, `"_id":"g1"`) {
				t.Errorf("%s: hidden document returned: %s", name, r.Body)
			}
		}
		r := f.req(t, "dls", "POST", ix+"/_search", `{"profile":true}`, hidden...)
		if r.Status != 400 {
			t.Errorf("profile under DLS must be refused with 400: %d %s", r.Status, r.Body)
		}
	})
	t.Run("writes", func(t *testing.T) {
		r := f.req(t, "writer", "POST", ix+"/_update/a1", `{"doc":{"message":"x"}}`, hidden...)
		if r.Status != 400 || !strings.Contains(r.Body, "Can't execute an update request if field or document level security is enabled") {
			t.Fatalf("update under DLS: %d %s", r.Status, r.Body)
		}
		r = f.req(t, "writer", "PUT", ix+"/_doc/w1?refresh=true", `{"tenant":"acme","message":"mine"}`, hidden...)
		if r.Status != 201 {
			t.Fatalf("a write matching the role query is allowed: %d %s", r.Status, r.Body)
		}
		r = f.req(t, "writer", "PUT", ix+"/_doc/w2?refresh=true", `{"tenant":"globex","message":"planted"}`, hidden...)
		if r.Status != 403 {
			t.Fatalf("write-side DLS: a document outside the role query must be refused: %d %s", r.Status, r.Body)
		}
		// The same rules item by item in _bulk: a matching document is
		// written, a non-matching one, an update and a delete of a hidden
		// document get per-item refusals.
		nd := map[string]string{"Content-Type": "application/x-ndjson"}
		bulk := `{"index":{"_id":"w3"}}` + "\n" + `{"tenant":"acme"}` + "\n" +
			`{"index":{"_id":"w4"}}` + "\n" + `{"tenant":"globex","message":"PLANTED-BULK"}` + "\n" +
			`{"update":{"_id":"a1"}}` + "\n" + `{"doc":{"message":"x"}}` + "\n" +
			`{"delete":{"_id":"g1"}}` + "\n"
		br := do(t, f.c, "POST", f.p.URL+ix+"/_bulk?refresh=true", "writer", f.pass, strings.NewReader(bulk), nd)
		var items struct {
			Items []map[string]struct {
				Status int `json:"status"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(br.Body), &items); err != nil || len(items.Items) != 4 {
			t.Fatalf("bulk under DLS: %d %s", br.Status, br.Body)
		}
		want := []int{201, 403, 400, 403}
		for i, it := range items.Items {
			for _, res := range it {
				if res.Status != want[i] {
					t.Errorf("bulk item %d: status %d, want %d: %s", i, res.Status, want[i], br.Body)
				}
			}
		}
		r = f.req(t, "writer", "DELETE", ix+"/_doc/g1", "", hidden...)
		if r.Status != 403 {
			t.Fatalf("deleting a hidden document must be refused: %d %s", r.Status, r.Body)
		}
		r = f.req(t, "dls", "POST", ix+"/_field_caps?fields=*", `{"index_filter":{"term":{"tenant":"globex"}}}`, hidden...)
		if r.Status != 403 {
			t.Fatalf("an index_filter under DLS must be refused (hidden documents would decide): %d %s", r.Status, r.Body)
		}
		r = f.req(t, "lifted", "POST", ix+"/_search", `{"query":{"ids":{"values":["w4"]}}}`)
		if len(hitIDs(t, r.Body)) != 0 {
			t.Fatalf("the refused bulk item must not be written: %s", r.Body)
		}
		r = f.req(t, "writer", "POST", ix+"/_delete_by_query?refresh=true", `{"query":{"match_all":{}}}`, hidden...)
		if r.Status == 200 && !strings.Contains(r.Body, `"deleted":4`) {
			t.Fatalf("delete_by_query under DLS may only delete visible documents (a1,a2,w1,w3): %d %s", r.Status, r.Body)
		}
		r = f.req(t, "lifted", "GET", ix+"/_doc/g1", "")
		if r.Status != 200 {
			t.Fatalf("the hidden document must survive the DLS user's delete_by_query: %d %s", r.Status, r.Body)
		}
	})
}

func TestFieldLevelSecurity(t *testing.T) {
	f := startDLSFixture(t)
	ix := "/" + f.index
	hiddenFields := []string{canarySecretField, canarySSN}

	t.Run("source shows only granted fields", func(t *testing.T) {
		r := f.req(t, "fls", "POST", ix+"/_search", `{"size":10,"sort":["_doc"]}`, hiddenFields...)
		if r.Status != 200 || !strings.Contains(r.Body, `"tenant":"acme"`) || !strings.Contains(r.Body, `"name":"ann"`) || strings.Contains(r.Body, `"salary"`) {
			t.Fatalf("search: %d %s", r.Status, r.Body)
		}
		r = f.req(t, "fls", "GET", ix+"/_doc/a1", "", hiddenFields...)
		if r.Status != 200 || !strings.Contains(r.Body, `"tenant":"acme"`) || strings.Contains(r.Body, "salary") {
			t.Fatalf("get: %d %s", r.Status, r.Body)
		}
		f.req(t, "fls", "GET", ix+"/_source/a1", "", hiddenFields...)
		f.req(t, "fls", "POST", "/_mget", `{"docs":[{"_index":"`+f.index+`","_id":"a1","_source":["secret","customer.ssn"]},{"_index":"`+f.index+`","_id":"a2","stored_fields":["secret"]}]}`, hiddenFields...)
		f.req(t, "fls", "POST", ix+"/_search", `{"size":10,"fields":["*"],"docvalue_fields":["secret.keyword","customer.ssn","ssn_alias"],"_source":["secret*","customer*"]}`, hiddenFields...)
		for _, path := range []string{ix + "/_search", ix + "/_search?typed_keys=true"} {
			r := f.req(t, "fls", "POST", path, `{"size":0,"aggs":{"th":{"top_hits":{"size":5}},"t":{"terms":{"field":"tenant"},"aggs":{"inner":{"top_hits":{"size":3,"_source":["secret","customer.*"]}}}}}}`, hiddenFields...)
			if r.Status != 200 || !strings.Contains(r.Body, `"tenant"`) {
				t.Errorf("top_hits %s: %d %s", path, r.Status, r.Body)
			}
		}
		r = f.req(t, "fls", "POST", ix+"/_search", `{"size":10,"collapse":{"field":"tenant","inner_hits":{"name":"same","size":3}}}`, hiddenFields...)
		if r.Status != 200 || !strings.Contains(r.Body, `"same"`) {
			t.Errorf("collapse inner_hits: %d %s", r.Status, r.Body)
		}
		r = f.req(t, "fls", "POST", "/_msearch", "{\"index\":\""+f.index+"\"}\n{\"size\":5}\n{\"index\":\""+f.index+"\"}\n{\"query\":{\"match\":{\"secret\":\"amber\"}}}\n", hiddenFields...)
		if r.Status != 200 || strings.Count(r.Body, `"status":200`) != 2 {
			t.Errorf("msearch: %d %s", r.Status, r.Body)
		}
	})
	t.Run("hidden fields behave as missing in queries, aggregations, sort and highlight", func(t *testing.T) {
		for name, body := range map[string]string{
			"match":    `{"query":{"match":{"secret":"amber"}}}`,
			"exists":   `{"query":{"exists":{"field":"secret"}}}`,
			"copy_to":  `{"query":{"match":{"all_text":"amber"}}}`,
			"alias":    `{"query":{"term":{"ssn_alias":"` + canarySSN + `"}}}`,
			"multi":    `{"query":{"term":{"secret.keyword":"` + canarySecretField + `"}}}`,
			"qs":       `{"query":{"query_string":{"query":"amber"}}}`,
			"qs field": `{"query":{"query_string":{"query":"secret:amber"}}}`,
			"range":    `{"query":{"range":{"salary":{"gte":150}}}}`,
		} {
			r := f.req(t, "fls", "POST", ix+"/_search", body, hiddenFields...)
			if r.Status == 200 && len(hitIDs(t, r.Body)) != 0 {
				t.Errorf("%s: a query on a hidden field must match nothing: %s", name, r.Body)
			}
		}
		r := f.req(t, "fls", "POST", ix+"/_search", `{"size":0,"aggs":{"s":{"terms":{"field":"secret.keyword"}},"m":{"max":{"field":"salary"}},"a":{"terms":{"field":"ssn_alias"}}}}`, hiddenFields...)
		if r.Status == 200 && (strings.Contains(r.Body, `"value":200`) || strings.Contains(r.Body, `"doc_count":1`)) {
			t.Errorf("aggregations on hidden fields must be empty: %s", r.Body)
		}
		f.req(t, "fls", "POST", ix+"/_search", `{"query":{"match_all":{}},"highlight":{"require_field_match":false,"fields":{"secret":{"highlight_query":{"match":{"secret":"amber"}}},"*":{}}}}`, hiddenFields...)
		f.req(t, "fls", "POST", ix+"/_search", `{"sort":[{"salary":"desc"}],"size":10}`, "987654321", `"200"`)
	})
	t.Run("mappings and field capabilities omit hidden fields", func(t *testing.T) {
		r := f.req(t, "fls", "POST", ix+"/_field_caps?fields=*", `{"index_filter":{"term":{"secret.keyword":"`+canarySecretField+`"}}}`, hiddenFields...)
		if r.Status == 200 && strings.Contains(r.Body, f.index) {
			t.Errorf("an index_filter on a hidden field must match nothing: %s", r.Body)
		}
		for _, path := range []string{ix + "/_mapping", ix, ix + "/_mapping/field/*", ix + "/_field_caps?fields=*"} {
			r := f.req(t, "fls", "GET", path, "", hiddenFields...)
			if r.Status != 200 || strings.Contains(r.Body, `"secret"`) || strings.Contains(r.Body, `salary`) || strings.Contains(r.Body, `"ssn"`) {
				t.Errorf("%s: %d %s", path, r.Status, r.Body)
			}
		}
	})
	t.Run("grant [] leaves metadata only", func(t *testing.T) {
		r := f.req(t, "none", "GET", ix+"/_doc/a1", "", hiddenFields...)
		if r.Status != 200 || strings.Contains(r.Body, "tenant") || !strings.Contains(r.Body, `"_id":"a1"`) {
			t.Fatalf("grant []: %d %s", r.Status, r.Body)
		}
	})
	t.Run("DLS and FLS together", func(t *testing.T) {
		r := f.req(t, "both", "POST", ix+"/_search", `{"size":10}`, append(hiddenFields, canaryHiddenDoc)...)
		if got := len(hitIDs(t, r.Body)); r.Status != 200 || got != 2 || strings.Contains(r.Body, "customer") {
			t.Fatalf("both: %d %s", r.Status, r.Body)
		}
	})
	t.Run("a DLS-only role plus an FLS-only role give all documents and all fields", func(t *testing.T) {
		r := f.req(t, "split", "POST", ix+"/_search", `{"size":10}`)
		if len(hitIDs(t, r.Body)) != 4 || !strings.Contains(r.Body, canarySecretField) {
			t.Fatalf("split roles: %d %s", r.Status, r.Body)
		}
	})
	t.Run("response formats the filter cannot read are refused", func(t *testing.T) {
		r := f.req(t, "fls", "GET", ix+"/_search?format=yaml", "", hiddenFields...)
		if r.Status < 400 {
			t.Errorf("format=yaml: %d %s", r.Status, r.Body)
		}
	})
	t.Run("filter_path is applied after the filter", func(t *testing.T) {
		// The filter needs each hit's _index, which this filter_path
		// removes: the proxy applies it to the filtered answer.
		r := f.req(t, "fls", "GET", ix+"/_search?filter_path=hits.hits._source", "", hiddenFields...)
		if r.Status != 200 || !strings.HasPrefix(r.Body, `{"hits":{"hits":[{"_source":{`) || strings.Contains(r.Body, `"_index"`) {
			t.Errorf("filter_path under FLS: %d %s", r.Status, r.Body)
		}
	})
}
