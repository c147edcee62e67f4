package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestKibanaApplicationPrivileges (checklist 98, 99) follows Kibana's
// documented contract with Elasticsearch security, as a stand-in (Kibana
// itself cannot be installed here): at startup Kibana, authenticated as
// elastic/kibana with a service token, reads the built-in privileges and
// registers its application privileges (PUT /_security/privilege); for
// each user request it asks _has_privileges, as that user, for the actions
// of the page in the space. A user with feature_discover.read on
// space:marketing may use Discover there, not in the default space, and
// may not save a search; kibana_admin has every feature in every space.
func TestKibanaApplicationPrivileges(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	o.Users += "marketer:" + su.Password + "\nka:" + su.Password + "\n"
	o.UsersRoles += "marketing:marketer\nkibana_admin:ka\n"
	o.Roles = "marketing:\n  applications:\n    - application: kibana-.kibana\n      privileges: [feature_discover.read]\n      resources: [\"space:marketing\"]\n"
	var tokens string
	p := startProxyWith(t, o, func(dir string) string {
		tokens = filepath.Join(dir, "service_tokens")
		return "  service_tokens: service_tokens\n  application_privileges: app_privileges.json\n"
	})
	p.waitReady()
	c := p.client(nil)
	out, err := exec.Command(proxyBin, "service-tokens", "create", "--file", tokens, "elastic/kibana", "kibana-1").CombinedOutput()
	m := regexp.MustCompile(`= (AAEAAW\S+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("service-tokens create: %v %s", err, out)
	}
	kibana := map[string]string{"Authorization": "Bearer " + string(m[1]), "Content-Type": "application/json"}
	if !eventually(10*time.Second, func() bool {
		return do(t, c, "GET", p.URL+"/_security/privilege/_builtin", "", "", nil, kibana).Status == 200
	}) {
		t.Fatal("Kibana could not read the built-in privileges")
	}
	const register = `{"kibana-.kibana":{
	  "all":{"actions":["login:","version:8.15.0","api:*","app:*","ui:*","saved_object:*"],"metadata":{}},
	  "read":{"actions":["login:","version:8.15.0","ui:*/show","saved_object:*/get","saved_object:*/find"],"metadata":{}},
	  "feature_discover.read":{"actions":["login:","version:8.15.0","app:discover","ui:discover/show","saved_object:search/get","saved_object:search/find"],"metadata":{}},
	  "feature_discover.all":{"actions":["login:","version:8.15.0","app:discover","ui:discover/show","ui:discover/save","saved_object:search/*"],"metadata":{}}}}`
	r := do(t, c, "PUT", p.URL+"/_security/privilege", "", "", strings.NewReader(register), kibana)
	if r.Status != 200 || !strings.Contains(r.Body, `"feature_discover.read":{"created":true}`) {
		t.Fatalf("Kibana registering its privileges: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "PUT", p.URL+"/_security/privilege", "", "", strings.NewReader(register), kibana); r.Status != 200 || !strings.Contains(r.Body, `{"created":false}`) {
		t.Fatalf("Kibana registering again (a restart): %d %s", r.Status, r.Body)
	}
	other := `{"myapp":{"admin":{"actions":["data:*"]}}}`
	if r := do(t, c, "PUT", p.URL+"/_security/privilege", "", "", strings.NewReader(other), kibana); r.Status != 403 {
		t.Fatalf("Kibana registering another application's privileges: %d %s", r.Status, r.Body)
	}
	hj := map[string]string{"Content-Type": "application/json"}
	if r := do(t, c, "PUT", p.URL+"/_security/privilege", "marketer", su.Password, strings.NewReader(register), hj); r.Status != 403 {
		t.Fatalf("a user registering privileges: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/_security/privilege/kibana-.kibana", "", "", nil, kibana); r.Status != 200 || !strings.Contains(r.Body, `"ui:discover/save"`) {
		t.Fatalf("Kibana reading its privileges: %d %s", r.Status, r.Body)
	}

	check := func(user, space string, actions ...string) bool {
		t.Helper()
		body := `{"application":[{"application":"kibana-.kibana","resources":["` + space + `"],"privileges":["` + strings.Join(actions, `","`) + `"]}]}`
		r := do(t, c, "POST", p.URL+"/_security/user/_has_privileges", user, su.Password, strings.NewReader(body), hj)
		if r.Status != 200 {
			t.Fatalf("%s _has_privileges: %d %s", user, r.Status, r.Body)
		}
		return strings.Contains(r.Body, `"has_all_requested":true`)
	}
	discover := []string{"login:", "version:8.15.0", "app:discover", "ui:discover/show", "saved_object:search/find"}
	if !check("marketer", "space:marketing", discover...) {
		t.Fatal("marketer cannot use Discover in the marketing space")
	}
	if check("marketer", "space:default", discover...) {
		t.Fatal("marketer may use Discover in the default space")
	}
	if check("marketer", "space:marketing", "saved_object:search/create") {
		t.Fatal("marketer may save a search")
	}
	if !check("ka", "space:default", append(discover, "ui:discover/save", "saved_object:search/create")...) || !check("ka", "space:anything", "feature_discover.all") {
		t.Fatal("kibana_admin lacks a feature")
	}
	if !check(su.Name, "space:x", "ui:anything/at/all") {
		t.Fatal("the superuser lacks an application privilege")
	}

	// Deleting a privilege takes it away from the roles naming it.
	if r := do(t, c, "DELETE", p.URL+"/_security/privilege/kibana-.kibana/feature_discover.read", "", "", nil, kibana); r.Status != 200 || !strings.Contains(r.Body, `"found":true`) {
		t.Fatalf("Kibana deleting a privilege: %d %s", r.Status, r.Body)
	}
	if check("marketer", "space:marketing", discover...) {
		t.Fatal("marketer still uses Discover after the privilege was deleted")
	}
	audit, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	for _, want := range []string{`"event.action":"put_privileges"`, `"event.action":"delete_privileges"`, `"user.name":"elastic/kibana"`} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
}
