package e2e

import (
	"strings"
	"testing"
)

// TestClusterPluginSearchesNeedFullAccess: OpenSearch's SQL, PPL and
// asynchronous search are cluster actions that search the indices their
// request names; the cluster behind the proxy would run them with full
// rights, without DLS. A user whose cluster privilege allows them but whose
// index privileges carry DLS (or stop short of some index) is refused by
// the proxy, nothing forwarded (the test node has none of these plugins: a
// forwarded request would come back as the cluster's 400 "no handler").
func TestClusterPluginSearchesNeedFullAccess(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	o.Users += "mgr:" + su.Password + "\n"
	o.UsersRoles += "r_mgr:mgr\n"
	o.Roles = "r_mgr:\n  cluster: [manage]\n  indices:\n    - names: [\"logs-*\"]\n      privileges: [read]\n      query: '{\"term\":{\"tenant\":\"acme\"}}'\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	for _, pr := range [][2]string{
		{"/_plugins/_sql?format=json", `{"query":"SELECT * FROM logs-globex-2024"}`},
		{"/_opendistro/_sql", `{"query":"SELECT * FROM hr-payroll"}`},
		{"/_plugins/_ppl", `{"query":"source=logs-globex-2024"}`},
		{"/_plugins/_asynchronous_search?index=logs-globex-2024", `{"query":{"match_all":{}}}`},
	} {
		r := do(t, c, "POST", p.URL+pr[0], "mgr", su.Password, strings.NewReader(pr[1]), hj)
		if r.Status != 403 || strings.Contains(r.Body, "no handler") {
			t.Errorf("POST %s: want 403 from the proxy, got %d %s", pr[0], r.Status, r.Body)
		}
	}
}
