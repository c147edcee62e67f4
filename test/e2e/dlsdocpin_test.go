package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// canaryPinned lives only in versions of documents the DLS role hides.
const canaryPinned = "CANARY-DLSPIN-6a3c"

// dlsPinFixture is an index with four shards and no periodic refresh, and
// two documents that a search and a document read do not see alike:
//
//   - "dup" exists twice: routed with a custom routing onto one shard
//     (visible), and with the default routing (its _id) onto another
//     (hidden). A search for the id finds the visible one; a GET without
//     routing reads the hidden one.
//   - "rt" was visible when the index was last refreshed, then rewritten
//     as a hidden document that no refresh has published yet: a search
//     finds the old version, a real-time GET reads the new one.
type dlsPinFixture struct {
	p       *proxy
	c       *http.Client
	index   string
	pass    string
	su      string
	routing string // the custom routing of the visible "dup"
}

func startDLSPinFixture(t *testing.T) *dlsPinFixture {
	t.Helper()
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	index := fmt.Sprintf("e2e-dlspin-%d", time.Now().UnixNano())
	o.Users += "pinreader:" + su.Password + "\npinwriter:" + su.Password + "\n"
	o.UsersRoles += "r_pinreader:pinreader\nr_pinwriter:pinwriter\n"
	o.Roles = "r_pinreader:\n  indices:\n    - names: [\"" + index + "\", \"" + index + "-routed\"]\n      privileges: [read, view_index_metadata]\n      query: '{\"term\":{\"tenant\":\"acme\"}}'\n" +
		"r_pinwriter:\n  indices:\n    - names: [\"" + index + "\", \"" + index + "-new\", \"" + index + "-routed\"]\n      privileges: [read, write, create_index]\n      query: '{\"term\":{\"tenant\":\"acme\"}}'\n"
	p := startProxy(t, o)
	p.waitReady()
	f := &dlsPinFixture{p: p, c: p.client(nil), index: index, pass: su.Password, su: su.Name}
	hj := map[string]string{"Content-Type": "application/json"}
	mustOK := func(method, path, body string) result {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		r := do(t, f.c, method, p.URL+path, su.Name, su.Password, rd, hj)
		if r.Status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
		return r
	}
	mustOK("PUT", "/"+index, `{"settings":{"number_of_shards":4,"number_of_replicas":0,"refresh_interval":"-1"},
	  "mappings":{"properties":{"tenant":{"type":"keyword"},"message":{"type":"text"}}}}`)
	t.Cleanup(func() { do(t, f.c, "DELETE", p.URL+"/"+index, su.Name, su.Password, nil, nil) })

	// A routing that puts "dup" on another shard than its default routing.
	shardOf := func(routing string) string {
		r := do(t, f.c, "GET", os_+"/"+index+"/_search_shards?routing="+routing, "", "", nil, nil)
		if r.Status != 200 {
			t.Fatalf("_search_shards: %d %s", r.Status, r.Body)
		}
		i := strings.Index(r.Body, `"shard":`)
		if i < 0 {
			t.Fatalf("_search_shards: no shard: %s", r.Body)
		}
		return r.Body[i : i+9]
	}
	def := shardOf("dup")
	for i := 0; i < 64 && f.routing == ""; i++ {
		if rt := fmt.Sprintf("r%d", i); shardOf(rt) != def {
			f.routing = rt
		}
	}
	if f.routing == "" {
		t.Fatal("no routing value lands on another shard")
	}
	mustOK("PUT", "/"+index+"/_doc/dup?routing="+f.routing, `{"tenant":"acme","message":"VISIBLE-DUP routed"}`)
	mustOK("PUT", "/"+index+"/_doc/dup", `{"tenant":"globex","message":"`+canaryPinned+` default routed"}`)
	mustOK("PUT", "/"+index+"/_doc/rt", `{"tenant":"acme","message":"VISIBLE-RT v1"}`)
	mustOK("PUT", "/"+index+"/_doc/ok", `{"tenant":"acme","message":"VISIBLE-OK"}`)
	mustOK("POST", "/"+index+"/_refresh", "")
	mustOK("PUT", "/"+index+"/_doc/rt", `{"tenant":"globex","message":"`+canaryPinned+` unrefreshed v2"}`)

	// Controls: the cluster really serves the hidden versions to a GET.
	for _, path := range []string{"/_doc/dup", "/_doc/rt"} {
		if r := mustOK("GET", "/"+index+path, ""); !strings.Contains(r.Body, canaryPinned) {
			t.Fatalf("fixture: superuser GET %s lacks the canary: %s", path, r.Body)
		}
	}
	if r := mustOK("POST", "/"+index+"/_search", `{"query":{"ids":{"values":["rt"]}}}`); strings.Contains(r.Body, canaryPinned) {
		t.Fatalf("fixture: the hidden version of rt is searchable already: %s", r.Body)
	}
	return f
}

// TestDLSDocumentReadsReadTheCheckedDocument: a document read under DLS
// returns exactly the document the visibility check found visible, not a
// hidden document with the same _id on another shard, nor a hidden version
// of it that no refresh has published yet.
func TestDLSDocumentReadsReadTheCheckedDocument(t *testing.T) {
	f := startDLSPinFixture(t)
	hj := map[string]string{"Content-Type": "application/json"}
	ix := "/" + f.index
	probes := []struct{ method, path, body string }{
		{"GET", ix + "/_doc/dup", ""},
		{"GET", ix + "/_source/dup", ""},
		{"GET", ix + "/_doc/rt", ""},
		{"GET", ix + "/_source/rt", ""},
		{"GET", ix + "/_doc/rt?realtime=true", ""},
		{"GET", ix + "/_source/rt?realtime=true", ""},
		{"POST", ix + "/_mget", `{"ids":["dup","rt"]}`},
		{"POST", "/_mget", `{"docs":[{"_index":"` + f.index + `","_id":"dup","routing":"` + f.routing + `"},{"_index":"` + f.index + `","_id":"dup"},{"_index":"` + f.index + `","_id":"rt"}]}`},
		{"POST", ix + "/_mget?realtime=true", `{"docs":[{"_id":"rt"},{"_id":"dup"}]}`},
		{"GET", ix + "/_explain/dup?_source=true", ""},
		{"POST", ix + "/_explain/dup?_source=true", `{"query":{"match_all":{}}}`},
	}
	for _, pr := range probes {
		var rd io.Reader
		if pr.body != "" {
			rd = strings.NewReader(pr.body)
		}
		r := do(t, f.c, pr.method, f.p.URL+pr.path, "pinreader", f.pass, rd, hj)
		assertNoCanary(t, "pinreader "+pr.method+" "+pr.path+" "+pr.body, r.Body, []string{canaryPinned})
	}
	// The visible documents are still served.
	for path, want := range map[string]string{
		ix + "/_doc/dup?routing=" + f.routing:    "VISIBLE-DUP",
		ix + "/_source/dup?routing=" + f.routing: "VISIBLE-DUP",
		ix + "/_doc/rt":                          "VISIBLE-RT",
		ix + "/_source/rt":                       "VISIBLE-RT",
	} {
		r := do(t, f.c, "GET", f.p.URL+path, "pinreader", f.pass, nil, nil)
		if r.Status != 200 || !strings.Contains(r.Body, want) {
			t.Errorf("GET %s: want %s: %d %s", path, want, r.Status, r.Body)
		}
	}
	r := do(t, f.c, "POST", f.p.URL+"/_mget", "pinreader", f.pass, strings.NewReader(`{"docs":[{"_index":"`+f.index+`","_id":"dup","routing":"`+f.routing+`"},{"_index":"`+f.index+`","_id":"rt"}]}`), hj)
	if r.Status != 200 || !strings.Contains(r.Body, "VISIBLE-DUP") || !strings.Contains(r.Body, "VISIBLE-RT") {
		t.Errorf("_mget of the visible documents: %d %s", r.Status, r.Body)
	}
}

// TestDLSDeleteTargetsTheCheckedDocument: a delete under DLS cannot remove
// a hidden document that shares its _id with a visible one on another
// shard, nor a hidden version written since the last refresh.
func TestDLSDeleteTargetsTheCheckedDocument(t *testing.T) {
	f := startDLSPinFixture(t)
	hj := map[string]string{"Content-Type": "application/json", "Accept": "application/json"}
	ix := "/" + f.index
	do(t, f.c, "DELETE", f.p.URL+ix+"/_doc/dup", "pinwriter", f.pass, nil, nil)
	do(t, f.c, "POST", f.p.URL+ix+"/_bulk", "pinwriter", f.pass, strings.NewReader(`{"delete":{"_id":"dup"}}`+"\n"), map[string]string{"Content-Type": "application/x-ndjson"})
	r := do(t, f.c, "GET", f.p.URL+ix+"/_doc/dup", f.su, f.pass, nil, hj)
	if r.Status != 200 || !strings.Contains(r.Body, canaryPinned) {
		t.Errorf("the hidden default-routed dup was deleted through DLS: %d %s", r.Status, r.Body)
	}
	do(t, f.c, "DELETE", f.p.URL+ix+"/_doc/rt", "pinwriter", f.pass, nil, nil)
	do(t, f.c, "POST", f.p.URL+ix+"/_bulk", "pinwriter", f.pass, strings.NewReader(`{"delete":{"_id":"rt"}}`+"\n"), map[string]string{"Content-Type": "application/x-ndjson"})
	do(t, f.c, "DELETE", f.p.URL+ix+"/_doc/rt?if_seq_no=1&if_primary_term=1", "pinwriter", f.pass, nil, nil)
	r = do(t, f.c, "GET", f.p.URL+ix+"/_doc/rt", f.su, f.pass, nil, hj)
	if r.Status != 200 || !strings.Contains(r.Body, canaryPinned) {
		t.Errorf("the hidden unrefreshed version of rt was deleted through DLS: %d %s", r.Status, r.Body)
	}
	// Visible documents can still be deleted, one by one and in bulk.
	r = do(t, f.c, "DELETE", f.p.URL+ix+"/_doc/dup?routing="+f.routing, "pinwriter", f.pass, nil, hj)
	if r.Status != 200 || !strings.Contains(r.Body, `"deleted"`) {
		t.Errorf("deleting the visible routed dup: %d %s", r.Status, r.Body)
	}
	r = do(t, f.c, "POST", f.p.URL+ix+"/_bulk", "pinwriter", f.pass, strings.NewReader(`{"delete":{"_id":"ok"}}`+"\n"), map[string]string{"Content-Type": "application/x-ndjson"})
	if r.Status != 200 || !strings.Contains(r.Body, `"deleted"`) {
		t.Errorf("bulk-deleting the visible ok: %d %s", r.Status, r.Body)
	}
}

// TestDLSIndexDoesNotReplaceHiddenDocuments: an index operation under DLS
// (write-side DLS on) cannot overwrite a document the writer cannot see,
// which would destroy it and reveal that it existed ("result":"updated"):
// neither the hidden copy of an _id on another shard nor a hidden version
// written since the last refresh.
func TestDLSIndexDoesNotReplaceHiddenDocuments(t *testing.T) {
	f := startDLSPinFixture(t)
	hj := map[string]string{"Content-Type": "application/json"}
	nd := map[string]string{"Content-Type": "application/x-ndjson"}
	ix := "/" + f.index
	doc := `{"tenant":"acme","message":"qzplantedq"}`
	for _, pr := range []struct{ method, path, body string }{
		{"PUT", ix + "/_doc/dup", doc},
		{"POST", ix + "/_doc/dup", doc},
		{"PUT", ix + "/_doc/rt", doc},
		{"PUT", ix + "/_doc/rt?op_type=index", doc},
		{"POST", ix + "/_bulk", `{"index":{"_id":"dup"}}` + "\n" + doc + "\n"},
		{"POST", ix + "/_bulk", `{"index":{"_id":"rt"}}` + "\n" + doc + "\n"},
	} {
		h := hj
		if strings.HasSuffix(pr.path, "_bulk") {
			h = nd
		}
		r := do(t, f.c, pr.method, f.p.URL+pr.path, "pinwriter", f.pass, strings.NewReader(pr.body), h)
		if strings.Contains(r.Body, `"updated"`) {
			t.Errorf("%s %s %s replaced a hidden document: %d %s", pr.method, pr.path, pr.body, r.Status, r.Body)
		}
	}
	for _, id := range []string{"dup", "rt"} {
		r := do(t, f.c, "GET", f.p.URL+ix+"/_doc/"+id, f.su, f.pass, nil, nil)
		if r.Status != 200 || !strings.Contains(r.Body, canaryPinned) {
			t.Errorf("the hidden %s was replaced through DLS: %d %s", id, r.Status, r.Body)
		}
	}
	// A write into an index that does not exist yet replaces nothing.
	t.Cleanup(func() { do(t, f.c, "DELETE", f.p.URL+ix+"-new", f.su, f.pass, nil, nil) })
	if r := do(t, f.c, "PUT", f.p.URL+ix+"-new/_doc/n1", "pinwriter", f.pass, strings.NewReader(doc), hj); r.Status != 201 {
		t.Errorf("PUT into a new index: %d %s", r.Status, r.Body)
	}
	// Visible documents can still be replaced, new ones created.
	for _, pr := range []struct{ path, body, want string }{
		{ix + "/_doc/dup?routing=" + f.routing, doc, `"updated"`},
		{ix + "/_doc/ok", doc, `"updated"`},
		{ix + "/_doc/fresh", doc, `"created"`},
		{ix + "/_bulk", `{"index":{"_id":"ok"}}` + "\n" + doc + "\n" + `{"index":{"_id":"fresh2"}}` + "\n" + doc + "\n", `"created"`},
	} {
		h := hj
		if strings.HasSuffix(pr.path, "_bulk") {
			h = nd
		}
		r := do(t, f.c, "PUT", f.p.URL+pr.path, "pinwriter", f.pass, strings.NewReader(pr.body), h)
		if r.Status >= 300 || !strings.Contains(r.Body, pr.want) || strings.Contains(r.Body, `"errors":true`) {
			t.Errorf("PUT %s: want %s: %d %s", pr.path, pr.want, r.Status, r.Body)
		}
	}
}

// TestDLSGetWithEmptyRouting: a GET with an empty routing (?routing=) reads
// the shard the empty string routes to (reads do not drop an empty
// routing; writes do), where a hidden document with the same _id can live
// under another routing. The visibility check must not take the empty
// routing for "no routing" and pin the visible default-routed document
// instead.
func TestDLSGetWithEmptyRouting(t *testing.T) {
	f := startDLSPinFixture(t)
	os_ := openSearchURL(t)
	hj := map[string]string{"Content-Type": "application/json"}
	direct := func(method, path, body string) result {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		return do(t, f.c, method, os_+"/"+f.index+path, "", "", rd, hj)
	}
	// An _id whose default shard is not the empty routing's, and a routing
	// that puts a hidden copy of it on the empty routing's shard.
	id, hiddenRouting := "", ""
	for i := 0; i < 16 && hiddenRouting == ""; i++ {
		cand := fmt.Sprintf("edup%d", i)
		direct("PUT", "/_doc/"+cand, `{"tenant":"acme","message":"VISIBLE-EDUP"}`)
		if r := direct("GET", "/_doc/"+cand+"?routing=", ""); r.Status == 200 {
			direct("DELETE", "/_doc/"+cand, "")
			continue // same shard: no room for a second copy
		}
		for k := 0; k < 64; k++ {
			rt := fmt.Sprintf("h%d", k)
			direct("PUT", "/_doc/"+cand+"?routing="+rt, `{"tenant":"globex","message":"`+canaryPinned+` empty-routing shard"}`)
			if r := direct("GET", "/_doc/"+cand+"?routing=", ""); r.Status == 200 {
				id, hiddenRouting = cand, rt
				break
			}
			direct("DELETE", "/_doc/"+cand+"?routing="+rt, "")
		}
	}
	if hiddenRouting == "" {
		t.Fatal("no routing puts a copy on the empty routing's shard")
	}
	direct("POST", "/_refresh", "")
	if r := direct("GET", "/_doc/"+id+"?routing=", ""); !strings.Contains(r.Body, canaryPinned) {
		t.Fatalf("fixture: GET ?routing= should read the hidden copy: %s", r.Body)
	}
	for _, path := range []string{"/_doc/" + id + "?routing=", "/_source/" + id + "?routing=", "/_explain/" + id + "?routing=&_source=true"} {
		r := do(t, f.c, "GET", f.p.URL+"/"+f.index+path, "pinreader", f.pass, nil, nil)
		assertNoCanary(t, "pinreader GET "+path, r.Body, []string{canaryPinned})
	}
	r := do(t, f.c, "POST", f.p.URL+"/"+f.index+"/_mget", "pinreader", f.pass, strings.NewReader(`{"docs":[{"_id":"`+id+`","routing":""}]}`), hj)
	assertNoCanary(t, "pinreader _mget routing \"\"", r.Body, []string{canaryPinned})
	// The visible default-routed copy is still served without routing.
	if r := do(t, f.c, "GET", f.p.URL+"/"+f.index+"/_doc/"+id, "pinreader", f.pass, nil, nil); r.Status != 200 || !strings.Contains(r.Body, "VISIBLE-EDUP") {
		t.Errorf("GET %s: %d %s", id, r.Status, r.Body)
	}
}

// TestDLSDocumentAPIsThroughARoutedAlias: a GET, DELETE or index operation
// through an alias with a routing reaches the shard of the alias's
// routing, not the one the _id routes to. The visibility check must name
// the document there, not the visible default-routed copy of the _id.
func TestDLSDocumentAPIsThroughARoutedAlias(t *testing.T) {
	f := startDLSPinFixture(t)
	os_ := openSearchURL(t)
	hj := map[string]string{"Content-Type": "application/json"}
	direct := func(method, path, body string) result {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		r := do(t, f.c, method, os_+path, "", "", rd, hj)
		if r.Status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
		return r
	}
	shardOf := func(routing string) string {
		r := direct("GET", "/"+f.index+"/_search_shards?routing="+routing, "")
		i := strings.Index(r.Body, `"shard":`)
		return r.Body[i : i+9]
	}
	id := ""
	for i := 0; i < 32 && id == ""; i++ {
		if c := fmt.Sprintf("adup%d", i); shardOf(c) != shardOf(f.routing) {
			id = c
		}
	}
	alias := f.index + "-routed"
	direct("PUT", "/"+f.index+"/_doc/"+id, `{"tenant":"acme","message":"VISIBLE-ADUP default"}`)
	direct("PUT", "/"+f.index+"/_doc/"+id+"?routing="+f.routing, `{"tenant":"globex","message":"`+canaryPinned+` alias-routed"}`)
	direct("POST", "/"+f.index+"/_refresh", "")
	direct("POST", "/_aliases", `{"actions":[{"add":{"index":"`+f.index+`","alias":"`+alias+`","routing":"`+f.routing+`"}}]}`)
	if r := direct("GET", "/"+alias+"/_doc/"+id, ""); !strings.Contains(r.Body, canaryPinned) {
		t.Fatalf("fixture: GET through the alias should read the hidden copy: %s", r.Body)
	}
	f.p.waitReady()
	time.Sleep(6 * time.Second) // the proxy's view of the cluster's aliases
	// Control: the proxy reads through the alias (its routing reaches the
	// visible routed copy of dup).
	if r := do(t, f.c, "GET", f.p.URL+"/"+alias+"/_doc/dup", "pinreader", f.pass, nil, nil); r.Status != 200 || !strings.Contains(r.Body, "VISIBLE-DUP") {
		t.Errorf("GET %s/_doc/dup: %d %s", alias, r.Status, r.Body)
	}
	for _, path := range []string{"/_doc/" + id, "/_source/" + id, "/_explain/" + id + "?_source=true"} {
		r := do(t, f.c, "GET", f.p.URL+"/"+alias+path, "pinreader", f.pass, nil, nil)
		assertNoCanary(t, "pinreader GET "+alias+path, r.Body, []string{canaryPinned})
	}
	r := do(t, f.c, "POST", f.p.URL+"/"+alias+"/_mget", "pinreader", f.pass, strings.NewReader(`{"ids":["`+id+`"]}`), hj)
	assertNoCanary(t, "pinreader _mget through "+alias, r.Body, []string{canaryPinned})
	// Writes through the alias cannot delete or replace the hidden copy.
	do(t, f.c, "DELETE", f.p.URL+"/"+alias+"/_doc/"+id, "pinwriter", f.pass, nil, nil)
	do(t, f.c, "PUT", f.p.URL+"/"+alias+"/_doc/"+id, "pinwriter", f.pass, strings.NewReader(`{"tenant":"acme","message":"qzplantedq"}`), hj)
	do(t, f.c, "POST", f.p.URL+"/"+alias+"/_bulk", "pinwriter", f.pass, strings.NewReader(`{"delete":{"_id":"`+id+`"}}`+"\n"), map[string]string{"Content-Type": "application/x-ndjson"})
	if r := direct("GET", "/"+f.index+"/_doc/"+id+"?routing="+f.routing, ""); !strings.Contains(r.Body, canaryPinned) {
		t.Errorf("the hidden alias-routed copy was deleted or replaced through DLS: %s", r.Body)
	}
}
