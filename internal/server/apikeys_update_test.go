package server

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/apikey"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// TestAPIKeyUpdate: the update APIs change only the caller's own active
// keys (not another user's, even for manage_api_key, and never through a
// key), replace what the body names and keep the rest, renew the owner
// snapshot, report noops, and change nothing without their audit record.
func TestAPIKeyUpdate(t *testing.T) {
	kt := newAPIKeyTest(t, "own:\n  cluster: [manage_own_api_key]\nnone:\n  cluster: [monitor]\nextra:\n  cluster: [monitor]\n")
	store, log, forwarded, serve := kt.store, kt.log, kt.forwarded, kt.serve
	key := func(id string) apikey.Key {
		t.Helper()
		ks := store.Find(apikey.Filter{IDs: []string{id}})
		if len(ks) != 1 {
			t.Fatalf("key %s: %d found", id, len(ks))
		}
		return ks[0]
	}
	alice := &authn.Principal{Username: "alice", Realm: "default_file", RealmType: "file", Roles: []string{"own"}}
	bob := &authn.Principal{Username: "bob", Realm: "default_file", RealmType: "file", Roles: []string{"own"}}
	carol := &authn.Principal{Username: "carol", Realm: "default_file", RealmType: "file", Roles: []string{"none"}}
	admin := &authn.Principal{Username: "admin", Realm: "default_file", RealmType: "file", Roles: []string{"superuser"}}
	create := func(p *authn.Principal, body string) string {
		t.Helper()
		code, resp := serve(p, "POST", "/_security/api_key", body)
		var r struct{ ID string }
		if code != 200 || json.Unmarshal([]byte(resp), &r) != nil {
			t.Fatalf("creating: %d %s", code, resp)
		}
		return r.ID
	}
	aliceKey := create(alice, `{"name":"a","role_descriptors":{"r":{"indices":[{"names":["logs-*"],"privileges":["read"]}]}},"metadata":{"team":"x"}}`)
	bobKey := create(bob, `{"name":"b"}`)
	deadKey := create(alice, `{"name":"dead"}`)
	if code, _ := serve(alice, "DELETE", "/_security/api_key", `{"ids":["`+deadKey+`"]}`); code != 200 {
		t.Fatal("invalidating")
	}
	bobBefore := key(bobKey)

	newDescs := `{"r":{"indices":[{"names":["metrics-*"],"privileges":["read"]}]}}`
	steps := []struct {
		name       string
		who        *authn.Principal
		method     string
		target     string
		body       string
		code       int
		wantInBody string
	}{
		{"replace descriptors", alice, "PUT", "/_security/api_key/" + aliceKey, `{"role_descriptors":` + newDescs + `}`, 200, `"updated":true`},
		{"the same again is a noop", alice, "PUT", "/_security/api_key/" + aliceKey, `{"role_descriptors":` + strings.ReplaceAll(newDescs, ":", " : ") + `}`, 200, `"updated":false`},
		{"bob cannot update alice's key", bob, "PUT", "/_security/api_key/" + aliceKey, `{"metadata":{}}`, 404, "no API key owned by requesting user found"},
		{"nor can the superuser", admin, "PUT", "/_security/api_key/" + aliceKey, `{"metadata":{}}`, 404, "no API key owned by requesting user found"},
		{"nor a role without a key privilege", carol, "PUT", "/_security/api_key/" + aliceKey, `{"metadata":{}}`, 403, "is unauthorized"},
		{"nor a key", &authn.Principal{Username: "alice", Realm: authn.APIKeyRealm, RealmType: authn.APIKeyRealm, Roles: []string{"own"},
			APIKey: &authn.APIKeyRef{ID: aliceKey, Name: "a"}}, "PUT", "/_security/api_key/" + aliceKey, `{"metadata":{}}`, 403, "API keys cannot manage API keys"},
		{"an invalidated key", alice, "PUT", "/_security/api_key/" + deadKey, `{"metadata":{}}`, 400, "cannot update invalidated API key"},
		{"reserved metadata", alice, "PUT", "/_security/api_key/" + aliceKey, `{"metadata":{"_x":1}}`, 400, "may not start with [_]"},
		{"bad descriptors", alice, "PUT", "/_security/api_key/" + aliceKey, `{"role_descriptors":{"r":{"cluster":["no_such_privilege"]}}}`, 400, "invalid role_descriptors"},
		{"unknown field", alice, "PUT", "/_security/api_key/" + aliceKey, `{"name":"renamed"}`, 400, "x_content_parse_exception"},
		{"ids in the single update", alice, "PUT", "/_security/api_key/" + aliceKey, `{"ids":["x"]}`, 400, "unknown field [ids]"},
		{"bulk", alice, "POST", "/_security/api_key/_bulk_update", `{"ids":["` + aliceKey + `","` + bobKey + `","nope"],"expiration":"1d"}`, 200, `"updated":["` + aliceKey + `"]`},
		{"bulk without ids", alice, "POST", "/_security/api_key/_bulk_update", `{"metadata":{}}`, 400, "Field [ids] cannot be empty"},
	}
	for _, s := range steps {
		code, body := serve(s.who, s.method, s.target, s.body)
		if code != s.code || !strings.Contains(body, s.wantInBody) {
			t.Fatalf("%s: %d %s, want %d with %q", s.name, code, body, s.code, s.wantInBody)
		}
		if s.name == "bulk" && (!strings.Contains(body, `"count":2`) || !strings.Contains(body, "no API key owned by requesting user found for ID ["+bobKey+"]")) {
			t.Fatalf("bulk errors: %s", body)
		}
	}
	k := key(aliceKey)
	var compact bytes.Buffer
	_ = json.Compact(&compact, k.RoleDescriptors)
	if compact.String() != newDescs || k.Metadata["team"] != "x" {
		t.Fatalf("after the updates: descriptors %s metadata %v (the metadata was not to change)", k.RoleDescriptors, k.Metadata)
	}
	if d := time.UnixMilli(k.Expiration).Sub(time.Now()); d < 23*time.Hour || d > 25*time.Hour {
		t.Fatalf("expiration in %v, want about a day", d)
	}
	if b := key(bobKey); b.Expiration != bobBefore.Expiration || !slices.Equal(b.OwnerRoles, bobBefore.OwnerRoles) {
		t.Fatalf("bob's key changed through alice's bulk update: %+v", b)
	}

	// The owner's roles changed: an update with nothing else renews the
	// snapshot; {} descriptors give the owner's privileges back.
	aliceNow := *alice
	aliceNow.Roles = []string{"extra", "own"}
	if code, body := serve(&aliceNow, "PUT", "/_security/api_key/"+aliceKey, `{"role_descriptors":{}}`); code != 200 || !strings.Contains(body, `"updated":true`) {
		t.Fatalf("update after a role change: %d %s", code, body)
	}
	if k := key(aliceKey); k.RoleDescriptors != nil || !slices.Equal(k.OwnerRoles, []string{"extra", "own"}) {
		t.Fatalf("owner snapshot or descriptors not renewed: %s %v", k.RoleDescriptors, k.OwnerRoles)
	}

	log.broken.Store(true)
	if code, _ := serve(alice, "PUT", "/_security/api_key/"+aliceKey, `{"metadata":{"team":"y"}}`); code != 503 {
		t.Fatalf("update without audit: %d, want 503", code)
	}
	log.broken.Store(false)
	if key(aliceKey).Metadata["team"] != "x" {
		t.Fatal("a key was updated without its audit record")
	}
	if n := forwarded.Load(); n != 0 {
		t.Fatalf("%d API key requests reached the cluster", n)
	}
	var changes []string
	for _, ev := range log.events {
		if ev.EventType == audit.TypeSecurityConfigChange && strings.HasPrefix(ev.EventAction, "change_apikey") {
			changes = append(changes, ev.EventAction)
		}
	}
	// Every attempt that reached the store is recorded first (refusals by
	// validation or authorization are not changes).
	if strings.Join(changes, ",") != "change_apikey,change_apikey,change_apikey,change_apikey,change_apikey,change_apikeys,change_apikey" {
		t.Fatalf("change events: %v", changes)
	}
}

// TestLimitCacheFollowsUpdates: a key's compiled limit is reused while its
// descriptors are unchanged and compiled again once they change (an
// update must narrow a key at once, not when the cache is cleared).
func TestLimitCacheFollowsUpdates(t *testing.T) {
	c := newLimitCache()
	get := func(descs string) *authz.Limit {
		t.Helper()
		l, err := c.get(&authn.APIKeyRef{ID: "k1", RoleDescriptors: []byte(descs)})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a := get(`{"wide":{"indices":[{"names":["*"],"privileges":["read"]}]}}`)
	if again := get(`{"wide":{"indices":[{"names":["*"],"privileges":["read"]}]}}`); again != a {
		t.Fatal("unchanged descriptors were compiled again")
	}
	b := get(`{"narrow":{"indices":[{"names":["logs-1"],"privileges":["read"]}]}}`)
	if b == a || !slices.Equal(b.Roles(), []string{"narrow"}) {
		t.Fatalf("after an update the key is still limited by %v", b.Roles())
	}
	if get(`{}`) != nil {
		t.Fatal("empty descriptors after an update must mean the owner's privileges")
	}
}
