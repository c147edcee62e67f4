package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestListingsShowOnlyAuthorizedIndices: listing and metadata APIs called
// without an index, with "_all" or with wildcards answer only about the
// indices the user may see, in JSON and in text; the forbidden index's name
// (a canary) never appears.
func TestListingsShowOnlyAuthorizedIndices(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	visible := fmt.Sprintf("e2e-listvis-%d", n)
	secret := fmt.Sprintf("e2e-canary-listsecret-%d", n)
	o.Users += "lister:" + su.Password + "\n"
	o.UsersRoles += "e2e_lister:lister\n"
	o.Roles = "e2e_lister:\n  cluster: [monitor]\n  indices:\n    - names: [\"e2e-listvis-*\"]\n      privileges: [read, view_index_metadata, monitor]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	for _, ix := range []string{visible, secret} {
		if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"a":1}`), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	if r := do(t, c, "PUT", p.URL+"/"+secret+"/_alias/"+secret+"-alias", su.Name, su.Password, nil, nil); r.Status != 200 {
		t.Fatalf("alias: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+visible+","+secret, su.Name, su.Password, nil, nil) })
	// The superuser's listing names both, so the probes are real.
	if r := do(t, c, "GET", p.URL+"/_cat/indices?format=json", su.Name, su.Password, nil, nil); !strings.Contains(r.Body, secret) || !strings.Contains(r.Body, visible) {
		t.Fatalf("control: %d %.300s", r.Status, r.Body)
	}
	canary := "e2e-canary-listsecret"
	for _, path := range []string{
		"/_cat/indices", "/_cat/indices?format=json", "/_cat/indices/*?v", "/_cat/aliases", "/_cat/aliases?format=json",
		"/_cat/count", "/_cat/shards", "/_cat/shards?format=json", "/_cat/segments", "/_cat/recovery",
		"/_alias", "/_aliases", "/_alias/*", "/_mapping", "/_all/_mapping", "/*/_mapping", "/_settings", "/_all/_settings",
		"/_stats", "/_all/_stats", "/_segments", "/_recovery", "/*", "/_resolve/index/*", "/_field_caps?fields=*",
		"/_data_stream", "/_search?size=50", "/_count", "/_all/_search", "/e2e-*/_search",
	} {
		r := do(t, c, "GET", p.URL+path, "lister", su.Password, nil, nil)
		if strings.Contains(r.Body, canary) {
			t.Errorf("LEAK: GET %s names the forbidden index: %d %.400s", path, r.Status, r.Body)
		}
		if r.Status >= 500 {
			t.Errorf("GET %s: %d %.300s", path, r.Status, r.Body)
		}
	}
	// The visible index is listed where it should be.
	for _, path := range []string{"/_cat/indices?format=json", "/_mapping", "/_settings"} {
		if r := do(t, c, "GET", p.URL+path, "lister", su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, visible) {
			t.Errorf("GET %s should list %s: %d %.300s", path, visible, r.Status, r.Body)
		}
	}
}
