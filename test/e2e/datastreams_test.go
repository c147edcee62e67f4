package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestDataStreamListings: the data stream APIs list only the data streams
// the user may see. Their wildcards (and the implicit "all") are resolved
// to data streams alone, as Elasticsearch does: narrowing them to the
// user's indices or aliases too made the cluster refuse the request (400),
// and a user with no data stream gets an empty list, not an error. The
// name of a data stream the user may not see never appears.
func TestDataStreamListings(t *testing.T) {
	os_ := openSearchURL(t)
	backendLacks(t, "data streams")
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	mine, other := fmt.Sprintf("e2e-dsv-mine-%d", n), fmt.Sprintf("e2e-dsv-other-%d", n)
	plain, alias := fmt.Sprintf("e2e-dsv-mine-plain-%d", n), fmt.Sprintf("e2e-dsv-mine-alias-%d", n)
	tmpl := fmt.Sprintf("e2e-dsv-%d", n)
	o.Users += "viewer:" + su.Password + "\nnone:" + su.Password + "\n"
	o.UsersRoles += "e2e_dsv:viewer\ne2e_dsv_none:none\n"
	o.Roles = "e2e_dsv:\n  indices:\n    - names: [\"e2e-dsv-mine-*\"]\n      privileges: [view_index_metadata, monitor]\n" +
		"e2e_dsv_none:\n  indices:\n    - names: [\"e2e-dsv-nothing-*\"]\n      privileges: [view_index_metadata, monitor]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	for _, step := range [][3]string{
		{"PUT", "/_index_template/" + tmpl, `{"index_patterns":["e2e-dsv-mine-` + fmt.Sprint(n) + `","e2e-dsv-other-` + fmt.Sprint(n) + `"],"data_stream":{},"priority":500}`},
		{"PUT", "/_data_stream/" + mine, ""},
		{"PUT", "/_data_stream/" + other, ""},
		{"PUT", "/" + plain, `{"aliases":{"` + alias + `":{}}}`},
	} {
		var body *strings.Reader
		if step[2] != "" {
			body = strings.NewReader(step[2])
		}
		var r result
		if body != nil {
			r = do(t, c, step[0], p.URL+step[1], su.Name, su.Password, body, hj)
		} else {
			r = do(t, c, step[0], p.URL+step[1], su.Name, su.Password, nil, nil)
		}
		if r.Status >= 300 {
			t.Fatalf("%s %s: %d %s", step[0], step[1], r.Status, r.Body)
		}
	}
	t.Cleanup(func() {
		do(t, c, "DELETE", p.URL+"/_data_stream/"+mine+","+other, su.Name, su.Password, nil, nil)
		do(t, c, "DELETE", p.URL+"/"+plain, su.Name, su.Password, nil, nil)
		do(t, c, "DELETE", p.URL+"/_index_template/"+tmpl, su.Name, su.Password, nil, nil)
	})
	// The creations above refresh the proxy's view of the cluster.
	eventually(10*time.Second, func() bool {
		return strings.Contains(do(t, c, "GET", p.URL+"/_data_stream", "viewer", su.Password, nil, nil).Body, mine)
	})

	for _, path := range []string{"/_data_stream", "/_data_stream/*", "/_data_stream/e2e-dsv-*", "/_data_stream/_stats", "/_data_stream/e2e-dsv-*/_stats"} {
		r := do(t, c, "GET", p.URL+path, "viewer", su.Password, nil, nil)
		if r.Status != 200 || !strings.Contains(r.Body, mine) {
			t.Fatalf("viewer, %s: %d %s (want 200 listing %s)", path, r.Status, r.Body, mine)
		}
		if strings.Contains(r.Body, other) || strings.Contains(r.Body, plain) || strings.Contains(r.Body, alias) {
			t.Fatalf("viewer, %s lists a name that is not one of the user's data streams: %s", path, r.Body)
		}
		r = do(t, c, "GET", p.URL+path, "none", su.Password, nil, nil)
		if r.Status != 200 || strings.Contains(r.Body, "e2e-dsv-") {
			t.Fatalf("a user without data streams, %s: %d %s (want an empty 200)", path, r.Status, r.Body)
		}
	}
}
