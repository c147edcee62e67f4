package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestIngestPipelines: a pipeline that rewrites _index would let a user
// write into an index they may not touch (the cluster never re-authorizes
// the final index behind the proxy). Users without full access cannot name
// one, per request, per _bulk item, or as an index's default pipeline; a
// user who may read and write every index (restricted ones included) can.
// The test node has no ingest-common module (no set or script processor),
// so the pipeline here has no processors: a refused request that reached
// the cluster would answer 201, not 403, and the positive control shows
// the same request goes through for the user who may use pipelines.
func TestIngestPipelines(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	logs, secret, pipeline := fmt.Sprintf("e2e-plog-%d", n), fmt.Sprintf("e2e-psecret-%d", n), fmt.Sprintf("e2e-reroute-%d", n)
	o.Users += "piper:" + su.Password + "\npipeadmin:" + su.Password + "\n"
	o.UsersRoles += "e2e_piper:piper\ne2e_pipeadmin:pipeadmin\n"
	o.Roles = "e2e_piper:\n  indices:\n    - names: [\"e2e-plog-*\"]\n      privileges: [all]\n" +
		"e2e_pipeadmin:\n  cluster: [all]\n  indices:\n    - names: [\"*\"]\n      privileges: [all]\n      allow_restricted_indices: true\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	direct := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, os_+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		buf := make([]byte, 64<<10)
		k, _ := resp.Body.Read(buf)
		return resp.StatusCode, string(buf[:k])
	}
	if code, body := direct("PUT", "/_ingest/pipeline/"+pipeline, `{"processors":[]}`); code != 200 {
		t.Fatalf("creating the pipeline: %d %s", code, body)
	}
	t.Cleanup(func() {
		direct("DELETE", "/"+logs+","+secret+"?ignore_unavailable=true", "")
		direct("DELETE", "/_ingest/pipeline/"+pipeline, "")
	})
	if r := do(t, c, "PUT", p.URL+"/"+logs, "piper", su.Password, nil, nil); r.Status != 200 {
		t.Fatalf("creating %s: %d %s", logs, r.Status, r.Body)
	}
	canary := fmt.Sprintf("CANARY-PIPELINE-%d", n)
	refused := []struct{ name, method, path, ctype, body string }{
		{"?pipeline", "PUT", "/" + logs + "/_doc/1?refresh=true&pipeline=" + pipeline, "application/json", `{"m":"` + canary + `"}`},
		{"bulk ?pipeline", "POST", "/_bulk?refresh=true&pipeline=" + pipeline, "application/x-ndjson", `{"index":{"_index":"` + logs + `","_id":"2"}}` + "\n" + `{"m":"` + canary + `"}` + "\n"},
		{"bulk item pipeline", "POST", "/_bulk?refresh=true", "application/x-ndjson", `{"index":{"_index":"` + logs + `","_id":"3","pipeline":"` + pipeline + `"}}` + "\n" + `{"m":"` + canary + `"}` + "\n"},
		{"default_pipeline setting", "PUT", "/" + logs + "/_settings", "application/json", `{"index.default_pipeline":"` + pipeline + `"}`},
		{"final_pipeline at creation", "PUT", "/" + logs + "-b", "application/json", `{"settings":{"index":{"final_pipeline":"` + pipeline + `"}}}`},
	}
	for _, rq := range refused {
		r := do(t, c, rq.method, p.URL+rq.path, "piper", su.Password, strings.NewReader(rq.body), map[string]string{"Content-Type": rq.ctype})
		if r.Status != 403 || !strings.Contains(r.Body, "pipeline") {
			t.Fatalf("%s by a user without full access: %d %s", rq.name, r.Status, r.Body)
		}
	}
	// Plain writes still work, and nothing reached the secret index.
	if r := do(t, c, "PUT", p.URL+"/"+logs+"/_doc/4?refresh=true", "piper", su.Password, strings.NewReader(`{"m":"plain"}`), hj); r.Status != 201 {
		t.Fatalf("plain write: %d %s", r.Status, r.Body)
	}
	if code, body := direct("GET", "/"+secret+"/_search?q=*", ""); code != 404 || strings.Contains(body, canary) {
		t.Fatalf("the secret index got something: %d %s", code, body)
	}
	// Positive control: the same request goes through for a user who may
	// use pipelines.
	if r := do(t, c, "PUT", p.URL+"/"+logs+"/_doc/5?refresh=true&pipeline="+pipeline, "pipeadmin", su.Password, strings.NewReader(`{"m":"admin"}`), hj); r.Status != 201 {
		t.Fatalf("pipeline by a user with full access: %d %s", r.Status, r.Body)
	}
}
