package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRoleAPI (checklist 9): roles created with PUT /_security/role take
// effect at once for the users they are assigned to, are refused with an
// unknown privilege, a built-in name or a name roles.yml defines (which
// would win), and stop granting when deleted; the canary of an index no
// role grants never shows. Only a security manager may change roles.
func TestRoleAPI(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	pub, secret := fmt.Sprintf("e2e-role-pub-%d", n), fmt.Sprintf("e2e-role-secret-%d", n)
	o.Users += "alice:" + su.Password + "\nbob:" + su.Password + "\n"
	o.UsersRoles += "api_reader:alice\nshadowed:bob\n"
	o.Roles = "shadowed:\n  indices:\n    - names: [\"e2e-role-pub-*\"]\n      privileges: [read]\n"
	p := startProxyWith(t, o, func(string) string { return "  native_roles: native_roles.json\n" })
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	const canary = "CANARY-ROLE-API"
	for ix, v := range map[string]string{pub: "public", secret: canary} {
		if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+v+`"}`), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+pub+","+secret, su.Name, su.Password, nil, nil) })
	putRole := func(user, name, body string) result {
		return do(t, c, "PUT", p.URL+"/_security/role/"+name, user, su.Password, strings.NewReader(body), hj)
	}
	reads := func(user, index string) result {
		return do(t, c, "GET", p.URL+"/"+index+"/_search", user, su.Password, nil, nil)
	}
	const pubOnly = `{"indices":[{"names":["e2e-role-pub-*"],"privileges":["read"]}]}`
	const both = `{"indices":[{"names":["e2e-role-*"],"privileges":["read"]}]}`

	if r := reads("alice", pub); r.Status != 403 {
		t.Fatalf("alice before her role exists: %d %s", r.Status, r.Body)
	}
	if r := putRole(su.Name, "api_reader", pubOnly); r.Status != 200 || !strings.Contains(r.Body, `"created":true`) {
		t.Fatalf("creating api_reader: %d %s", r.Status, r.Body)
	}
	if r := reads("alice", pub); r.Status != 200 || !strings.Contains(r.Body, "public") {
		t.Fatalf("alice with api_reader: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/" + secret + "/_search", "/e2e-role-*/_search", "/_search"} {
		if r := do(t, c, "GET", p.URL+path, "alice", su.Password, nil, nil); strings.Contains(r.Body, canary) {
			t.Fatalf("alice, %s showed the canary: %d %s", path, r.Status, r.Body)
		}
	}
	if r := putRole(su.Name, "api_reader", both); r.Status != 200 || !strings.Contains(r.Body, `"created":false`) {
		t.Fatalf("updating api_reader: %d %s", r.Status, r.Body)
	}
	if r := reads("alice", secret); r.Status != 200 || !strings.Contains(r.Body, canary) {
		t.Fatalf("alice after her role was widened (positive control): %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/_security/role/api_reader", su.Name, su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"e2e-role-*"`) {
		t.Fatalf("reading api_reader: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/_security/role", su.Name, su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"_reserved":true`) || !strings.Contains(r.Body, `"api_reader"`) {
		t.Fatalf("listing roles: %d %s", r.Status, r.Body)
	}

	// A name the roles file defines cannot be created through the API
	// (the file would win, and the API's role would take over whenever
	// the file's broke).
	if r := putRole(su.Name, "shadowed", both); r.Status != 400 || !strings.Contains(r.Body, "defined in the roles file") {
		t.Fatalf("creating shadowed: %d %s", r.Status, r.Body)
	}
	if r := reads("bob", secret); r.Status != 403 || strings.Contains(r.Body, canary) {
		t.Fatalf("bob, whose file role shadows the API role: %d %s", r.Status, r.Body)
	}

	for name, body := range map[string]string{
		"superuser":  pubOnly,
		"bad_priv":   `{"indices":[{"names":["x"],"privileges":["reed"]}]}`,
		"bad_field":  `{"indices":[{"names":["x"],"privileges":["read"]}],"bogus":1}`,
		"bad_body":   `[1,2]`,
		"dup_fields": `{"cluster":["monitor"],"cluster":["all"]}`,
	} {
		if r := putRole(su.Name, name, body); r.Status != 400 {
			t.Errorf("role %s %s: %d %s", name, body, r.Status, r.Body)
		}
	}
	if r := putRole("alice", "alice_made", both); r.Status != 403 {
		t.Fatalf("alice creating a role: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "DELETE", p.URL+"/_security/role/api_reader", su.Name, su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"found":true`) {
		t.Fatalf("deleting api_reader: %d %s", r.Status, r.Body)
	}
	if r := reads("alice", secret); r.Status != 403 || strings.Contains(r.Body, canary) {
		t.Fatalf("alice after her role was deleted: %d %s", r.Status, r.Body)
	}
	audit, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	for _, want := range []string{`"event.action":"put_role"`, `"event.action":"delete_role"`, `"name":"api_reader"`} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
}
