package e2e

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestWriteDoesNotCreateIndices (checklist 38): a write to an index that
// does not exist would make the cluster create it; that needs
// indices:admin/auto_create (create_index, auto_configure, manage), not
// just write. An index created a moment before (by another user, through
// the proxy) is written to without that privilege.
func TestWriteDoesNotCreateIndices(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	name := func(s string) string { return fmt.Sprintf("e2e-autoc-%s-%d", s, n) }
	o.Users += "writeonly:" + su.Password + "\nshipper:" + su.Password + "\n"
	o.UsersRoles += "e2e_writeonly:writeonly\ne2e_shipper:shipper\n"
	o.Roles = "e2e_writeonly:\n  indices:\n    - names: [\"e2e-autoc-*\"]\n      privileges: [write]\n" +
		"e2e_shipper:\n  indices:\n    - names: [\"e2e-autoc-*\"]\n      privileges: [create_doc, auto_configure]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	nd := map[string]string{"Content-Type": "application/x-ndjson"}
	t.Cleanup(func() {
		do(t, c, "DELETE", p.URL+fmt.Sprintf("/e2e-autoc-*-%d", n), su.Name, su.Password, nil, nil)
	})
	// An index the superuser creates through the proxy by writing to it,
	// right before the limited users write.
	if r := do(t, c, "POST", p.URL+"/_bulk", su.Name, su.Password, strings.NewReader(`{"index":{"_index":"`+name("fresh")+`","_id":"0"}}`+"\n{}\n"), nd); r.Status != 200 || strings.Contains(r.Body, `"errors":true`) {
		t.Fatalf("superuser creates %s: %d %s", name("fresh"), r.Status, r.Body)
	}

	for _, tc := range []struct {
		name, user, method, path, body string
		hdr                            map[string]string
		want                           int
		contains                       string
	}{
		{"write into a missing index", "writeonly", "PUT", "/" + name("new1") + "/_doc/1", `{}`, hj, 403, "indices:admin/auto_create"},
		{"create into a missing index", "writeonly", "POST", "/" + name("new2") + "/_doc", `{}`, hj, 403, "indices:admin/auto_create"},
		{"update with upsert into a missing index", "writeonly", "POST", "/" + name("new3") + "/_update/1", `{"doc":{},"doc_as_upsert":true}`, hj, 403, "indices:admin/auto_create"},
		{"bulk item into a missing index", "writeonly", "POST", "/_bulk", `{"index":{"_index":"` + name("new4") + `","_id":"1"}}` + "\n{}\n" +
			`{"index":{"_index":"` + name("fresh") + `","_id":"1"}}` + "\n{}\n", nd, 200, `"status":403`},
		// A delete with external versioning creates its index to keep the
		// version (TransportBulkAction), as a write does.
		{"externally versioned delete in a missing index", "writeonly", "DELETE", "/" + name("new5") + "/_doc/1?version=5&version_type=external", "", nil, 403, "indices:admin/auto_create"},
		{"externally versioned bulk delete in a missing index", "writeonly", "POST", "/_bulk", `{"delete":{"_index":"` + name("new6") + `","_id":"1","version":3,"version_type":"external_gte"}}` + "\n", nd, 200, `"status":403`},
		{"a plain delete in a missing index creates nothing", "writeonly", "DELETE", "/" + name("new7") + "/_doc/1", "", nil, 404, "index_not_found_exception"},
		{"write into the index created a moment ago", "writeonly", "PUT", "/" + name("fresh") + "/_doc/2", `{}`, hj, 201, ""},
		{"auto_configure may create", "shipper", "POST", "/" + name("shipped") + "/_doc", `{}`, hj, 201, ""},
		{"auto_configure through bulk", "shipper", "POST", "/_bulk", `{"create":{"_index":"` + name("shipped2") + `"}}` + "\n{}\n", nd, 200, `"status":201`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			r := do(t, c, tc.method, p.URL+tc.path, tc.user, su.Password, body, tc.hdr)
			if r.Status != tc.want || !strings.Contains(r.Body, tc.contains) {
				t.Fatalf("%s %s as %s: %d %s, want %d with %q", tc.method, tc.path, tc.user, r.Status, r.Body, tc.want, tc.contains)
			}
		})
	}
	// The bulk's other item went through; the refused indices do not exist.
	r := do(t, c, "GET", p.URL+"/"+name("fresh")+"/_doc/1", su.Name, su.Password, nil, nil)
	if !strings.Contains(r.Body, `"found":true`) {
		t.Errorf("the allowed bulk item was not written: %s", r.Body)
	}
	for _, s := range []string{"new1", "new2", "new3", "new4", "new5", "new6", "new7"} {
		if r := do(t, c, "HEAD", p.URL+"/"+name(s), su.Name, su.Password, nil, nil); r.Status != 404 {
			t.Errorf("%s exists (HEAD %d): a refused write created it", name(s), r.Status)
		}
	}
}
