package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDataStreamMappingNeedsAutoPut: a document with a field the data
// stream does not map makes the cluster add it to the mapping, which
// Elasticsearch (7.9+) authorizes as indices:admin/mapping/auto_put, granted
// on data streams by write, auto_configure, manage and all, not by
// create_doc, create or index. A create_doc writer may add documents with
// mapped fields only; the field it tried to add never reaches the mapping.
func TestDataStreamMappingNeedsAutoPut(t *testing.T) {
	os_ := openSearchURL(t)
	backendLacks(t, "data streams")
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	ds := fmt.Sprintf("e2e-apds-%d", n)
	tmpl := fmt.Sprintf("e2e-apds-%d", n)
	c0 := &http.Client{Timeout: 60 * time.Second}
	hj := map[string]string{"Content-Type": "application/json"}
	hn := map[string]string{"Content-Type": "application/x-ndjson"}
	// Made on the cluster before the proxy starts: its first view of the
	// cluster has the data stream.
	// The template also makes the data streams a first write to a new
	// name creates (newds below), without mapping @timestamp (the cluster
	// maps it).
	newds := ds + "-new"
	if r := do(t, c0, "PUT", os_+"/_index_template/"+tmpl+"-new", "", "", strings.NewReader(`{"index_patterns":["`+newds+`*"],"data_stream":{},"priority":501,`+
		`"template":{"mappings":{"properties":{"message":{"type":"keyword"}}}}}`), hj); r.Status != 200 {
		t.Fatalf("template: %d %s", r.Status, r.Body)
	}
	if r := do(t, c0, "PUT", os_+"/_index_template/"+tmpl, "", "", strings.NewReader(`{"index_patterns":["`+ds+`"],"data_stream":{},"priority":500,`+
		`"template":{"mappings":{"properties":{"@timestamp":{"type":"date"},"message":{"type":"keyword"},"host":{"properties":{"name":{"type":"keyword"}}},`+
		`"apcode":{"type":"keyword","copy_to":"apcopied"},"apquiet":{"type":"object","dynamic":false}}}}}`), hj); r.Status != 200 {
		t.Fatalf("template: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() {
		do(t, c0, "DELETE", os_+"/_data_stream/"+ds, "", "", nil, nil)
		do(t, c0, "DELETE", os_+"/_data_stream/"+newds+"*", "", "", nil, nil)
		do(t, c0, "DELETE", os_+"/_index_template/"+tmpl, "", "", nil, nil)
		do(t, c0, "DELETE", os_+"/_index_template/"+tmpl+"-new", "", "", nil, nil)
	})
	if r := do(t, c0, "PUT", os_+"/_data_stream/"+ds, "", "", nil, nil); r.Status != 200 {
		t.Fatalf("data stream: %d %s", r.Status, r.Body)
	}
	// A data stream with a default ingest pipeline: the fields the cluster
	// maps are the pipeline's output, which the proxy does not see (a json
	// or kv processor makes fields of a message's content; the test node
	// has no processor modules, so this pipeline has none).
	plds, pl := ds+"-pl", fmt.Sprintf("e2e-appl-%d", n)
	if r := do(t, c0, "PUT", os_+"/_ingest/pipeline/"+pl, "", "", strings.NewReader(`{"processors":[]}`), hj); r.Status != 200 {
		t.Fatalf("pipeline: %d %s", r.Status, r.Body)
	}
	if r := do(t, c0, "PUT", os_+"/_index_template/"+tmpl+"-pl", "", "", strings.NewReader(`{"index_patterns":["`+plds+`","`+plds+`-new*"],"data_stream":{},"priority":502,`+
		`"template":{"settings":{"index.default_pipeline":"`+pl+`"},"mappings":{"properties":{"message":{"type":"keyword"}}}}}`), hj); r.Status != 200 {
		t.Fatalf("template: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() {
		do(t, c0, "DELETE", os_+"/_data_stream/"+plds, "", "", nil, nil)
		do(t, c0, "DELETE", os_+"/_data_stream/"+plds+"-new*", "", "", nil, nil)
		do(t, c0, "DELETE", os_+"/_index_template/"+tmpl+"-pl", "", "", nil, nil)
		do(t, c0, "DELETE", os_+"/_ingest/pipeline/"+pl, "", "", nil, nil)
	})
	if r := do(t, c0, "PUT", os_+"/_data_stream/"+plds, "", "", nil, nil); r.Status != 200 {
		t.Fatalf("data stream: %d %s", r.Status, r.Body)
	}
	src := fmt.Sprintf("e2e-apsrc-%d", n)
	if r := do(t, c0, "PUT", os_+"/"+src+"/_doc/s1?refresh=true", "", "", strings.NewReader(`{"@timestamp":"2024-05-01T00:00:00Z","apnew6":"copied"}`), hj); r.Status != 201 {
		t.Fatalf("reindex source: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c0, "DELETE", os_+"/"+src, "", "", nil, nil) })
	for _, u := range []string{"apcd", "apw", "apac", "apstar"} {
		o.Users += u + ":" + su.Password + "\n"
	}
	o.UsersRoles += "e2e_ap_cd:apcd\ne2e_ap_w:apw\ne2e_ap_ac:apac\ne2e_ap_star:apstar\n"
	o.Roles = "e2e_ap_cd:\n  indices:\n    - names: [\"e2e-apds-*\"]\n      privileges: [create_doc, create, index, create_index]\n    - names: [\"e2e-apsrc-*\"]\n      privileges: [read]\n    - names: [\"e2e-apother-*\"]\n      privileges: [write]\n" +
		"e2e_ap_w:\n  indices:\n    - names: [\"e2e-apds-*\"]\n      privileges: [write]\n" +
		"e2e_ap_ac:\n  indices:\n    - names: [\"e2e-apds-*\"]\n      privileges: [create_doc, auto_configure]\n" +
		// index everywhere (a grant that keeps wildcards as written), and
		// auto_configure on the data streams first writes create only.
		"e2e_ap_star:\n  indices:\n    - names: [\"*\"]\n      privileges: [index, read]\n      allow_restricted_indices: true\n    - names: [\"" + newds + "*\"]\n      privileges: [auto_configure]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	const ts = `"@timestamp":"2024-05-01T00:00:00Z"`

	refused := []struct{ name, method, path, body string }{
		{"a new top-level field", "POST", "/" + ds + "/_doc?refresh=true", `{` + ts + `,"message":"a","apnew1":5}`},
		{"a new field of a mapped object", "POST", "/" + ds + "/_doc?refresh=true", `{` + ts + `,"host":{"name":"h","apnew2":"x"}}`},
		{"a new object", "PUT", "/" + ds + "/_create/c1?refresh=true", `{` + ts + `,"apnew3":{"deep":1}}`},
		{"a new dotted field", "POST", "/" + ds + "/_doc?op_type=create&refresh=true", `{` + ts + `,"host.apnew4":"x"}`},
		// A mapped field whose copy_to target is not mapped: the cluster
		// maps the target from the copied value (a number: long).
		{"a copy_to target", "POST", "/" + ds + "/_doc?refresh=true", `{` + ts + `,"apcode":5}`},
	}
	for _, pr := range refused {
		r := do(t, c, pr.method, p.URL+pr.path, "apcd", su.Password, strings.NewReader(pr.body), hj)
		if r.Status != 403 || !strings.Contains(r.Body, "indices:admin/mapping/auto_put") {
			t.Errorf("%s as apcd: %d %s, want the auto_put 403", pr.name, r.Status, r.Body)
		}
		denied := false
		for _, ev := range auditRecords(t, filepath.Join(p.Dir, "audit.json"), r.Header.Get("X-Request-Id")) {
			denied = denied || ev.Action == "access_denied"
		}
		if !denied {
			t.Errorf("%s as apcd: no access_denied audit record", pr.name)
		}
	}
	// Mapped fields only, but through the data stream's default pipeline
	// (which a json processor would turn into a field of its own).
	piped := `{` + ts + `,"message":"{\"apnew9\":1}"}`
	if r := do(t, c, "POST", p.URL+"/"+plds+"/_doc?refresh=true", "apcd", su.Password, strings.NewReader(piped), hj); r.Status != 403 || !strings.Contains(r.Body, "indices:admin/mapping/auto_put") {
		t.Errorf("a write through a default pipeline as apcd: %d %s, want the auto_put 403", r.Status, r.Body)
	}
	pbulk := `{"create":{"_index":"` + plds + `"}}` + "\n" + piped + "\n"
	if r := do(t, c, "POST", p.URL+"/_bulk?refresh=true", "apcd", su.Password, strings.NewReader(pbulk), hn); r.Status != 200 || strings.Contains(r.Body, `"status":201`) || !strings.Contains(r.Body, "indices:admin/mapping/auto_put") {
		t.Errorf("a _bulk item through a default pipeline as apcd: %d %s, want the item refused", r.Status, r.Body)
	}
	if r := do(t, c, "POST", p.URL+"/"+plds+"-new1/_doc?refresh=true", "apcd", su.Password, strings.NewReader(piped), hj); r.Status != 403 || !strings.Contains(r.Body, "indices:admin/mapping/auto_put") {
		t.Errorf("a first write creating a data stream with a default pipeline as apcd: %d %s, want the auto_put 403", r.Status, r.Body)
	}
	if r := do(t, c, "POST", p.URL+"/"+plds+"/_doc?refresh=true", "apac", su.Password, strings.NewReader(`{`+ts+`,"message":"m","apautoconf9":1}`), hj); r.Status != 201 {
		t.Errorf("a write through a default pipeline as apac (auto_configure): %d %s", r.Status, r.Body)
	}
	if r := do(t, c0, "GET", os_+"/"+plds+"/_mapping", "", "", nil, nil); r.Status != 200 || strings.Contains(r.Body, "apnew9") || !strings.Contains(r.Body, "apautoconf9") {
		t.Errorf("the piped data stream's mapping: %d %s, want apautoconf9 and no apnew9", r.Status, r.Body)
	}
	bulk := `{"create":{"_index":"` + ds + `"}}` + "\n" + `{` + ts + `,"message":"bulk ok"}` + "\n" +
		`{"create":{"_index":"` + ds + `"}}` + "\n" + `{` + ts + `,"message":"b","apnew5":true}` + "\n"
	r := do(t, c, "POST", p.URL+"/_bulk?refresh=true", "apcd", su.Password, strings.NewReader(bulk), hn)
	if r.Status != 200 || strings.Count(r.Body, `"status":201`) != 1 || !strings.Contains(r.Body, "indices:admin/mapping/auto_put") {
		t.Errorf("a _bulk with one new field as apcd: %d %s, want the first item created and the second refused", r.Status, r.Body)
	}
	// A reindex (allowed by the write privilege on other indices) copies
	// documents the proxy does not see.
	reindex := `{"source":{"index":"` + src + `"},"dest":{"index":"` + ds + `","op_type":"create"}}`
	if r := do(t, c, "POST", p.URL+"/_reindex?refresh=true", "apcd", su.Password, strings.NewReader(reindex), hj); r.Status != 403 || !strings.Contains(r.Body, "indices:admin/mapping/auto_put") {
		t.Errorf("a reindex into the data stream as apcd: %d %s, want the auto_put 403", r.Status, r.Body)
	}
	// A first write creating a data stream (create_index grants the
	// creation, not auto_put) may not add fields beyond its template's.
	if r := do(t, c, "POST", p.URL+"/"+newds+"1/_doc?refresh=true", "apcd", su.Password, strings.NewReader(`{`+ts+`,"message":"m","apnew7":1}`), hj); r.Status != 403 || !strings.Contains(r.Body, "indices:admin/mapping/auto_put") {
		t.Errorf("a first write with a new field creating a data stream as apcd: %d %s, want the auto_put 403", r.Status, r.Body)
	}
	if r := do(t, c, "POST", p.URL+"/"+newds+"2/_doc?refresh=true", "apcd", su.Password, strings.NewReader(`{`+ts+`,"message":"m"}`), hj); r.Status != 201 {
		t.Errorf("a first write with the template's fields creating a data stream as apcd: %d %s", r.Status, r.Body)
	}
	if r := do(t, c0, "GET", os_+"/_data_stream/"+newds+"*/_mapping", "", "", nil, nil); strings.Contains(r.Body, "apnew7") {
		t.Errorf("a field create_doc may not add is in a new data stream's mapping: %s", r.Body)
	}
	if r := do(t, c0, "GET", os_+"/"+newds+"*/_mapping", "", "", nil, nil); r.Status != 200 || strings.Contains(r.Body, "apnew7") {
		t.Errorf("the new data streams' mappings: %d %s", r.Status, r.Body)
	}
	// A scripted update by query through a wildcard kept whole reaches
	// the data stream without auto_put (ds) as well as the ones with it.
	if r := do(t, c, "POST", p.URL+"/"+ds+"*/_update_by_query?refresh=true", "apstar", su.Password, strings.NewReader(`{"script":"ctx._source.apnew8 = 1"}`), hj); r.Status != 403 || !strings.Contains(r.Body, "indices:admin/mapping/auto_put") {
		t.Errorf("a scripted update by query through a wildcard as apstar: %d %s, want the auto_put 403", r.Status, r.Body)
	}
	// A reindex into a new ordinary index needs no auto_put (create and
	// index map fields there, for backwards compatibility).
	plainDest := ds + "-plain"
	t.Cleanup(func() { do(t, c0, "DELETE", os_+"/"+plainDest, "", "", nil, nil) })
	reindex = `{"source":{"index":"` + src + `"},"dest":{"index":"` + plainDest + `","op_type":"create"}}`
	if r := do(t, c, "POST", p.URL+"/_reindex?refresh=true", "apcd", su.Password, strings.NewReader(reindex), hj); r.Status != 200 || !strings.Contains(r.Body, `"created":1`) {
		t.Errorf("a reindex into a new ordinary index as apcd: %d %s", r.Status, r.Body)
	}
	// Positive controls: mapped fields only; and new fields from users
	// whose privileges grant auto_put.
	for _, ok := range []struct{ user, body string }{
		{"apcd", `{` + ts + `,"message":"known","host":{"name":"h"}}`},
		// An object mapped with dynamic:false keeps new fields in
		// _source only: no mapping update.
		{"apcd", `{` + ts + `,"message":"quiet","apquiet":{"apunmapped":{"x":1}}}`},
		{"apw", `{` + ts + `,"message":"w","apwrite":1}`},
		{"apac", `{` + ts + `,"message":"ac","apautoconf":1}`},
	} {
		if r := do(t, c, "POST", p.URL+"/"+ds+"/_doc?refresh=true", ok.user, su.Password, strings.NewReader(ok.body), hj); r.Status != 201 {
			t.Errorf("%s writing %s: %d %s", ok.user, ok.body, r.Status, r.Body)
		}
	}
	r = do(t, c0, "GET", os_+"/"+ds+"/_mapping", "", "", nil, nil)
	if r.Status != 200 || !strings.Contains(r.Body, "apwrite") || !strings.Contains(r.Body, "apautoconf") {
		t.Fatalf("the mapping after the writes: %d %s", r.Status, r.Body)
	}
	if strings.Contains(r.Body, "apnew") || strings.Contains(r.Body, `"apcopied":{`) || strings.Contains(r.Body, "apunmapped") {
		t.Errorf("a field create_doc may not add is in the mapping: %s", r.Body)
	}
	if r := do(t, c0, "GET", os_+"/"+ds+"/_count", "", "", nil, nil); !strings.Contains(r.Body, `"count":5`) {
		t.Errorf("documents in the data stream: %s, want the 5 allowed ones", r.Body)
	}
}
