package e2e

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestFLSDefaultSearchPipeline: an index's default search pipeline runs
// after the proxy. A rename_field response processor moves a hidden field
// under a name the FLS user may see; a filter_query request processor on a
// hidden field makes counts answer questions about its values. FLS
// searches must run through no pipeline (search, msearch, scroll), and
// counts on such an index are refused. The hidden field holds a canary.
func TestFLSDefaultSearchPipeline(t *testing.T) {
	backendLacks(t, "search pipelines")
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	index, counted := fmt.Sprintf("e2e-pipe-%d", n), fmt.Sprintf("e2e-pipecount-%d", n)
	ren, flt := fmt.Sprintf("e2e-ren-%d", n), fmt.Sprintf("e2e-flt-%d", n)
	o.Users += "fls:" + su.Password + "\n"
	o.UsersRoles += "r_fls:fls\n"
	o.Roles = "r_fls:\n  indices:\n    - names: [\"" + index + "\", \"" + counted + "\"]\n      privileges: [read]\n      field_security: {grant: [name, \"pub_*\"]}\n"
	hj := map[string]string{"Content-Type": "application/json"}
	nd := map[string]string{"Content-Type": "application/x-ndjson"}
	// The cluster's administrator sets the pipelines up on the cluster
	// itself (through the proxy only a user who may use ingest pipelines
	// everywhere could set an index's default pipeline).
	direct := http.DefaultClient
	admin := func(method, path, body string) result {
		t.Helper()
		r := do(t, direct, method, os_+path, "", "", strings.NewReader(body), hj)
		if r.Status >= 300 {
			if strings.Contains(r.Body, "rename_field") && os.Getenv("E2E_REQUIRED") != "1" {
				t.Skipf("this OpenSearch node has no search pipeline processors (scripts/opensearch.sh adds them): %s", r.Body)
			}
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
		return r
	}
	admin("PUT", "/_search/pipeline/"+ren, `{"response_processors":[{"rename_field":{"field":"salary","target_field":"pub_salary"}}]}`)
	admin("PUT", "/_search/pipeline/"+flt, `{"request_processors":[{"filter_query":{"query":{"term":{"salary":"CANARY-PIPE-1"}}}}]}`)
	t.Cleanup(func() {
		do(t, direct, "DELETE", os_+"/"+index+","+counted, "", "", nil, nil)
		do(t, direct, "DELETE", os_+"/_search/pipeline/"+ren, "", "", nil, nil)
		do(t, direct, "DELETE", os_+"/_search/pipeline/"+flt, "", "", nil, nil)
	})
	for ix, pipeline := range map[string]string{index: ren, counted: flt} {
		admin("PUT", "/"+ix, `{"settings":{"index.search.default_pipeline":"`+pipeline+`","number_of_replicas":0},"mappings":{"properties":{"name":{"type":"keyword"},"salary":{"type":"keyword"}}}}`)
		admin("PUT", "/"+ix+"/_doc/1?refresh=true", `{"name":"bob","salary":"CANARY-PIPE-1"}`)
		admin("PUT", "/"+ix+"/_doc/2?refresh=true", `{"name":"al","salary":"CANARY-PIPE-2"}`)
	}
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)

	// Control: the pipeline is real; the superuser sees the renamed field.
	if r := admin("POST", "/"+index+"/_search", `{}`); !strings.Contains(r.Body, `"pub_salary":"CANARY-PIPE-`) {
		t.Fatalf("control: the default pipeline did not rename the field: %s", r.Body)
	}
	fls := func(method, path, body string, hdr map[string]string) result {
		t.Helper()
		r := do(t, c, method, p.URL+path, "fls", su.Password, strings.NewReader(body), hdr)
		if strings.Contains(r.Body, "CANARY-PIPE") {
			t.Errorf("%s %s: the hidden field leaked through the default search pipeline: %s", method, path, r.Body)
		}
		return r
	}
	for _, pr := range []struct{ path, body string }{
		{"/" + index + "/_search", `{}`},
		{"/" + index + "/_search", `{"query":{"match_all":{}},"size":5}`},
		{"/" + index + "/_search?q=name:bob", ``},
		{"/_search", `{"query":{"terms":{"_index":["` + index + `"]}}}`},
	} {
		if r := fls("POST", pr.path, pr.body, hj); r.Status != 200 || !strings.Contains(r.Body, `"name":"bob"`) {
			t.Errorf("POST %s: want the visible fields, got %d %s", pr.path, r.Status, r.Body)
		}
	}
	// A pipeline named by the request, or given inline, is refused.
	for _, pr := range []struct{ path, body string }{
		{"/" + counted + "/_search?search_pipeline=" + ren, `{}`},
		{"/" + counted + "/_search", `{"search_pipeline":{"response_processors":[{"rename_field":{"field":"salary","target_field":"pub_salary"}}]}}`},
	} {
		if r := fls("POST", pr.path, pr.body, hj); r.Status != 400 || !strings.Contains(r.Body, "search_pipeline") {
			t.Errorf("POST %s %s: want 400, got %d %s", pr.path, pr.body, r.Status, r.Body)
		}
	}
	if r := fls("POST", "/_msearch", `{"index":"`+index+`"}`+"\n{}\n", nd); r.Status != 200 || !strings.Contains(r.Body, `"name":"bob"`) {
		t.Errorf("_msearch: want the visible fields, got %d %s", r.Status, r.Body)
	}
	r := fls("POST", "/"+index+"/_search?scroll=1m&size=1", `{"sort":["name"]}`, hj)
	if id := scrollIDOf(r.Body); r.Status != 200 || id == "" {
		t.Errorf("scroll: %d %s", r.Status, r.Body)
	} else {
		fls("POST", "/_search/scroll", `{"scroll":"1m","scroll_id":"`+id+`"}`, hj)
	}

	// A filter_query on the hidden field: counts would say whether a
	// guessed value is there.
	for _, path := range []string{"/" + counted + "/_count", "/_cat/count/" + counted} {
		if r := fls("GET", path, "", nil); r.Status != 403 || !strings.Contains(r.Body, "default search pipeline") {
			t.Errorf("GET %s on an index with a default pipeline: want 403, got %d %s", path, r.Status, r.Body)
		}
	}
	if r := fls("POST", "/"+counted+"/_search", `{"size":0,"track_total_hits":true}`, hj); r.Status != 200 || !strings.Contains(r.Body, `"value":2`) {
		t.Errorf("search with size 0: want both documents counted (no filter_query on the hidden field), got %d %s", r.Status, r.Body)
	}
	// Control: the filter_query is real.
	if r := admin("GET", "/"+counted+"/_count", ``); !strings.Contains(r.Body, `"count":1`) {
		t.Fatalf("control: the filter_query pipeline did not narrow the superuser's count: %s", r.Body)
	}
}

// scrollIDOf returns the _scroll_id of a search answer, or "".
func scrollIDOf(body string) string {
	_, rest, ok := strings.Cut(body, `"_scroll_id":"`)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, `"`)
	return id
}
