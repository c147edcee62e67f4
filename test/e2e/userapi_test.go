package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUserAPI: users created with PUT /_security/user log in at once with
// Basic authentication (after the users file's, in the native realm) and
// get their roles' access, never more; they change their own password,
// never another's, and cannot manage users; disabled and deleted users are
// refused; no answer shows a hash and the audit log never holds a
// password, even with request bodies emitted.
func TestUserAPI(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	pub, secret := fmt.Sprintf("e2e-ua-pub-%d", n), fmt.Sprintf("e2e-ua-secret-%d", n)
	o.Roles = "ua_reader:\n  indices:\n    - names: [\"e2e-ua-pub-*\"]\n      privileges: [read]\n"
	o.Audit = "  emit_request_body: true\n"
	p := startProxyWith(t, o, func(string) string { return "  native_users: native_users.json\n" })
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	const canary = "CANARY-USER-API"
	for ix, v := range map[string]string{pub: "public", secret: canary} {
		if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+v+`"}`), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+pub+","+secret, su.Name, su.Password, nil, nil) })
	as := func(user, pass, method, path, body string) result {
		if body != "" {
			return do(t, c, method, p.URL+path, user, pass, strings.NewReader(body), hj)
		}
		return do(t, c, method, p.URL+path, user, pass, nil, nil)
	}
	admin := func(method, path, body string) result { return as(su.Name, su.Password, method, path, body) }
	const davePass, daveNew, erinPass = "dave-Initial-7391", "dave-Changed-5820", "erin-Initial-4417"

	if r := as("dave", davePass, "GET", "/"+pub+"/_search", ""); r.Status != 401 {
		t.Fatalf("dave before he exists: %d %s", r.Status, r.Body)
	}
	if r := admin("PUT", "/_security/user/dave", `{"password":"`+davePass+`","roles":["ua_reader"],"full_name":"Dave E2E"}`); r.Status != 200 || !strings.Contains(r.Body, `"created":true`) {
		t.Fatalf("creating dave: %d %s", r.Status, r.Body)
	}
	if r := admin("PUT", "/_security/user/erin", `{"password":"`+erinPass+`","roles":[]}`); r.Status != 200 {
		t.Fatalf("creating erin: %d %s", r.Status, r.Body)
	}
	if r := as("dave", davePass, "GET", "/"+pub+"/_search", ""); r.Status != 200 || !strings.Contains(r.Body, "public") {
		t.Fatalf("dave reads pub: %d %s", r.Status, r.Body)
	}
	if r := as("dave", davePass, "GET", "/_security/_authenticate", ""); r.Status != 200 || !strings.Contains(r.Body, `"type":"native"`) || !strings.Contains(r.Body, `"full_name":"Dave E2E"`) {
		t.Fatalf("dave's _authenticate: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/" + secret + "/_search", "/e2e-ua-*/_search", "/_search", "/" + secret + "/_doc/1"} {
		if r := as("dave", davePass, "GET", path, ""); strings.Contains(r.Body, canary) {
			t.Fatalf("dave, %s showed the canary: %d %s", path, r.Status, r.Body)
		}
	}
	// The native realm looks users up for run_as, as the file realm does.
	runAs := map[string]string{"es-security-runas-user": "dave"}
	if r := do(t, c, "GET", p.URL+"/"+pub+"/_search", su.Name, su.Password, nil, runAs); r.Status != 200 || !strings.Contains(r.Body, "public") {
		t.Fatalf("running as dave, pub: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/"+secret+"/_search", su.Name, su.Password, nil, runAs); r.Status != 403 || strings.Contains(r.Body, canary) {
		t.Fatalf("running as dave, secret: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/_security/user", "/_security/user/dave", "/_security/user/dave,erin"} {
		r := admin("GET", path, "")
		if r.Status != 200 || !strings.Contains(r.Body, `"username":"dave"`) || strings.Contains(r.Body, "$2") ||
			strings.Contains(r.Body, "password") || strings.Contains(r.Body, davePass) {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}

	// dave changes his own password, and no one else's.
	if r := as("dave", davePass, "POST", "/_security/user/_password", `{"password":"`+daveNew+`"}`); r.Status != 200 {
		t.Fatalf("dave changing his password: %d %s", r.Status, r.Body)
	}
	if r := as("dave", davePass, "GET", "/"+pub+"/_search", ""); r.Status != 401 {
		t.Fatalf("dave's old password: %d %s", r.Status, r.Body)
	}
	if r := as("dave", daveNew, "GET", "/"+pub+"/_search", ""); r.Status != 200 {
		t.Fatalf("dave's new password: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct{ name, method, path, body string }{
		{"erin's password", "PUT", "/_security/user/erin/_password", `{"password":"hijacked-by-dave"}`},
		{"create a user", "PUT", "/_security/user/mallory", `{"password":"hijacked-by-dave","roles":["superuser"]}`},
		{"give himself superuser", "PUT", "/_security/user/dave", `{"roles":["superuser"]}`},
		{"disable erin", "PUT", "/_security/user/erin/_disable", ""},
		{"delete erin", "DELETE", "/_security/user/erin", ""},
	} {
		if r := as("dave", daveNew, tc.method, tc.path, tc.body); r.Status != 403 {
			t.Errorf("dave, %s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	if r := as("erin", erinPass, "GET", "/_security/_authenticate", ""); r.Status != 200 {
		t.Fatalf("erin after dave's attempts: %d %s", r.Status, r.Body)
	}
	if r := as("mallory", "hijacked-by-dave", "GET", "/_security/_authenticate", ""); r.Status != 401 {
		t.Fatalf("mallory: %d %s", r.Status, r.Body)
	}
	if r := as("dave", daveNew, "GET", "/"+secret+"/_search", ""); r.Status != 403 || strings.Contains(r.Body, canary) {
		t.Fatalf("dave after trying to become superuser: %d %s", r.Status, r.Body)
	}

	// A user of the users file is not the API's; reserved names are refused.
	if r := admin("PUT", "/_security/user/"+su.Name+"/_password", `{"password":"not-for-file-users"}`); r.Status != 400 {
		t.Fatalf("changing a file user's password: %d %s", r.Status, r.Body)
	}
	for _, name := range []string{"elastic", "kibana_system"} {
		if r := admin("PUT", "/_security/user/"+name, `{"password":"reserved-pass","roles":["superuser"]}`); r.Status != 400 {
			t.Fatalf("creating %s: %d %s", name, r.Status, r.Body)
		}
	}

	if r := admin("PUT", "/_security/user/dave/_disable", ""); r.Status != 200 {
		t.Fatalf("disabling dave: %d %s", r.Status, r.Body)
	}
	if r := as("dave", daveNew, "GET", "/"+pub+"/_search", ""); r.Status != 401 {
		t.Fatalf("disabled dave: %d %s", r.Status, r.Body)
	}
	if r := admin("PUT", "/_security/user/dave/_enable", ""); r.Status != 200 {
		t.Fatalf("enabling dave: %d %s", r.Status, r.Body)
	}
	if r := as("dave", daveNew, "GET", "/"+pub+"/_search", ""); r.Status != 200 {
		t.Fatalf("enabled dave: %d %s", r.Status, r.Body)
	}
	if r := admin("DELETE", "/_security/user/dave", ""); r.Status != 200 || !strings.Contains(r.Body, `"found":true`) {
		t.Fatalf("deleting dave: %d %s", r.Status, r.Body)
	}
	if r := as("dave", daveNew, "GET", "/"+pub+"/_search", ""); r.Status != 401 {
		t.Fatalf("deleted dave: %d %s", r.Status, r.Body)
	}
	if r := admin("GET", "/_security/user/dave", ""); r.Status != 404 {
		t.Fatalf("GET deleted dave: %d %s", r.Status, r.Body)
	}

	audit, err := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"event.action":"put_user"`, `"event.action":"change_password"`, `"event.action":"delete_user"`,
		`"event.action":"change_disable_user"`, `"event.action":"change_enable_user"`, `"name":"dave"`} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
	for _, pw := range []string{davePass, daveNew, erinPass, "hijacked-by-dave", "not-for-file-users", "reserved-pass"} {
		if strings.Contains(string(audit), pw) {
			t.Errorf("the audit log holds the password %q", pw)
		}
	}
	stored, err := os.ReadFile(filepath.Join(p.Dir, "native_users.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stored), `"password_hash": "$2a$10$`) || strings.Contains(string(stored), erinPass) {
		t.Fatalf("the users file: %s", stored)
	}
	if fi, err := os.Stat(filepath.Join(p.Dir, "native_users.json")); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("the users file is readable by others: %v %v", fi.Mode(), err)
	}
}
