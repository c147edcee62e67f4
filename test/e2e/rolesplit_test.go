package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSplitWriteReadRoles: a user whose write privilege comes from a role
// without DLS/FLS and whose read privilege from a role with DLS/FLS (or who
// has no read at all) must not read, count, update or delete what the read
// role hides through the write APIs that read: an update asking for the
// document back (or in a _bulk item), _update_by_query and
// _delete_by_query (Elasticsearch runs their search as the user, with the
// read privilege's DLS/FLS, and refuses them without read).
func TestSplitWriteReadRoles(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	ix := fmt.Sprintf("e2e-split-%d", time.Now().UnixNano())
	o.Users += "wsplit:" + su.Password + "\nwonly:" + su.Password + "\n"
	o.UsersRoles += "e2e_w:wsplit,wonly\ne2e_r_dls:wsplit\n"
	o.Roles = "e2e_w:\n  indices:\n    - names: [\"e2e-split-*\"]\n      privileges: [write]\n" +
		"e2e_r_dls:\n  indices:\n    - names: [\"e2e-split-*\"]\n      privileges: [read]\n" +
		"      query: '{\"term\":{\"tenant\":\"acme\"}}'\n      field_security: {grant: [\"tenant\", \"message\", \"n\"]}\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	hn := map[string]string{"Content-Type": "application/x-ndjson"}
	const (
		hiddenDoc   = "CANARY-SPLIT-HIDDENDOC"
		hiddenField = "CANARY-SPLIT-HIDDENFIELD"
	)
	seed := "{\"index\":{\"_index\":\"" + ix + "\",\"_id\":\"v1\"}}\n{\"tenant\":\"acme\",\"message\":\"visible\",\"secret\":\"" + hiddenField + "\",\"n\":0}\n" +
		"{\"index\":{\"_index\":\"" + ix + "\",\"_id\":\"h1\"}}\n{\"tenant\":\"globex\",\"message\":\"" + hiddenDoc + "\",\"secret\":\"" + hiddenDoc + "\",\"n\":0}\n"
	if r := do(t, c, "POST", p.URL+"/_bulk?refresh=true", su.Name, su.Password, strings.NewReader(seed), hn); r.Status != 200 || strings.Contains(r.Body, `"errors":true`) {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+ix, su.Name, su.Password, nil, nil) })
	// Positive control: the read role's view.
	if r := do(t, c, "GET", p.URL+"/"+ix+"/_search", "wsplit", su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"value":1`) ||
		strings.Contains(r.Body, hiddenDoc) || strings.Contains(r.Body, hiddenField) {
		t.Fatalf("wsplit's search: %d %s", r.Status, r.Body)
	}

	for _, probe := range []struct{ name, user, method, path, body string }{
		{"_update ?_source=true on a hidden document", "wsplit", "POST", "/" + ix + "/_update/h1?_source=true", `{"doc":{"n":1}}`},
		{"_update ?_source=true on a visible document", "wsplit", "POST", "/" + ix + "/_update/v1?_source=true", `{"doc":{"n":1}}`},
		{"_update body _source", "wsplit", "POST", "/" + ix + "/_update/v1", `{"doc":{"n":1},"_source":true}`},
		{"_bulk update item _source", "wsplit", "POST", "/_bulk", "{\"update\":{\"_index\":\"" + ix + "\",\"_id\":\"h1\",\"_source\":true}}\n{\"doc\":{\"n\":1}}\n"},
		// A partial update merges into the stored document: setting the
		// field the role query matches on would move the hidden document,
		// with all it holds, into wsplit's view.
		{"_update relabelling a hidden document", "wsplit", "POST", "/" + ix + "/_update/h1?refresh=true", `{"doc":{"tenant":"acme"}}`},
		{"_bulk update relabelling a hidden document", "wsplit", "POST", "/_bulk?refresh=true", "{\"update\":{\"_index\":\"" + ix + "\",\"_id\":\"h1\"}}\n{\"doc\":{\"tenant\":\"acme\"}}\n"},
		{"_bulk upsert relabelling a hidden document", "wsplit", "POST", "/_bulk?refresh=true", "{\"update\":{\"_index\":\"" + ix + "\",\"_id\":\"h1\"}}\n{\"doc\":{\"tenant\":\"acme\"},\"doc_as_upsert\":true}\n"},
		// Counts and writes by queries on hidden documents and fields.
		{"_update_by_query on the hidden tenant", "wsplit", "POST", "/" + ix + "/_update_by_query?conflicts=proceed&refresh=true", `{"query":{"term":{"tenant":"globex"}}}`},
		{"_update_by_query on a hidden field", "wsplit", "POST", "/" + ix + "/_update_by_query?conflicts=proceed&refresh=true", `{"query":{"match":{"secret":"` + hiddenField + `"}}}`},
		{"_update_by_query without read", "wonly", "POST", "/" + ix + "/_update_by_query?conflicts=proceed&refresh=true", `{"query":{"term":{"tenant":"globex"}}}`},
		{"_delete_by_query without read", "wonly", "POST", "/" + ix + "/_delete_by_query?refresh=true", `{"query":{"term":{"tenant":"globex"}}}`},
		{"_delete_by_query on the hidden tenant", "wsplit", "POST", "/" + ix + "/_delete_by_query?refresh=true", `{"query":{"term":{"tenant":"globex"}}}`},
		{"_delete_by_query on a hidden field", "wsplit", "POST", "/" + ix + "/_delete_by_query?refresh=true", `{"query":{"match":{"secret":"` + hiddenField + `"}}}`},
	} {
		h := hj
		if strings.Contains(probe.path, "_bulk") {
			h = hn
		}
		r := do(t, c, probe.method, p.URL+probe.path, probe.user, su.Password, strings.NewReader(probe.body), h)
		if strings.Contains(r.Body, hiddenDoc) || strings.Contains(r.Body, hiddenField) {
			t.Errorf("%s as %s: canary in %d %s", probe.name, probe.user, r.Status, r.Body)
		}
		if !strings.Contains(probe.path, "_by_query") {
			continue
		}
		// Nothing hidden may be counted, updated or deleted.
		for _, n := range []string{`"total":1`, `"total":2`, `"updated":1`, `"updated":2`, `"deleted":1`, `"deleted":2`} {
			if strings.Contains(r.Body, n) {
				t.Errorf("%s as %s: %s in %d %s", probe.name, probe.user, n, r.Status, r.Body)
			}
		}
	}
	// The stored documents are untouched, and the hidden one stays hidden.
	for _, id := range []string{"v1", "h1"} {
		if r := do(t, c, "GET", p.URL+"/"+ix+"/_doc/"+id, su.Name, su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"n":0`) || (id == "h1" && !strings.Contains(r.Body, "globex")) {
			t.Errorf("document %s after the probes: %d %s", id, r.Status, r.Body)
		}
	}
	if r := do(t, c, "GET", p.URL+"/"+ix+"/_doc/h1", "wsplit", su.Password, nil, nil); strings.Contains(r.Body, hiddenDoc) {
		t.Errorf("the hidden document through wsplit's read: %d %s", r.Status, r.Body)
	}
	// Positive controls: a plain update by a user who cannot read the index
	// at all (nothing to move into a view), and a delete by query of what
	// the read role shows.
	if r := do(t, c, "POST", p.URL+"/"+ix+"/_update/v1?refresh=true", "wonly", su.Password, strings.NewReader(`{"doc":{"n":5}}`), hj); r.Status != 200 {
		t.Fatalf("wonly's plain update: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "POST", p.URL+"/"+ix+"/_delete_by_query?refresh=true", "wsplit", su.Password, strings.NewReader(`{"query":{"match_all":{}}}`), hj); r.Status != 200 || !strings.Contains(r.Body, `"deleted":1`) {
		t.Fatalf("wsplit's delete by query of everything it sees: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/"+ix+"/_doc/h1", su.Name, su.Password, nil, nil); r.Status != 200 {
		t.Fatalf("the hidden document after wsplit's delete by query: %d %s", r.Status, r.Body)
	}
}

// TestAliasOrCloneCannotLiftDLS: a user whose read of an index is
// restricted by DLS, who manages the index and manages and reads another
// name pattern, may not alias or clone the index under such a name and
// read it there unrestricted (Elasticsearch compares only the actions the
// names grant, and allows it).
func TestAliasOrCloneCannotLiftDLS(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	ix := fmt.Sprintf("e2e-dlsal-%d", n)
	pub := fmt.Sprintf("e2e-pub-%d", n)
	o.Users += "mallory:" + su.Password + "\n"
	o.UsersRoles += "e2e_read_dls:mallory\ne2e_manage_src:mallory\ne2e_pub:mallory\n"
	o.Roles = "e2e_read_dls:\n  indices:\n    - names: [\"e2e-dlsal-*\"]\n      privileges: [read]\n      query: '{\"term\":{\"tenant\":\"acme\"}}'\n" +
		"e2e_manage_src:\n  indices:\n    - names: [\"e2e-dlsal-*\"]\n      privileges: [manage]\n" +
		"e2e_pub:\n  indices:\n    - names: [\"e2e-pub-*\"]\n      privileges: [manage, read]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	hn := map[string]string{"Content-Type": "application/x-ndjson"}
	const canary = "CANARY-ALIAS-LIFTS-DLS"
	seed := "{\"index\":{\"_index\":\"" + ix + "\",\"_id\":\"v1\"}}\n{\"tenant\":\"acme\",\"message\":\"visible\"}\n" +
		"{\"index\":{\"_index\":\"" + ix + "\",\"_id\":\"h1\"}}\n{\"tenant\":\"globex\",\"message\":\"" + canary + "\"}\n"
	if r := do(t, c, "POST", p.URL+"/_bulk?refresh=true", su.Name, su.Password, strings.NewReader(seed), hn); r.Status != 200 || strings.Contains(r.Body, `"errors":true`) {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() {
		do(t, c, "DELETE", p.URL+"/"+ix, su.Name, su.Password, nil, nil)
		do(t, c, "DELETE", p.URL+"/"+pub+"*", su.Name, su.Password, nil, nil)
	})
	if r := do(t, c, "PUT", p.URL+"/"+ix+"/_settings", su.Name, su.Password, strings.NewReader(`{"index.blocks.write":true}`), hj); r.Status != 200 {
		t.Fatalf("write block for the clone: %d %s", r.Status, r.Body)
	}
	for _, probe := range []struct{ name, method, path, body string }{
		{"_aliases add", "POST", "/_aliases", `{"actions":[{"add":{"index":"` + ix + `","alias":"` + pub + `-a1"}}]}`},
		{"put alias", "PUT", "/" + ix + "/_alias/" + pub + "-a2", ""},
		{"clone", "POST", "/" + ix + "/_clone/" + pub + "-c1", ""},
	} {
		var body *strings.Reader
		if probe.body != "" {
			body = strings.NewReader(probe.body)
		}
		var r result
		if body != nil {
			r = do(t, c, probe.method, p.URL+probe.path, "mallory", su.Password, body, hj)
		} else {
			r = do(t, c, probe.method, p.URL+probe.path, "mallory", su.Password, nil, nil)
		}
		if r.Status < 400 {
			t.Errorf("%s: %d %s; want a refusal", probe.name, r.Status, r.Body)
		}
	}
	// Whatever happened, nothing under the new names shows the hidden document.
	if r := do(t, c, "GET", p.URL+"/"+pub+"*/_search?q="+canary, "mallory", su.Password, nil, nil); strings.Contains(r.Body, canary) {
		t.Errorf("the hidden document through a new name: %d %s", r.Status, r.Body)
	}
	// Positive control: mallory's DLS view of the index itself.
	if r := do(t, c, "GET", p.URL+"/"+ix+"/_search", "mallory", su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"value":1`) || strings.Contains(r.Body, canary) {
		t.Fatalf("mallory's search: %d %s", r.Status, r.Body)
	}
}

// TestReindexCreateDocCannotOverwrite: a user whose privilege on the
// destination is create_doc may reindex into it only with dest.op_type
// create: the default op_type (index) overwrites documents with the same
// id, which Elasticsearch refuses item by item (":op_type/index").
func TestReindexCreateDocCannotOverwrite(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	dst := fmt.Sprintf("e2e-cddst-%d", n)
	src := fmt.Sprintf("e2e-cdsrc-%d", n)
	o.Users += "carl:" + su.Password + "\n"
	o.UsersRoles += "e2e_src_all:carl\ne2e_dst_create:carl\n"
	o.Roles = "e2e_src_all:\n  indices:\n    - names: [\"e2e-cdsrc-*\"]\n      privileges: [all]\n" +
		"e2e_dst_create:\n  indices:\n    - names: [\"e2e-cddst-*\"]\n      privileges: [create_doc]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	const original, planted = "ORIGINAL-KEEP-ME", "qzplantedq-reindex"
	if r := do(t, c, "PUT", p.URL+"/"+dst+"/_doc/victim?refresh=true", su.Name, su.Password, strings.NewReader(`{"m":"`+original+`"}`), hj); r.Status >= 300 {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() {
		do(t, c, "DELETE", p.URL+"/"+dst, su.Name, su.Password, nil, nil)
		do(t, c, "DELETE", p.URL+"/"+src, su.Name, su.Password, nil, nil)
	})
	if r := do(t, c, "PUT", p.URL+"/"+src+"/_doc/victim?refresh=true", "carl", su.Password, strings.NewReader(`{"m":"`+planted+`"}`), hj); r.Status >= 300 {
		t.Fatalf("carl's source document: %d %s", r.Status, r.Body)
	}
	for _, dest := range []string{`{"index":"` + dst + `"}`, `{"index":"` + dst + `","op_type":"index"}`, `{"index":"` + dst + `","op_type":"INDEX"}`, `{"index":"` + dst + `","version_type":"external"}`} {
		r := do(t, c, "POST", p.URL+"/_reindex?refresh=true", "carl", su.Password, strings.NewReader(`{"source":{"index":"`+src+`"},"dest":`+dest+`}`), hj)
		if r.Status != 403 {
			t.Errorf("reindex with dest %s: %d %s; want 403", dest, r.Status, r.Body)
		}
	}
	if r := do(t, c, "GET", p.URL+"/"+dst+"/_doc/victim", su.Name, su.Password, nil, nil); !strings.Contains(r.Body, original) {
		t.Fatalf("the destination document was overwritten: %d %s", r.Status, r.Body)
	}
	// Positive control: op_type create adds, and does not overwrite.
	r := do(t, c, "POST", p.URL+"/_reindex?refresh=true", "carl", su.Password, strings.NewReader(`{"conflicts":"proceed","source":{"index":"`+src+`"},"dest":{"index":"`+dst+`","op_type":"create"}}`), hj)
	if r.Status != 200 || !strings.Contains(r.Body, `"version_conflicts":1`) {
		t.Fatalf("reindex with op_type create: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/"+dst+"/_doc/victim", su.Name, su.Password, nil, nil); !strings.Contains(r.Body, original) {
		t.Fatalf("the destination document after op_type create: %d %s", r.Status, r.Body)
	}
}
