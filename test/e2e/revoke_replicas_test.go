package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRevocationAcrossReplicas: two replicas share the stores of the
// security APIs (API keys, native users, API roles). What is revoked
// through one (an API key invalidated, a role deleted, a user disabled,
// a password changed) stops working on the other within its refresh,
// whatever the other cached (credential cache, key lookups, roles).
func TestRevocationAcrossReplicas(t *testing.T) {
	const canary = "CANARY-replica-revoke-0e91"
	cluster := openSearchURL(t)
	o, su := superuserOpts(t, cluster)
	shared := t.TempDir()
	stores := func(string) string {
		return "  api_keys:\n    file: " + filepath.Join(shared, "api_keys.json") + "\n" +
			"  native_users: " + filepath.Join(shared, "users.json") + "\n" +
			"  native_roles: " + filepath.Join(shared, "roles.json") + "\n"
	}
	a, b := startProxyWith(t, o, stores), startProxyWith(t, o, stores)
	a.waitReady()
	b.waitReady()
	ca, cb := a.client(nil), b.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	onA := func(method, path, body string) result {
		t.Helper()
		return do(t, ca, method, a.URL+path, su.Name, su.Password, strings.NewReader(body), hj)
	}
	must := func(r result) {
		t.Helper()
		if r.Status >= 300 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	t.Cleanup(func() { dropIndices(t, ca, cluster, "revx-1") })
	must(onA("PUT", "/revx-1/_doc/1?refresh=true", `{"m":"`+canary+`"}`))
	must(onA("PUT", "/_security/role/rev_reader", `{"cluster":["manage_own_api_key"],"indices":[{"names":["revx-*"],"privileges":["read"]}]}`))
	must(onA("PUT", "/_security/user/nat", `{"password":"first-pass-1","roles":["rev_reader"]}`))
	search := func(user, pass string, hdr map[string]string) result {
		t.Helper()
		return do(t, cb, "GET", b.URL+"/revx-1/_search", user, pass, nil, hdr)
	}
	reads := func(r result) bool { return r.Status == 200 && strings.Contains(r.Body, canary) }
	if !eventually(10*time.Second, func() bool { return reads(search("nat", "first-pass-1", nil)) }) {
		t.Fatal("the user and role made on A do not work on B")
	}
	r := do(t, cb, "POST", b.URL+"/_security/api_key", "nat", "first-pass-1", strings.NewReader(`{"name":"k1"}`), hj)
	var key struct {
		ID      string `json:"id"`
		Encoded string `json:"encoded"`
	}
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &key) != nil || key.Encoded == "" {
		t.Fatalf("creating a key on B: %d %s", r.Status, r.Body)
	}
	withKey := map[string]string{"Authorization": "ApiKey " + key.Encoded}
	if !reads(search("", "", withKey)) {
		t.Fatal("the key does not read on B")
	}

	must(onA("DELETE", "/_security/api_key", `{"ids":["`+key.ID+`"]}`))
	if !eventually(10*time.Second, func() bool { return search("", "", withKey).Status == 401 }) {
		t.Fatal("a key invalidated on A still works on B")
	}
	must(onA("POST", "/_security/user/nat/_password", `{"password":"second-pass-2"}`))
	if !eventually(10*time.Second, func() bool { return search("nat", "first-pass-1", nil).Status == 401 }) {
		t.Fatal("the old password still works on B (credential cache)")
	}
	must(onA("DELETE", "/_security/role/rev_reader", ""))
	if !eventually(10*time.Second, func() bool { return search("nat", "second-pass-2", nil).Status == 403 }) {
		t.Fatal("a role deleted on A still grants on B")
	}
	must(onA("PUT", "/_security/user/nat/_disable", ""))
	if !eventually(10*time.Second, func() bool { return search("nat", "second-pass-2", nil).Status == 401 }) {
		t.Fatal("a user disabled on A still logs in on B")
	}
}
