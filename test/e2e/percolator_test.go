package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPercolatorLookupsRefused: a percolator field parses the query of each
// document indexed into it with the cluster's rights, and a terms lookup
// in that query reads any index when the document is written (its fetched
// terms can then be found by percolating, or by prefix queries on the
// field's extracted terms). A user who may manage and write an index but
// not read the secret one must not be able to define a percolator field,
// nor index, through _bulk (in memory or spooled), a query that looks a
// document up, nor have a script build one in an index with a percolator
// field.
func TestPercolatorLookupsRefused(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	o.Users += "percer:" + su.Password + "\n"
	o.UsersRoles += "e2e_percer:percer\n"
	o.Roles = "e2e_percer:\n  indices:\n    - names: [\"e2e-perc-*\"]\n      privileges: [all]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	secret, own, admins := fmt.Sprintf("e2e-psecret-%d", n), fmt.Sprintf("e2e-perc-own-%d", n), fmt.Sprintf("e2e-perc-adm-%d", n)
	canary := fmt.Sprintf("canary-perc-%d", n)
	percMapping := `{` + percolatorMapping + `}`
	if r := do(t, c, "PUT", p.URL+"/"+secret+"/_doc/s1?refresh=true", su.Name, su.Password, strings.NewReader(`{"code":"`+canary+`"}`), hj); r.Status >= 300 {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	// A percolator index an administrator made, which the user may write.
	if r := do(t, c, "PUT", p.URL+"/"+admins, su.Name, su.Password, strings.NewReader(percMapping), hj); r.Status != 200 {
		t.Fatalf("percolator index: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() {
		do(t, c, "DELETE", p.URL+fmt.Sprintf("/e2e-psecret-%d,e2e-perc-*-%d*", n, n), su.Name, su.Password, nil, nil)
	})
	lookup := func(id string) string {
		return `{"q":{"terms":{"tenant":{"index":"` + secret + `","id":"` + id + `","path":"code"}}}}`
	}
	scriptedUpsert := lookupUpsert(secret)
	bulk := `{"index":{"_id":"b1"}}` + "\n" + lookup("s1") + "\n" + `{"index":{"_id":"ok"}}` + "\n" + `{"q":{"term":{"tenant":"x"}}}` + "\n"
	gzipped := func(s string) string {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte(s))
		zw.Close()
		return gz.String()
	}
	nd, ndgz := map[string]string{"Content-Type": "application/x-ndjson"}, map[string]string{"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}

	for _, tc := range []struct {
		name, method, path, body string
		hdr                      map[string]string
		want                     int
		mustContain              string
	}{
		{"create an index with a percolator field", "PUT", "/" + own, percMapping, hj, 403, ""},
		{"create an index without one", "PUT", "/" + own, `{"mappings":{"properties":{"tenant":{"type":"keyword"}}}}`, hj, 200, ""},
		{"add a percolator field", "PUT", "/" + own + "/_mapping", `{"properties":{"q":{"type":"percolator"}}}`, hj, 403, ""},
		{"add a dynamic template mapping new fields as percolator", "PUT", "/" + own + "/_mapping", `{"dynamic_templates":[{"p":{"match":"q*","mapping":{"type":"percolator"}}}]}`, hj, 403, ""},
		{"index a looking-up query", "PUT", "/" + admins + "/_doc/d1?refresh=true", lookup("s1"), hj, 403, ""},
		{"bulk-index a looking-up query", "POST", "/" + admins + "/_bulk?refresh=true", bulk, map[string]string{"Content-Type": "application/x-ndjson"}, 200, `"status":403`},
		{"bulk-index a looking-up query, spooled (gzip)", "POST", "/" + admins + "/_bulk?refresh=true", gzipped(strings.ReplaceAll(bulk, `"b1"`, `"b2"`)), ndgz, 200, `"status":403`},
		// A script builds its document out of the proxy's sight.
		{"scripted upsert building a looking-up query", "POST", "/" + admins + "/_update/s1?refresh=true", scriptedUpsert, hj, 403, ""},
		{"bulk scripted upsert building a looking-up query", "POST", "/" + admins + "/_bulk?refresh=true", `{"update":{"_id":"s2"}}` + "\n" + scriptedUpsert + "\n", nd, 200, `"status":403`},
		{"bulk scripted upsert building a looking-up query, spooled (gzip)", "POST", "/" + admins + "/_bulk?refresh=true", gzipped(`{"update":{"_id":"s4"}}` + "\n" + scriptedUpsert + "\n"), ndgz, 200, `"status":403`},
		{"update by query with a script", "POST", "/" + admins + "/_update_by_query?refresh=true", `{"script":{"source":"ctx._source.tenant = 'y'"}}`, hj, 403, ""},
		{"scripted update of an index without percolator field", "POST", "/" + own + "/_update/s3?refresh=true", scriptedUpsert, hj, 201, ""},
		{"bulk-update with a looking-up upsert", "POST", "/" + admins + "/_bulk?refresh=true", `{"update":{"_id":"u1"}}` + "\n" + `{"doc":{"tenant":"a"},"upsert":` + lookup("s1") + `}` + "\n", map[string]string{"Content-Type": "application/x-ndjson"}, 200, `"status":403`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want < 300 && tc.mustContain == "" && strings.Contains(tc.body, `"script"`) {
				backendLacks(t, "painless") // a script the cluster runs; refusals need none
			}
			r := do(t, c, tc.method, p.URL+tc.path, "percer", su.Password, strings.NewReader(tc.body), tc.hdr)
			if r.Status != tc.want || !strings.Contains(r.Body, tc.mustContain) {
				t.Fatalf("%s %s: %d %s, want %d with %q", tc.method, tc.path, r.Status, r.Body, tc.want, tc.mustContain)
			}
		})
	}
	percolate := `{"query":{"percolate":{"field":"q","document":{"tenant":"` + canary + `"}}}}`
	if r := do(t, c, "POST", p.URL+"/"+admins+"/_search", "percer", su.Password, strings.NewReader(percolate), hj); r.Status != 200 || !strings.Contains(r.Body, `"total":{"value":0`) {
		t.Errorf("a refused looking-up query was stored: %d %s", r.Status, r.Body)
	}
	// Control: a looking-up query written straight to the cluster is stored
	// and matches the canary, so the probes above were real.
	if r := do(t, c, "PUT", os_+"/"+admins+"/_doc/su?refresh=true", su.Name, su.Password, strings.NewReader(lookup("s1")), hj); r.Status >= 300 {
		t.Fatalf("control write: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "POST", p.URL+"/"+admins+"/_search", su.Name, su.Password, strings.NewReader(percolate), hj); !strings.Contains(r.Body, `"_id":"su"`) {
		t.Fatalf("control: the superuser's looking-up query should match: %d %s", r.Status, r.Body)
	}
}
