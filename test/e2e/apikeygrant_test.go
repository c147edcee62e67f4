package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGrantAPIKeyForKibana: Kibana (a user with the built-in kibana_system
// role, as Kibana's alerting does it) grants an API key for alice with
// alice's password. The key runs as alice against the real cluster: it
// reads alice's index, and the canary of an index alice may not read never
// appears through it (nor through a wildcard). A wrong password, and a
// caller without grant_api_key, get no key; the audit trail names alice
// and never holds her password.
func TestGrantAPIKeyForKibana(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	mine, other := fmt.Sprintf("e2e-grant-mine-%d", n), fmt.Sprintf("e2e-grant-other-%d", n)
	o.Users += "kib:" + su.Password + "\nalice:" + su.Password + "\n"
	o.UsersRoles += "kibana_system:kib\ne2e_grant_alice:alice\n"
	o.Roles = "e2e_grant_alice:\n  indices:\n    - names: [\"e2e-grant-mine-*\"]\n      privileges: [read]\n"
	p := startProxyWith(t, o, func(string) string { return "  api_keys:\n    file: api_keys.json\n" })
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	const canary = "CANARY-GRANT-OTHER"
	for ix, v := range map[string]string{mine: "alice-visible", other: canary} {
		if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+v+`"}`), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+mine+","+other, su.Name, su.Password, nil, nil) })

	grant := func(caller, password string) result {
		t.Helper()
		body := `{"grant_type":"password","username":"alice","password":"` + password + `","api_key":{"name":"rule-` + caller + `"}}`
		return do(t, c, "POST", p.URL+"/_security/api_key/grant", caller, su.Password, strings.NewReader(body), hj)
	}
	if r := grant("kib", "not-"+su.Password); r.Status != 401 {
		t.Fatalf("grant with a wrong password: %d %s", r.Status, r.Body)
	}
	if r := grant("alice", su.Password); r.Status != 403 {
		t.Fatalf("alice (no grant_api_key) granting herself a key: %d %s", r.Status, r.Body)
	}
	r := grant("kib", su.Password)
	var key struct{ ID, Encoded string }
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &key) != nil || key.Encoded == "" {
		t.Fatalf("kibana_system granting alice a key: %d %s", r.Status, r.Body)
	}
	withKey := map[string]string{"Authorization": "ApiKey " + key.Encoded}
	if r := do(t, c, "GET", p.URL+"/_security/_authenticate", "", "", nil, withKey); r.Status != 200 || !strings.Contains(r.Body, `"username":"alice"`) {
		t.Fatalf("the granted key is not alice's: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/"+mine+"/_search", "", "", nil, withKey); r.Status != 200 || !strings.Contains(r.Body, "alice-visible") {
		t.Fatalf("the granted key on alice's index: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/" + other + "/_search", "/e2e-grant-*/_search", "/_search?q=" + canary, "/" + other + "/_doc/1"} {
		r := do(t, c, "GET", p.URL+path, "", "", nil, withKey)
		if strings.Contains(r.Body, canary) {
			t.Fatalf("the key granted for alice read %s: %d %s", path, r.Status, r.Body)
		}
	}
	if r := do(t, c, "GET", p.URL+"/"+other+"/_search", "", "", nil, withKey); r.Status != 403 {
		t.Fatalf("the key granted for alice on an index alice may not read: %d %s", r.Status, r.Body)
	}

	trail, err := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(trail), su.Password) {
		t.Fatal("the audit trail holds the grant's password")
	}
	if !strings.Contains(string(trail), `"grant":{"type":"password","user":{"name":"alice","has_password":true}}`) {
		t.Fatalf("no create_apikey record of the grant for alice in the audit trail")
	}
}
