package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunAs (checklist 16–18): an application user whose role lists alice
// in run_as searches with es-security-runas-user: alice's narrowing
// applies (the canary of an index only the application may read never
// shows), the header never reaches the cluster as a way around it, and
// the audit log names both users. Unknown users and users run_as does not
// list are refused.
func TestRunAs(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	pub, secret := fmt.Sprintf("e2e-ra-pub-%d", n), fmt.Sprintf("e2e-ra-secret-%d", n)
	o.Users += "app:" + su.Password + "\nalice:" + su.Password + "\nbob:" + su.Password + "\n"
	o.UsersRoles += "e2e_app:app\ne2e_alice:alice\ne2e_alice:bob\n"
	o.Roles = "e2e_app:\n  run_as: [alice]\n  indices:\n    - names: [\"e2e-ra-*\"]\n      privileges: [read]\n" +
		"e2e_alice:\n  indices:\n    - names: [\"e2e-ra-pub-*\"]\n      privileges: [read]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	const canary = "CANARY-RUNAS-SECRET"
	for ix, v := range map[string]string{pub: "public", secret: canary} {
		if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+v+`"}`), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+pub+","+secret, su.Name, su.Password, nil, nil) })
	as := func(user string) map[string]string { return map[string]string{"es-security-runas-user": user} }

	r := do(t, c, "GET", p.URL+"/e2e-ra-*/_search", "app", su.Password, nil, nil)
	if r.Status != 200 || !strings.Contains(r.Body, canary) {
		t.Fatalf("the application itself reads both indices (positive control): %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/e2e-ra-*/_search", "/_search", "/" + pub + "," + secret + "/_search?ignore_unavailable=true"} {
		r := do(t, c, "GET", p.URL+path, "app", su.Password, nil, as("alice"))
		if strings.Contains(r.Body, canary) {
			t.Fatalf("run as alice, %s showed the canary of an index only the application may read: %s", path, r.Body)
		}
		if r.Status == 200 && !strings.Contains(r.Body, pub) {
			t.Fatalf("run as alice, %s did not show alice's index: %s", path, r.Body)
		}
	}
	if r := do(t, c, "GET", p.URL+"/"+secret+"/_search", "app", su.Password, nil, as("alice")); r.Status != 403 || !strings.Contains(r.Body, "[alice]") {
		t.Fatalf("run as alice, naming the secret index: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/_security/_authenticate", "app", su.Password, nil, as("alice")); r.Status != 200 || !strings.Contains(r.Body, `"username":"alice"`) {
		t.Fatalf("_authenticate as alice: %d %s", r.Status, r.Body)
	}
	for _, target := range []string{"bob", "nobody", "app"} {
		r := do(t, c, "GET", p.URL+"/"+pub+"/_search", "app", su.Password, nil, as(target))
		if r.Status != 403 || !strings.Contains(r.Body, "is unauthorized to run as ["+target+"]") || strings.Contains(r.Body, canary) {
			t.Fatalf("run as %s: %d %s", target, r.Status, r.Body)
		}
	}
	if r := do(t, c, "GET", p.URL+"/"+pub+"/_search", "alice", su.Password, nil, as("app")); r.Status != 403 {
		t.Fatalf("alice, without run_as, as the application: %d %s", r.Status, r.Body)
	}
	log, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	for _, want := range []string{
		`"event.action":"run_as_granted"`,
		`"user.name":"app","user.run_as.name":"alice"`,
		`"user.name":"alice","user.run_by.name":"app"`,
		`"event.action":"run_as_denied"`,
		`"user.name":"app","user.run_as.name":"nobody"`,
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("the audit log lacks %s:\n%s", want, log)
		}
	}
}
