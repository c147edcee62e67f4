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
	for _, path := range []string{"/_cat/indices?format=json", "/_mapping", "/_settings", "/_resolve/index/*", "/_resolve/index/e2e-*"} {
		if r := do(t, c, "GET", p.URL+path, "lister", su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, visible) {
			t.Errorf("GET %s should list %s: %d %.300s", path, visible, r.Status, r.Body)
		}
	}
}

// TestAliasListingShowsOnlyAuthorizedAliases: the get-alias API lists only
// the aliases whose names the user may access, as Elasticsearch narrows an
// AliasesRequest; an explicitly named alias outside the user's grant is
// 403. The forbidden alias (its name and its filter are canaries) sits on
// an index the user may see, so narrowing the indices alone lists it.
func TestAliasListingShowsOnlyAuthorizedAliases(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	visible, bare := fmt.Sprintf("e2e-alvis-%d", n), fmt.Sprintf("e2e-alvis-bare-%d", n)
	okAlias, secretAlias := fmt.Sprintf("e2e-alvis-ok-%d", n), fmt.Sprintf("e2e-alsecret-%d", n)
	filterCanary := fmt.Sprintf("CANARY-ALIASFILTER-%d", n)
	o.Users += "aliaser:" + su.Password + "\n"
	o.UsersRoles += "e2e_aliaser:aliaser\n"
	o.Roles = "e2e_aliaser:\n  indices:\n    - names: [\"e2e-alvis-*\"]\n      privileges: [view_index_metadata]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	for _, ix := range []string{visible, bare} {
		if r := do(t, c, "PUT", p.URL+"/"+ix, su.Name, su.Password, nil, nil); r.Status != 200 {
			t.Fatalf("create %s: %d %s", ix, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+visible+","+bare, su.Name, su.Password, nil, nil) })
	if r := do(t, c, "POST", p.URL+"/_aliases", su.Name, su.Password, strings.NewReader(`{"actions":[`+
		`{"add":{"index":"`+visible+`","alias":"`+okAlias+`"}},`+
		`{"add":{"index":"`+visible+`","alias":"`+secretAlias+`","filter":{"term":{"k":"`+filterCanary+`"}}}}]}`), hj); r.Status != 200 {
		t.Fatalf("aliases: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/_alias", su.Name, su.Password, nil, nil); !strings.Contains(r.Body, secretAlias) || !strings.Contains(r.Body, filterCanary) {
		t.Fatalf("control: the superuser sees the alias: %d %.300s", r.Status, r.Body)
	}
	// The proxy learns of new aliases when it refreshes its view of the
	// cluster (at once after an alias change it forwarded, asynchronously).
	for i := 0; i < 50; i++ {
		if r := do(t, c, "GET", p.URL+"/_alias", "aliaser", su.Password, nil, nil); strings.Contains(r.Body, okAlias) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, tc := range []struct {
		method, path string
		want         int
		listsOK      bool
	}{
		{"GET", "/_alias", 200, true},
		{"GET", "/_alias/*", 200, true},
		{"GET", "/_alias/_all", 200, true},
		{"GET", "/_alias/e2e-al*", 200, true},
		{"GET", "/" + visible + "/_alias", 200, true},
		{"GET", "/" + visible + "/_alias/*", 200, true},
		{"GET", "/e2e-alvis-*/_alias", 200, true},
		{"GET", "/" + bare + "/_alias", 200, false}, // no authorized alias there: an empty answer, not 404
		{"GET", "/_alias/" + secretAlias, 403, false},
		{"GET", "/" + visible + "/_alias/" + secretAlias, 403, false},
		{"GET", "/" + visible + "/_alias/" + okAlias + "," + secretAlias, 403, false},
		{"HEAD", "/_alias/" + secretAlias, 403, false},
		{"HEAD", "/" + bare + "/_alias", 200, false}, // as the cluster answers a listing with no alias
		{"HEAD", "/_alias/" + okAlias, 200, false},
	} {
		r := do(t, c, tc.method, p.URL+tc.path, "aliaser", su.Password, nil, nil)
		// A refusal names the alias asked about, as Elasticsearch's does.
		if (r.Status < 300 && strings.Contains(r.Body, secretAlias)) || strings.Contains(r.Body, filterCanary) {
			t.Errorf("LEAK: %s %s names the forbidden alias: %d %.400s", tc.method, tc.path, r.Status, r.Body)
		}
		if r.Status != tc.want || (tc.listsOK && !strings.Contains(r.Body, okAlias)) {
			t.Errorf("%s %s: %d %.300s, want %d (listing %s: %v)", tc.method, tc.path, r.Status, r.Body, tc.want, okAlias, tc.listsOK)
		}
	}
}
