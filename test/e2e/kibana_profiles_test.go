package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKibanaProfileLogin replays what Kibana 8 does at a login through its
// own form (a stand-in for Kibana, which cannot be installed here: its
// documented sequence, with its own service account): authenticate the
// user's credentials, activate the user's profile with them as
// elastic/kibana, read the user's settings, save a setting, suggest
// assignees and keep those who may read an index. The profile APIs are
// answered by the proxy and never reach the cluster; a wrong password
// activates nothing; elastic/kibana may write only Kibana's data; the
// password is never in the audit trail.
func TestKibanaProfileLogin(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	o.Users += "alice:" + su.Password + "\nbob:" + su.Password + "\n"
	o.UsersRoles += "e2e_prof_reader:alice\n"
	o.Roles = "e2e_prof_reader:\n  indices:\n    - names: [\"e2e-prof-*\"]\n      privileges: [read]\n"
	p, c, tokens := startProxyWithServiceTokens(t, o, "  user_profiles: profiles.json\n")
	kibana := kibanaToken(t, p, c, tokens)
	hj := func(h map[string]string) map[string]string {
		out := map[string]string{"Content-Type": "application/json"}
		for k, v := range h {
			out[k] = v
		}
		return out
	}

	if r := do(t, c, "GET", p.URL+"/_security/_authenticate", "alice", su.Password, nil, nil); r.Status != 200 {
		t.Fatalf("alice authenticates: %d %s", r.Status, r.Body)
	}
	activate := func(user, password string) result {
		return do(t, c, "POST", p.URL+"/_security/profile/_activate", "", "",
			strings.NewReader(`{"grant_type":"password","username":"`+user+`","password":"`+password+`"}`), hj(kibana))
	}
	if r := activate("alice", "not-"+su.Password); r.Status != 401 {
		t.Fatalf("activation with a wrong password: %d %s", r.Status, r.Body)
	}
	r := activate("alice", su.Password)
	var alice struct {
		UID  string `json:"uid"`
		User struct {
			Username string   `json:"username"`
			Roles    []string `json:"roles"`
		} `json:"user"`
	}
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &alice) != nil || alice.User.Username != "alice" || strings.Join(alice.User.Roles, ",") != "e2e_prof_reader" {
		t.Fatalf("activating alice's profile: %d %s", r.Status, r.Body)
	}
	var bob struct{ UID string }
	if r := activate("bob", su.Password); r.Status != 200 || json.Unmarshal([]byte(r.Body), &bob) != nil || bob.UID == alice.UID {
		t.Fatalf("activating bob's profile: %d %s", r.Status, r.Body)
	}

	if r := do(t, c, "POST", p.URL+"/_security/profile/"+alice.UID+"/_data", "", "", strings.NewReader(`{"data":{"kibana":{"userSettings":{"darkMode":"dark"}}}}`), hj(kibana)); r.Status != 200 {
		t.Fatalf("saving alice's dark mode: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "POST", p.URL+"/_security/profile/"+alice.UID+"/_data", "", "", strings.NewReader(`{"data":{"fleet":{"x":1}}}`), hj(kibana)); r.Status != 403 {
		t.Fatalf("elastic/kibana writing another application's profile data: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/_security/profile/"+alice.UID+"?data=kibana.*", "", "", nil, kibana); r.Status != 200 || !strings.Contains(r.Body, `"darkMode":"dark"`) {
		t.Fatalf("reading alice's settings: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "POST", p.URL+"/_security/profile/_suggest", "", "", strings.NewReader(`{"name":"ali"}`), hj(kibana)); r.Status != 200 || !strings.Contains(r.Body, alice.UID) || strings.Contains(r.Body, bob.UID) {
		t.Fatalf("suggesting ali: %d %s", r.Status, r.Body)
	}
	r = do(t, c, "POST", p.URL+"/_security/profile/_has_privileges", "", "",
		strings.NewReader(`{"uids":["`+alice.UID+`","`+bob.UID+`"],"privileges":{"index":[{"names":["e2e-prof-cases"],"privileges":["read"]}]}}`), hj(kibana))
	if r.Status != 200 || !strings.Contains(r.Body, `"has_privilege_uids":["`+alice.UID+`"]`) {
		t.Fatalf("who may read e2e-prof-cases: %d %s", r.Status, r.Body)
	}
	// Activating needs the profile privileges Kibana's account holds.
	if r := do(t, c, "POST", p.URL+"/_security/profile/_activate", "alice", su.Password, strings.NewReader(`{"grant_type":"password","username":"alice","password":"`+su.Password+`"}`), hj(nil)); r.Status != 403 {
		t.Fatalf("alice activating profiles herself: %d %s", r.Status, r.Body)
	}

	trail, err := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(trail), su.Password) {
		t.Fatal("the audit trail holds a password of a profile activation")
	}
	for _, want := range []string{`"event.action":"activate_user_profile"`, `"event.action":"update_user_profile_data"`} {
		if !strings.Contains(string(trail), want) {
			t.Errorf("the audit trail lacks %s", want)
		}
	}
}
