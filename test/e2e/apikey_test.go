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

// TestAPIKeys (checklist 13, 14): alice creates API keys through the
// proxy; a key authenticates as alice with "Authorization: ApiKey", and
// its privileges are its role descriptors intersected with alice's:
//   - a key limited to ak-pub-* never shows the canary of ak-priv (which
//     alice herself may read), by name, by wildcard or by _all;
//   - a key whose descriptors grant everything still cannot read ak-secret,
//     which alice may not read (the owner limits the key);
//   - invalidated and expired keys stop authenticating;
//   - bob (manage_own_api_key) sees and invalidates only his own keys;
//   - the audit log names the key, and never holds a secret.
func TestAPIKeys(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	pub, priv, secret := fmt.Sprintf("e2e-ak-pub-%d", n), fmt.Sprintf("e2e-ak-priv-%d", n), fmt.Sprintf("e2e-ak-secret-%d", n)
	o.Users += "alice:" + su.Password + "\nbob:" + su.Password + "\n"
	o.UsersRoles += "e2e_ak_alice:alice\ne2e_ak_bob:bob\n"
	o.Roles = "e2e_ak_alice:\n  cluster: [manage_own_api_key]\n  indices:\n    - names: [\"e2e-ak-pub-*\", \"e2e-ak-priv-*\"]\n      privileges: [read]\n" +
		"e2e_ak_bob:\n  cluster: [manage_own_api_key]\n  indices:\n    - names: [\"e2e-ak-pub-*\"]\n      privileges: [read]\n"
	p := startProxyWith(t, o, func(string) string { return "  api_keys:\n    file: api_keys.json\n" })
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	const privCanary, secretCanary = "CANARY-APIKEY-PRIV", "CANARY-APIKEY-SECRET"
	for ix, v := range map[string]string{pub: "public", priv: privCanary, secret: secretCanary} {
		if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+v+`"}`), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+pub+","+priv+","+secret, su.Name, su.Password, nil, nil) })

	create := func(user, body string) (id, encoded, secretPart string) {
		t.Helper()
		r := do(t, c, "POST", p.URL+"/_security/api_key", user, su.Password, strings.NewReader(body), hj)
		var resp struct{ ID, Name, APIKey, Encoded string }
		if r.Status != 200 || json.Unmarshal([]byte(strings.ReplaceAll(r.Body, `"api_key"`, `"apikey"`)), &resp) != nil || resp.ID == "" || resp.Encoded == "" {
			t.Fatalf("%s creating a key %s: %d %s", user, body, r.Status, r.Body)
		}
		return resp.ID, resp.Encoded, resp.APIKey
	}
	withKey := func(method, path, encoded string, body string) result {
		t.Helper()
		hdr := map[string]string{"Authorization": "ApiKey " + encoded, "Content-Type": "application/json"}
		var rd *strings.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		if rd == nil {
			return do(t, c, method, p.URL+path, "", "", nil, hdr)
		}
		return do(t, c, method, p.URL+path, "", "", rd, hdr)
	}

	pubID, pubKey, pubSecret := create("alice", `{"name":"pub-only","role_descriptors":{"r1":{"indices":[{"names":["e2e-ak-pub-*"],"privileges":["read"]}]}}}`)
	wideID, wideKey, wideSecret := create("alice", `{"name":"wide","role_descriptors":{"r1":{"cluster":["all"],"indices":[{"names":["*"],"privileges":["all"]}]}}}`)
	_, plainKey, plainSecret := create("alice", `{"name":"plain","metadata":{"purpose":"e2e"}}`)

	// Positive controls: the key reads what both sides allow; alice reads priv.
	if r := withKey("GET", "/"+pub+"/_search", pubKey, ""); r.Status != 200 || !strings.Contains(r.Body, "public") {
		t.Fatalf("pub-only key on %s: %d %s", pub, r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/"+priv+"/_search", "alice", su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, privCanary) {
		t.Fatalf("alice on %s (positive control): %d %s", priv, r.Status, r.Body)
	}
	if r := withKey("GET", "/"+priv+"/_search", plainKey, ""); r.Status != 200 || !strings.Contains(r.Body, privCanary) {
		t.Fatalf("a key without descriptors has its owner's privileges: %d %s", r.Status, r.Body)
	}

	// The key's descriptors limit it: priv is never shown to pub-only.
	for _, path := range []string{"/" + priv + "/_search", "/e2e-ak-*/_search", "/_all/_search", "/_search", "/" + pub + "," + priv + "/_search?ignore_unavailable=true", "/" + priv + "/_doc/1"} {
		r := withKey("GET", path, pubKey, "")
		if strings.Contains(r.Body, privCanary) || strings.Contains(r.Body, secretCanary) {
			t.Fatalf("pub-only key, %s showed a canary: %d %s", path, r.Status, r.Body)
		}
	}
	if r := withKey("GET", "/"+priv+"/_search", pubKey, ""); r.Status != 403 || !strings.Contains(r.Body, "API key id ["+pubID+"] of user [alice]") {
		t.Fatalf("pub-only key naming %s: %d %s", priv, r.Status, r.Body)
	}
	if r := withKey("GET", "/e2e-ak-*/_search", pubKey, ""); r.Status != 200 || !strings.Contains(r.Body, "public") {
		t.Fatalf("pub-only key, wildcard narrowed to what it may read: %d %s", r.Status, r.Body)
	}
	if r := withKey("POST", "/_msearch", pubKey, "{\"index\":\""+priv+"\"}\n{}\n{\"index\":\""+pub+"\"}\n{}\n"); strings.Contains(r.Body, privCanary) {
		t.Fatalf("pub-only key, _msearch showed the canary: %s", r.Body)
	}
	if r := withKey("POST", "/"+pub+"/_doc", pubKey, `{"k":"written by a read-only key"}`); r.Status != 403 {
		t.Fatalf("pub-only key wrote a document: %d %s", r.Status, r.Body)
	}

	// The owner limits the key: "all on *" does not reach secret, nor the cluster.
	for _, path := range []string{"/" + secret + "/_search", "/e2e-ak-*/_search", "/_search", "/" + secret + "/_doc/1"} {
		if r := withKey("GET", path, wideKey, ""); strings.Contains(r.Body, secretCanary) {
			t.Fatalf("wide key, %s showed the canary of an index its owner may not read: %d %s", path, r.Status, r.Body)
		}
	}
	if r := withKey("DELETE", "/"+priv, wideKey, ""); r.Status != 403 {
		t.Fatalf("wide key deleted an index its owner may only read: %d %s", r.Status, r.Body)
	}
	if r := withKey("PUT", "/_cluster/settings", wideKey, `{"transient":{"cluster.routing.allocation.enable":"all"}}`); r.Status != 403 {
		t.Fatalf("wide key changed cluster settings its owner may not: %d %s", r.Status, r.Body)
	}

	// Who am I, with a key.
	if r := withKey("GET", "/_security/_authenticate", pubKey, ""); r.Status != 200 || !strings.Contains(r.Body, `"username":"alice"`) ||
		!strings.Contains(r.Body, `"authentication_type":"api_key"`) || !strings.Contains(r.Body, `"id":"`+pubID+`"`) {
		t.Fatalf("_authenticate with a key: %d %s", r.Status, r.Body)
	}
	hp := withKey("POST", "/_security/user/_has_privileges", pubKey, `{"index":[{"names":["`+priv+`","`+pub+`"],"privileges":["read"]}]}`)
	if hp.Status != 200 || !strings.Contains(hp.Body, `"`+priv+`":{"read":false}`) || !strings.Contains(hp.Body, `"`+pub+`":{"read":true}`) {
		t.Fatalf("_has_privileges with a key: %d %s", hp.Status, hp.Body)
	}
	// Keys cannot make keys, nor run as anyone.
	if r := withKey("POST", "/_security/api_key", wideKey, `{"name":"derived"}`); r.Status != 403 {
		t.Fatalf("a key created a key: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/"+pub+"/_search", "", "", nil, map[string]string{"Authorization": "ApiKey " + wideKey, "es-security-runas-user": "bob"}); r.Status != 403 {
		t.Fatalf("a key ran as another user: %d %s", r.Status, r.Body)
	}

	// Bad credentials.
	for name, enc := range map[string]string{
		"wrong secret": b64([]byte(pubID + ":not-the-secret")), "unknown id": b64([]byte("nope:" + pubSecret)),
		"no colon": b64([]byte(pubID)), "not base64": "%%%", "empty": "",
	} {
		if r := withKey("GET", "/"+pub+"/_search", enc, ""); r.Status != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), "ApiKey") {
			t.Fatalf("%s: %d %s (WWW-Authenticate %q)", name, r.Status, r.Body, r.Header.Get("WWW-Authenticate"))
		}
	}

	// bob manages only his own keys.
	bobID, bobKey, _ := create("bob", `{"name":"bobs"}`)
	if r := do(t, c, "GET", p.URL+"/_security/api_key", "bob", su.Password, nil, nil); r.Status != 200 || strings.Contains(r.Body, pubID) || !strings.Contains(r.Body, bobID) {
		t.Fatalf("bob listing keys: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/_security/api_key?id="+pubID, "bob", su.Password, nil, nil); r.Status != 404 || strings.Contains(r.Body, pubID+`","name`) {
		t.Fatalf("bob reading alice's key: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "DELETE", p.URL+"/_security/api_key", "bob", su.Password, strings.NewReader(`{"ids":["`+pubID+`"]}`), hj); r.Status != 200 || strings.Contains(r.Body, pubID) {
		t.Fatalf("bob invalidating alice's key: %d %s", r.Status, r.Body)
	}
	if r := withKey("GET", "/"+pub+"/_search", pubKey, ""); r.Status != 200 {
		t.Fatalf("alice's key after bob's attempt: %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", p.URL+"/_security/api_key", su.Name, su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, pubID) || !strings.Contains(r.Body, bobID) || strings.Contains(r.Body, "sha256:") {
		t.Fatalf("the superuser listing every key (without hashes): %d %s", r.Status, r.Body)
	}

	// Invalidation and expiry.
	if r := do(t, c, "DELETE", p.URL+"/_security/api_key", "alice", su.Password, strings.NewReader(`{"ids":["`+pubID+`"]}`), hj); r.Status != 200 || !strings.Contains(r.Body, `"invalidated_api_keys":["`+pubID+`"]`) {
		t.Fatalf("alice invalidating her key: %d %s", r.Status, r.Body)
	}
	if r := withKey("GET", "/"+pub+"/_search", pubKey, ""); r.Status != 401 {
		t.Fatalf("an invalidated key authenticated: %d %s", r.Status, r.Body)
	}
	_, shortKey, _ := create("alice", `{"name":"short","expiration":"1s"}`)
	if r := withKey("GET", "/"+pub+"/_search", shortKey, ""); r.Status != 200 {
		t.Fatalf("a fresh key with an expiration: %d %s", r.Status, r.Body)
	}
	if !eventually(10*time.Second, func() bool { return withKey("GET", "/"+pub+"/_search", shortKey, "").Status == 401 }) {
		t.Fatal("an expired key still authenticates")
	}
	if r := withKey("GET", "/"+pub+"/_search", bobKey, ""); r.Status != 200 {
		t.Fatalf("bob's key: %d %s", r.Status, r.Body)
	}

	// Malformed create requests.
	for _, body := range []string{`{}`, `{"name":"x","unknown":1}`, `{"name":"x","expiration":"soon"}`, `{"name":"x","role_descriptors":{"r":{"cluster":["no_such_privilege"]}}}`, `{"name":"_x"}`} {
		if r := do(t, c, "POST", p.URL+"/_security/api_key", "alice", su.Password, strings.NewReader(body), hj); r.Status != 400 {
			t.Fatalf("create %s: %d %s", body, r.Status, r.Body)
		}
	}
	if r := do(t, c, "POST", p.URL+"/_security/api_key", "alice", su.Password, strings.NewReader(`{"name":"x","name":"y"}`), hj); r.Status != 400 {
		t.Fatalf("create with a duplicate key: %d %s", r.Status, r.Body)
	}

	// A restart keeps the keys (the store is on disk).
	store, err := os.ReadFile(filepath.Join(p.Dir, "api_keys.json"))
	if err != nil || !strings.Contains(string(store), wideID) {
		t.Fatalf("the key store: %v %s", err, store)
	}

	audit, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	for _, s := range []string{pubSecret, wideSecret, plainSecret} {
		if strings.Contains(string(audit), s) || strings.Contains(string(store), s) {
			t.Fatal("a key's secret is in the audit log or the key store")
		}
	}
	for _, want := range []string{
		`"event.action":"create_apikey"`, `"event.action":"invalidate_apikeys"`,
		`"authentication.type":"API_KEY"`, `"apikey.id":"` + pubID + `"`, `"apikey.name":"pub-only"`,
		`"user.realm":"_es_api_key"`,
	} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
}

// TestAPIKeyUpdate: an update of a key's role descriptors takes effect on
// the key's very next request, both ways: the index it was moved away
// from is refused (its canary never shown), the new one is readable; and
// another user cannot update the key.
func TestAPIKeyUpdate(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	n := time.Now().UnixNano()
	ixA, ixB := fmt.Sprintf("e2e-aku-a-%d", n), fmt.Sprintf("e2e-aku-b-%d", n)
	o.Users += "alice:" + su.Password + "\nbob:" + su.Password + "\n"
	o.UsersRoles += "e2e_aku:alice,bob\n"
	o.Roles = "e2e_aku:\n  cluster: [manage_own_api_key]\n  indices:\n    - names: [\"e2e-aku-*\"]\n      privileges: [read]\n"
	p := startProxyWith(t, o, func(string) string { return "  api_keys:\n    file: api_keys.json\n" })
	p.waitReady()
	c := p.client(nil)
	hj := map[string]string{"Content-Type": "application/json"}
	const canaryA, canaryB = "CANARY-AKU-A", "CANARY-AKU-B"
	for ix, v := range map[string]string{ixA: canaryA, ixB: canaryB} {
		if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+v+`"}`), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+ixA+","+ixB, su.Name, su.Password, nil, nil) })
	r := do(t, c, "POST", p.URL+"/_security/api_key", "alice", su.Password,
		strings.NewReader(`{"name":"k","role_descriptors":{"r":{"indices":[{"names":["e2e-aku-a-*"],"privileges":["read"]}]}}}`), hj)
	var created struct{ ID, Encoded string }
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &created) != nil {
		t.Fatalf("creating the key: %d %s", r.Status, r.Body)
	}
	withKey := func(path string) result {
		return do(t, c, "GET", p.URL+path, "", "", nil, map[string]string{"Authorization": "ApiKey " + created.Encoded})
	}
	check := func(when, readable, readableCanary, hidden, hiddenCanary string) {
		t.Helper()
		if r := withKey("/" + readable + "/_search"); r.Status != 200 || !strings.Contains(r.Body, readableCanary) {
			t.Fatalf("%s: the key on %s: %d %s", when, readable, r.Status, r.Body)
		}
		for _, path := range []string{"/" + hidden + "/_search", "/e2e-aku-*/_search", "/_search", "/" + hidden + "/_doc/1"} {
			if r := withKey(path); strings.Contains(r.Body, hiddenCanary) {
				t.Fatalf("%s: the key, %s showed %s: %d %s", when, path, hiddenCanary, r.Status, r.Body)
			}
		}
	}
	check("before the update", ixA, canaryA, ixB, canaryB)

	if r := do(t, c, "PUT", p.URL+"/_security/api_key/"+created.ID, "bob", su.Password,
		strings.NewReader(`{"role_descriptors":{"r":{"indices":[{"names":["*"],"privileges":["read"]}]}}}`), hj); r.Status != 404 {
		t.Fatalf("bob updating alice's key: %d %s", r.Status, r.Body)
	}
	check("after bob's attempt", ixA, canaryA, ixB, canaryB)

	if r := do(t, c, "PUT", p.URL+"/_security/api_key/"+created.ID, "alice", su.Password,
		strings.NewReader(`{"role_descriptors":{"r":{"indices":[{"names":["e2e-aku-b-*"],"privileges":["read"]}]}}}`), hj); r.Status != 200 || !strings.Contains(r.Body, `"updated":true`) {
		t.Fatalf("alice updating her key: %d %s", r.Status, r.Body)
	}
	check("after the update", ixB, canaryB, ixA, canaryA)
	if log, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json")); !strings.Contains(string(log), `"event.action":"change_apikey"`) {
		t.Fatal("no change_apikey event in the audit log")
	}
}
