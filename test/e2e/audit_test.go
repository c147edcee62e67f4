package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAuditTrail: each decision is in the audit log in Elastic's format,
// tied to the response by request.id, and the hash chain verifies; a
// modified record is reported with its file and line.
func TestAuditTrail(t *testing.T) {
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	o.Users += "reader:" + u.Password + "\n"
	o.UsersRoles += "viewer:reader\n"
	p := startProxy(t, o)
	c := p.client(nil)
	granted := do(t, c, "GET", p.URL+"/_cluster/health", u.Name, u.Password, nil, nil)
	denied := do(t, c, "PUT", p.URL+"/_cluster/settings", "reader", u.Password, strings.NewReader("{}"), map[string]string{"Content-Type": "application/json"})
	failed := do(t, c, "GET", p.URL+"/", "mallory", "guess", nil, nil)
	if granted.Status != 200 || denied.Status != 403 || failed.Status != 401 {
		t.Fatalf("statuses %d %d %d", granted.Status, denied.Status, failed.Status)
	}
	// A change of the roles file is a security_config_change event naming
	// the role added.
	writeFile(t, filepath.Join(p.Dir, "roles.yml"), "extra_role:\n  cluster: [monitor]\n")
	log := filepath.Join(p.Dir, "audit.json")
	if !eventually(5*time.Second, func() bool {
		b, _ := os.ReadFile(log)
		return strings.Contains(string(b), `"event.type":"security_config_change","event.action":"reload_file"`)
	}) {
		t.Fatal("no security_config_change event for the roles file change")
	}
	if b, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json")); !strings.Contains(string(b), `"added":["extra_role"]`) {
		t.Fatal("the security_config_change event does not name the added role")
	}
	events := map[string]map[string]any{}
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit line is not JSON: %v: %s", err, sc.Text())
		}
		if ev["type"] != "audit" || ev["chain.hash"] == nil {
			t.Fatalf("not an audit record: %s", sc.Text())
		}
		if id, ok := ev["request.id"].(string); ok {
			events[id] = ev
		}
	}
	f.Close()
	check := func(r result, action, user string) {
		t.Helper()
		ev := events[r.Header.Get("X-Request-Id")]
		if ev == nil || ev["event.action"] != action || ev["user.name"] != user {
			t.Fatalf("no %s event for user %s with request.id %s: %v", action, user, r.Header.Get("X-Request-Id"), ev)
		}
	}
	check(granted, "access_granted", u.Name)
	check(denied, "access_denied", "reader")
	check(failed, "authentication_failed", "mallory")
	if ev := events[denied.Header.Get("X-Request-Id")]; ev["action"] != "cluster:admin/settings/update" {
		t.Fatalf("denied event action: %v", ev["action"])
	}

	out, err := exec.Command(proxyBin, "audit", "verify", log).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "OK") {
		t.Fatalf("verify on an intact log: %v %s", err, out)
	}
	data, _ := os.ReadFile(log)
	tampered := strings.Replace(string(data), `"user.name":"reader"`, `"user.name":"admin1"`, 1)
	if tampered == string(data) {
		t.Fatal("nothing to tamper with")
	}
	if err := os.WriteFile(log, []byte(tampered), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(proxyBin, "audit", "verify", log).CombinedOutput()
	if err == nil || !strings.Contains(string(out), log+":") {
		t.Fatalf("verify did not report the modified record: %v %s", err, out)
	}
}
