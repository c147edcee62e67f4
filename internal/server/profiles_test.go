package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/audit"
)

// profileDoc is the part of a profile answer the tests read.
type profileDoc struct {
	UID     string `json:"uid"`
	Enabled bool   `json:"enabled"`
	User    struct {
		Username  string   `json:"username"`
		Roles     []string `json:"roles"`
		RealmName string   `json:"realm_name"`
	} `json:"user"`
	Labels map[string]any `json:"labels"`
	Data   map[string]any `json:"data"`
	Doc    struct {
		SeqNo int64 `json:"_seq_no"`
	} `json:"_doc"`
}

// TestUserProfilesAsKibanaUsesThem follows Kibana 8's documented use of the
// profile APIs as kibana_system: activate at login with the user's
// password, read and write its own user settings under "kibana", suggest
// assignees, check their privileges. Writing another application's data,
// activating with wrong credentials and callers without the privileges
// are refused, and nothing is forwarded to the cluster.
func TestUserProfilesAsKibanaUsesThem(t *testing.T) {
	g := newGrantTest(t)
	kib := basicAuth(t, "kibsys")
	activate := func(user, password string) (int, profileDoc, string) {
		t.Helper()
		code, body := g.do(t, kib, "POST", "/_security/profile/_activate", `{"grant_type":"password","username":"`+user+`","password":"`+password+`"}`)
		var p profileDoc
		_ = json.Unmarshal([]byte(body), &p)
		return code, p, body
	}
	code, alice, body := activate("alice", "pw-"+t.Name())
	if code != 200 || !strings.HasPrefix(alice.UID, "u_") || !alice.Enabled || alice.User.Username != "alice" || alice.User.RealmName != "default_file" || strings.Join(alice.User.Roles, ",") != "logs_reader" {
		t.Fatalf("activate alice: %d %s", code, body)
	}
	if code, again, _ := activate("alice", "pw-"+t.Name()); code != 200 || again.UID != alice.UID || again.Doc.SeqNo != alice.Doc.SeqNo+1 {
		t.Fatalf("a second login keeps the uid: %d %+v", code, again)
	}
	_, bob, _ := activate("bob", "pw-"+t.Name())
	if code, _, body := activate("alice", "wrong"); code != 401 || strings.Contains(body, "wrong") {
		t.Fatalf("activate with a wrong password: %d %s", code, body)
	}

	// Kibana's user settings.
	if code, body := g.do(t, kib, "POST", "/_security/profile/"+alice.UID+"/_data", `{"data":{"kibana":{"userSettings":{"darkMode":"dark"}}}}`); code != 200 {
		t.Fatalf("kibana_system writes kibana data: %d %s", code, body)
	}
	for _, tc := range []struct{ name, body string }{
		{"another application's data", `{"data":{"security":{"x":1}}}`},
		{"another application's labels", `{"labels":{"other":"x"}}`},
		{"a kibana key next to another", `{"data":{"kibana":{"a":1},"other":{"b":2}}}`},
	} {
		if code, body := g.do(t, kib, "POST", "/_security/profile/"+alice.UID+"/_data", tc.body); code != 403 {
			t.Errorf("kibana_system writes %s: %d %s", tc.name, code, body)
		}
	}
	if code, body := g.do(t, basicAuth(t, "profadmin"), "POST", "/_security/profile/"+alice.UID+"/_data", `{"labels":{"other":"x"}}`); code != 200 {
		t.Fatalf("manage_user_profile writes any application: %d %s", code, body)
	}
	if code, _ := g.do(t, basicAuth(t, "alice"), "POST", "/_security/profile/"+alice.UID+"/_data", `{"data":{"kibana":{"x":1}}}`); code != 403 {
		t.Fatalf("alice, without profile privileges, writes her profile through the API: %d", code)
	}
	if code, body := g.do(t, kib, "POST", "/_security/profile/"+alice.UID+"/_data?if_seq_no=1", `{"data":{"kibana":{"x":1}}}`); code != 409 {
		t.Fatalf("stale if_seq_no: %d %s", code, body)
	}

	code, body = g.do(t, kib, "GET", "/_security/profile/"+alice.UID+",u_unknown_0?data=kibana.*", "")
	var got struct {
		Profiles []profileDoc `json:"profiles"`
		Errors   struct {
			Count int `json:"count"`
		} `json:"errors"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil || len(got.Profiles) != 1 || got.Errors.Count != 1 {
		t.Fatalf("get: %d %s", code, body)
	}
	settings, _ := got.Profiles[0].Data["kibana"].(map[string]any)
	if settings == nil || settings["userSettings"] == nil || got.Profiles[0].Labels["other"] != "x" {
		t.Fatalf("get kibana data: %s", body)
	}
	if code, body := g.do(t, kib, "GET", "/_security/profile/"+alice.UID, ""); code != 200 || strings.Contains(body, "darkMode") {
		t.Fatalf("get without data returns no data: %d %s", code, body)
	}

	// Assignees: suggest, then keep those who may read logs.
	code, body = g.do(t, kib, "POST", "/_security/profile/_suggest", `{"name":"al","size":5}`)
	if code != 200 || !strings.Contains(body, alice.UID) || strings.Contains(body, bob.UID) {
		t.Fatalf("suggest al: %d %s", code, body)
	}
	code, body = g.do(t, kib, "POST", "/_security/profile/_has_privileges", `{"uids":["`+alice.UID+`","`+bob.UID+`"],"privileges":{"index":[{"names":["logs-web"],"privileges":["read"]}]}}`)
	var hp struct {
		UIDs []string `json:"has_privilege_uids"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &hp) != nil || len(hp.UIDs) != 1 || hp.UIDs[0] != alice.UID {
		t.Fatalf("has_privileges read logs-web: %d %s", code, body)
	}

	for _, bad := range []string{``, `{"uids":[1],"privileges":{"cluster":["monitor"]}}`, `{"uids":["x"],"privileges":{},"other":1}`} {
		if code, body := g.do(t, kib, "POST", "/_security/profile/_has_privileges", bad); code != 400 {
			t.Errorf("has_privileges with %q: %d %s", bad, code, body)
		}
	}

	// Disabled profiles are neither suggested nor privileged.
	if code, body := g.do(t, basicAuth(t, "profadmin"), "POST", "/_security/profile/"+alice.UID+"/_disable", ""); code != 200 {
		t.Fatalf("disable: %d %s", code, body)
	}
	if _, body := g.do(t, kib, "POST", "/_security/profile/_suggest", `{"name":"al"}`); strings.Contains(body, alice.UID) {
		t.Fatalf("a disabled profile was suggested: %s", body)
	}
	if _, body := g.do(t, kib, "POST", "/_security/profile/_has_privileges", `{"uids":["`+alice.UID+`"],"privileges":{"index":[{"names":["logs-web"],"privileges":["read"]}]}}`); strings.Contains(body, `"has_privilege_uids":["`) {
		t.Fatalf("a disabled profile holds privileges: %s", body)
	}
	if code, _ := g.do(t, kib, "POST", "/_security/profile/"+alice.UID+"/_enable", ""); code != 403 {
		t.Fatalf("kibana_system may not enable profiles: %d", code)
	}
	if code, body := g.do(t, basicAuth(t, "profadmin"), "POST", "/_security/profile/"+alice.UID+"/_enable", ""); code != 200 {
		t.Fatalf("enable: %d %s", code, body)
	}
	if _, body := g.do(t, kib, "POST", "/_security/profile/_suggest", `{"name":"al"}`); !strings.Contains(body, alice.UID) {
		t.Fatalf("an enabled profile again is not suggested: %s", body)
	}
	if code, _ := g.do(t, basicAuth(t, "bob"), "POST", "/_security/profile/_activate", `{"grant_type":"password","username":"bob","password":"pw-`+t.Name()+`"}`); code != 403 {
		t.Fatalf("bob, without profile privileges, activated a profile: %d", code)
	}
	if g.forwarded.Load() != 0 {
		t.Fatalf("%d profile requests reached the cluster", g.forwarded.Load())
	}

	actions := map[string]bool{}
	for _, e := range g.log.events {
		if e.EventType == audit.TypeSecurityConfigChange {
			actions[e.EventAction] = true
		}
		if raw, _ := json.Marshal(e); strings.Contains(string(raw), "pw-") {
			t.Fatalf("an audit event holds a password: %s", raw)
		}
	}
	for _, want := range []string{"activate_user_profile", "update_user_profile_data", "change_disable_user_profile"} {
		if !actions[want] {
			t.Errorf("no %s event in the audit trail", want)
		}
	}
}
