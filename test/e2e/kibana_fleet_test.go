package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestKibanaFleetSecrets: Kibana's service account (kibana_system) writes
// Fleet's secrets but never reads them back (only Fleet Server does, as in
// Elasticsearch); a ".fleet*" grant let it read .fleet-secrets-* through
// search, get, mget and wildcards. The other Fleet indices stay Kibana's.
func TestKibanaFleetSecrets(t *testing.T) {
	os_ := openSearchURL(t)
	o, _ := superuserOpts(t, os_)
	p, c, tokensFile := startProxyWithServiceTokens(t, o, "")
	kibana := kibanaToken(t, p, c, tokensFile)
	kibana["Content-Type"] = "application/json"
	n := time.Now().UnixNano()
	secrets, agents := fmt.Sprintf(".fleet-secrets-e2e-%d", n), fmt.Sprintf(".fleet-agents-e2e-%d", n)
	const canary = "CANARY-FLEET-SECRET-e2e"
	hj := map[string]string{"Content-Type": "application/json"}
	// Seeded straight into the cluster: nobody's role may write restricted
	// indices but Kibana's and Fleet's.
	for _, idx := range []string{secrets, agents} {
		if r := do(t, http.DefaultClient, "PUT", os_+"/"+idx+"/_doc/s1?refresh=true", "", "", strings.NewReader(`{"value":"`+canary+`"}`), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", idx, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, http.DefaultClient, "DELETE", os_+"/"+secrets+","+agents, "", "", nil, nil) })

	for _, req := range []struct{ method, path, body string }{
		{"GET", "/" + secrets + "/_search", ""},
		{"GET", "/" + secrets + "/_doc/s1", ""},
		{"GET", "/" + secrets + "/_source/s1", ""},
		{"POST", "/_mget", `{"docs":[{"_index":"` + secrets + `","_id":"s1"}]}`},
		{"POST", "/_msearch", "{\"index\":\"" + secrets + "\"}\n{}\n"},
		{"GET", "/.fleet-secrets*/_search", ""},
		{"GET", "/.fleet*/_search?expand_wildcards=all", ""},
		{"GET", "/_all/_search?expand_wildcards=all", ""},
		{"GET", "/" + secrets + "/_mapping", ""},
		{"POST", "/" + secrets + "/_count", `{"query":{"match":{"value":"` + canary + `"}}}`},
	} {
		var body *strings.Reader
		if req.body != "" {
			body = strings.NewReader(req.body)
		}
		var r result
		if body != nil {
			r = do(t, c, req.method, p.URL+req.path, "", "", body, kibana)
		} else {
			r = do(t, c, req.method, p.URL+req.path, "", "", nil, kibana)
		}
		if strings.Contains(r.Body, canary) || strings.Contains(req.path, "_count") && strings.Contains(r.Body, `"count":1`) {
			t.Fatalf("elastic/kibana %s %s read Fleet's secrets: %d %s", req.method, req.path, r.Status, r.Body)
		}
	}
	if r := do(t, c, "PUT", p.URL+"/"+secrets+"/_doc/s2", "", "", strings.NewReader(`{"value":"written by kibana"}`), kibana); r.Status != 201 {
		t.Fatalf("elastic/kibana writing a Fleet secret: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/"+agents+"/_doc/s1", "", "", nil, kibana); r.Status != 200 || !strings.Contains(r.Body, canary) {
		t.Fatalf("elastic/kibana reading %s (positive control): %d %s", agents, r.Status, r.Body)
	}
}
