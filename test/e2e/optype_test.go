package e2e

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// TestCreateDocCannotOverwrite (checklist 35): the create_doc privilege
// adds documents but never overwrites one, whichever API the write comes
// through; the index privilege may. The canary document must keep its
// content.
func TestCreateDocCannotOverwrite(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	ix := fmt.Sprintf("e2e-optype-%d", time.Now().UnixNano())
	o.Users += "adder:" + su.Password + "\nwriter:" + su.Password + "\n"
	o.UsersRoles += "e2e_adder:adder\ne2e_writer:writer\n"
	o.Roles = "e2e_adder:\n  indices:\n    - names: [\"e2e-optype-*\"]\n      privileges: [create_doc, read]\n" +
		"e2e_writer:\n  indices:\n    - names: [\"e2e-optype-*\"]\n      privileges: [index, read]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	nd := map[string]string{"Content-Type": "application/x-ndjson"}
	const canary = "CANARY-OPTYPE-ORIGINAL"
	if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+canary+`"}`), hj); r.Status >= 300 {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+ix, su.Name, su.Password, nil, nil) })

	for _, tc := range []struct {
		name, user, method, path, body string
		hdr                            map[string]string
		want                           int
		itemStatus                     string // for _bulk: the item's status in the answer
	}{
		{"overwrite by id", "adder", "PUT", "/" + ix + "/_doc/1", `{"k":"overwritten"}`, hj, 403, ""},
		{"overwrite by POST with an id", "adder", "POST", "/" + ix + "/_doc/1", `{"k":"overwritten"}`, hj, 403, ""},
		{"overwrite with op_type=index", "adder", "PUT", "/" + ix + "/_doc/1?op_type=index", `{"k":"overwritten"}`, hj, 403, ""},
		{"overwrite through _bulk", "adder", "POST", "/_bulk", `{"index":{"_index":"` + ix + `","_id":"1"}}` + "\n" + `{"k":"overwritten"}` + "\n", nd, 200, `"status":403`},
		{"create by _create", "adder", "PUT", "/" + ix + "/_create/2", `{"k":"new"}`, hj, 201, ""},
		{"create with op_type=create", "adder", "PUT", "/" + ix + "/_doc/3?op_type=create", `{"k":"new"}`, hj, 201, ""},
		{"create with an auto id", "adder", "POST", "/" + ix + "/_doc", `{"k":"new"}`, hj, 201, ""},
		{"create through _bulk", "adder", "POST", "/_bulk", `{"create":{"_index":"` + ix + `","_id":"4"}}` + "\n" + `{"k":"new"}` + "\n", nd, 200, `"status":201`},
		{"create cannot overwrite either", "adder", "PUT", "/" + ix + "/_create/1", `{"k":"overwritten"}`, hj, 409, ""},
		{"the index privilege overwrites", "writer", "PUT", "/" + ix + "/_doc/5", `{"k":"new"}`, hj, 201, ""},
		{"the index privilege overwrites again", "writer", "PUT", "/" + ix + "/_doc/5", `{"k":"again"}`, hj, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			r := do(t, c, tc.method, p.URL+tc.path, tc.user, su.Password, body, tc.hdr)
			if r.Status != tc.want || (tc.itemStatus != "" && !strings.Contains(r.Body, tc.itemStatus)) {
				t.Fatalf("%s %s as %s: %d %s, want %d %s", tc.method, tc.path, tc.user, r.Status, r.Body, tc.want, tc.itemStatus)
			}
		})
	}
	r := do(t, c, "GET", p.URL+"/"+ix+"/_doc/1", su.Name, su.Password, nil, nil)
	if !strings.Contains(r.Body, canary) || strings.Contains(r.Body, "overwritten") {
		t.Fatalf("the document create_doc may not overwrite changed: %s", r.Body)
	}
}
