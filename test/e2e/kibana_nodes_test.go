package e2e

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// kibanaVersionPoll is the request Kibana's elasticsearch service sends at
// startup and then every elasticsearch.healthCheck.delay (pollEsNodesVersion,
// internalClient.nodes.info with this filter_path): without an answer
// listing every node's version, Kibana never becomes ready ("Unable to
// retrieve version information from Elasticsearch nodes").
const kibanaVersionPoll = "/_nodes?filter_path=nodes.*.version%2Cnodes.*.http.publish_address%2Cnodes.*.ip"

// TestKibanaVersionPoll: Kibana behind the proxy gets its version check
// answered, with each node's version but without the nodes' addresses
// (which a sniffing client would use to go around the proxy); any other
// nodes-info request, and the same one asking for anything else, is still
// refused.
func TestKibanaVersionPoll(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	p, c, tokensFile := startProxyWithServiceTokens(t, o, "")
	kibana := kibanaToken(t, p, c, tokensFile)
	u, _ := url.Parse(os_)
	nodeHost := u.Hostname()

	r := do(t, c, "GET", p.URL+kibanaVersionPoll, "", "", nil, kibana)
	if r.Status != 200 {
		t.Fatalf("Kibana's version poll: %d %s", r.Status, r.Body)
	}
	var body struct {
		Nodes map[string]map[string]any `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || len(body.Nodes) == 0 {
		t.Fatalf("Kibana's version poll answered without nodes: %v %s", err, r.Body)
	}
	for id, n := range body.Nodes {
		if v, _ := n["version"].(string); v == "" || len(n) != 1 {
			t.Fatalf("node %s: want its version only, got %v", id, n)
		}
	}
	for _, leak := range []string{"publish_address", `"ip"`, nodeHost, "transport"} {
		if strings.Contains(r.Body, leak) {
			t.Fatalf("the version poll's answer shows %q: %s", leak, r.Body)
		}
	}
	// The superuser's answer is the same: nobody learns the addresses.
	if r := do(t, c, "GET", p.URL+kibanaVersionPoll, su.Name, su.Password, nil, nil); r.Status != 200 || strings.Contains(r.Body, nodeHost) {
		t.Fatalf("the superuser's version poll: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{
		"/_nodes", "/_nodes/http", "/_nodes/_all/http?filter_path=nodes.*.http", "/_nodes?filter_path=nodes.*.ip",
		"/_nodes?filter_path=nodes.*.version,nodes.*.http", "/_nodes?filter_path=nodes.*.version,nodes.**",
		"/_nodes?filter_path=nodes.*.version,-nodes.*.name", "/_nodes?filter_path=nodes.*.version,nodes.*.transport_address",
		"/_nodes?filter_path=nodes.*.version&filter_path=nodes.*.http", "/_nodes?filter_path=**.version",
		"/_cat/nodes?filter_path=nodes.*.version", "/_nodes/stats?filter_path=nodes.*.version",
	} {
		r := do(t, c, "GET", p.URL+path, su.Name, su.Password, nil, nil)
		if r.Status != 403 && r.Status != 400 || strings.Contains(r.Body, nodeHost+":") || strings.Contains(r.Body, "publish_address") {
			t.Fatalf("%s: want it refused, got %d %s", path, r.Status, r.Body)
		}
	}
	// Without credentials: 401, as for any request.
	if r := do(t, c, "GET", p.URL+kibanaVersionPoll, "", "", nil, map[string]string{"Authorization": "Bearer not-a-token"}); r.Status != 401 {
		t.Fatalf("a bad token's version poll: %d %s", r.Status, r.Body)
	}
}
