package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestChecklistPrivileges covers conformance items the other suites touch
// only in part, against the real cluster:
//   - 36: create may overwrite with PUT _doc/{id} but not _update;
//   - 39: view_index_metadata reads _mapping, _settings, _alias,
//     _field_caps and _resolve/index, and may not search (the canary of
//     the document never shows);
//   - 48: read_security reads roles but may not write them;
//   - 76: X-Opaque-Id and X-Forwarded-For reach the audit verbatim.
func TestChecklistPrivileges(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	ix := fmt.Sprintf("e2e-cl-%d", n)
	o.Users += "creator:" + su.Password + "\nmeta:" + su.Password + "\nsecreader:" + su.Password + "\n"
	o.UsersRoles += "cl_create:creator\ncl_meta:meta\ncl_secread:secreader\n"
	o.Roles = "cl_create:\n  indices:\n    - names: [\"e2e-cl-*\"]\n      privileges: [create]\n" +
		"cl_meta:\n  indices:\n    - names: [\"e2e-cl-*\"]\n      privileges: [view_index_metadata]\n" +
		"cl_secread:\n  cluster: [read_security]\n"
	p := startProxyWith(t, o, func(string) string { return "  native_roles: native_roles.json\n" })
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	const canary = "CANARY-CHECKLIST"
	if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+canary+`"}`), hj); r.Status >= 300 {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+ix, su.Name, su.Password, nil, nil) })

	// 36.
	if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/2?refresh=true", "creator", su.Password, strings.NewReader(`{"k":"new"}`), hj); r.Status != 201 {
		t.Fatalf("create: PUT _doc/2: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/2?refresh=true", "creator", su.Password, strings.NewReader(`{"k":"again"}`), hj); r.Status != 200 {
		t.Fatalf("create: PUT _doc/2 overwriting: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "POST", p.URL+"/"+ix+"/_update/1", "creator", su.Password, strings.NewReader(`{"doc":{"k":"changed"}}`), hj); r.Status != 403 {
		t.Fatalf("create: _update: %d %s", r.Status, r.Body)
	}

	// 39.
	for _, path := range []string{"/" + ix + "/_mapping", "/" + ix + "/_settings", "/" + ix + "/_alias", "/" + ix + "/_field_caps?fields=*", "/_resolve/index/" + ix} {
		if r := do(t, c, "GET", p.URL+path, "meta", su.Password, nil, nil); r.Status != 200 || strings.Contains(r.Body, canary) {
			t.Errorf("view_index_metadata: GET %s: %d %s", path, r.Status, r.Body)
		}
	}
	for _, path := range []string{"/" + ix + "/_search", "/" + ix + "/_doc/1", "/" + ix + "/_count"} {
		if r := do(t, c, "GET", p.URL+path, "meta", su.Password, nil, nil); r.Status != 403 || strings.Contains(r.Body, canary) {
			t.Errorf("view_index_metadata: GET %s: %d %s", path, r.Status, r.Body)
		}
	}

	// 48.
	if r := do(t, c, "GET", p.URL+"/_security/role", "secreader", su.Password, nil, nil); r.Status != 200 {
		t.Fatalf("read_security: GET roles: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "PUT", p.URL+"/_security/role/x", "secreader", su.Password, strings.NewReader(`{"cluster":["all"]}`), hj); r.Status != 403 {
		t.Fatalf("read_security: PUT role: %d %s", r.Status, r.Body)
	}

	// 76.
	hdr := map[string]string{"X-Opaque-Id": "task \"42\"", "X-Forwarded-For": "203.0.113.7, 10.0.0.1"}
	if r := do(t, c, "GET", p.URL+"/"+ix+"/_search", "meta", su.Password, nil, hdr); r.Status != 403 {
		t.Fatalf("the audited denial: %d %s", r.Status, r.Body)
	}
	audit, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	for _, want := range []string{`"opaque_id":"task \"42\""`, `"x_forwarded_for":"203.0.113.7, 10.0.0.1"`} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
}
