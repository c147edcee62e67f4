package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/apikey"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// failingLog is an audit.Log that fails while broken is set.
type failingLog struct {
	memoryLog
	broken atomic.Bool
}

func (f *failingLog) Append(ctx context.Context, ev *audit.Event) error {
	if f.broken.Load() {
		return errors.New("disk full")
	}
	return f.memoryLog.Append(ctx, ev)
}

// apiKeyTest is a chain over a fresh API key store with the given roles:
// its audit log fails while log.broken is set, forwarded counts what
// reached the cluster, and serve sends one request as a principal.
type apiKeyTest struct {
	store     *apikey.FileStore
	log       *failingLog
	forwarded *atomic.Int32
	serve     func(p *authn.Principal, method, target, body string) (int, string)
}

func newAPIKeyTest(t *testing.T, rolesYAML string) *apiKeyTest {
	t.Helper()
	rs, probs := authz.ParseRoles("roles.yml", []byte(rolesYAML))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	store, err := apikey.OpenFileStore(filepath.Join(t.TempDir(), "keys.json"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	kt := &apiKeyTest{store: store, log: &failingLog{}, forwarded: &atomic.Int32{}}
	trail, err := audit.NewWithLog(audit.Config{}, kt.log, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	up := httpHandlerFunc(func() { kt.forwarded.Add(1) })
	kt.serve = func(p *authn.Principal, method, target, body string) (int, string) {
		t.Helper()
		s := chainServer(t, Options{Authenticator: fakeAuthn{p: p}, Authorizer: authz.NewEvaluator(rs), Auditor: trail, APIKeys: store, Upstream: up})
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	return kt
}

// TestAPIKeyEndpoints: the proxy answers the API key APIs itself and never
// forwards them; manage_own_api_key reaches only the caller's own keys; a
// key change whose audit record cannot be written does not happen.
func TestAPIKeyEndpoints(t *testing.T) {
	kt := newAPIKeyTest(t, "own:\n  cluster: [manage_own_api_key]\nnone:\n  cluster: [monitor]\n")
	store, log, forwarded, serve := kt.store, kt.log, kt.forwarded, kt.serve
	alice := &authn.Principal{Username: "alice", Realm: "default_file", RealmType: "file", Roles: []string{"own"}}
	bob := &authn.Principal{Username: "bob", Realm: "default_file", RealmType: "file", Roles: []string{"own"}}
	carol := &authn.Principal{Username: "carol", Realm: "default_file", RealmType: "file", Roles: []string{"none"}}
	admin := &authn.Principal{Username: "admin", Realm: "default_file", RealmType: "file", Roles: []string{"superuser"}}

	create := func(p *authn.Principal, name string) string {
		t.Helper()
		code, body := serve(p, "POST", "/_security/api_key", `{"name":"`+name+`"}`)
		var resp struct{ ID string }
		if code != 200 || json.Unmarshal([]byte(body), &resp) != nil || resp.ID == "" {
			t.Fatalf("%s creating %s: %d %s", p.Username, name, code, body)
		}
		return resp.ID
	}
	aliceKey, bobKey := create(alice, "a"), create(bob, "b")

	if code, body := serve(alice, "GET", "/_security/api_key", ""); code != 200 || !strings.Contains(body, aliceKey) || strings.Contains(body, bobKey) {
		t.Fatalf("alice lists: %d %s", code, body)
	}
	if code, body := serve(alice, "GET", "/_security/api_key?username=bob", ""); code != 400 || strings.Contains(body, bobKey) {
		t.Fatalf("alice lists bob's keys by name: %d %s", code, body)
	}
	if code, body := serve(admin, "GET", "/_security/api_key?username=bob", ""); code != 200 || !strings.Contains(body, bobKey) || strings.Contains(body, aliceKey) {
		t.Fatalf("admin lists bob's keys: %d %s", code, body)
	}
	if code, body := serve(alice, "DELETE", "/_security/api_key", `{"ids":["`+bobKey+`"]}`); code != 200 || strings.Contains(body, bobKey) {
		t.Fatalf("alice invalidates bob's key: %d %s", code, body)
	}
	if k := store.Find(apikey.Filter{IDs: []string{bobKey}}); len(k) != 1 || k[0].Invalidated {
		t.Fatalf("bob's key after alice's attempt: %+v", k)
	}
	if code, _ := serve(carol, "POST", "/_security/api_key", `{"name":"c"}`); code != 403 {
		t.Fatalf("carol, without an API key privilege, created a key: %d", code)
	}
	asKey := &authn.Principal{Username: "alice", Realm: authn.APIKeyRealm, RealmType: authn.APIKeyRealm, Roles: []string{"superuser"}, APIKey: &authn.APIKeyRef{ID: aliceKey, Name: "a"}}
	if code, _ := serve(asKey, "POST", "/_security/api_key", `{"name":"derived"}`); code != 403 {
		t.Fatalf("a key created a key: %d", code)
	}
	if code, _ := serve(admin, "POST", "/_security/api_key/"+aliceKey+"/_clear_cache", `{}`); code != 400 {
		t.Fatalf("_clear_cache: %d, want 400 (not supported)", code)
	}

	log.broken.Store(true)
	if code, _ := serve(alice, "POST", "/_security/api_key", `{"name":"unaudited"}`); code != 503 {
		t.Fatalf("create without audit: %d, want 503", code)
	}
	if code, _ := serve(alice, "DELETE", "/_security/api_key", `{"ids":["`+aliceKey+`"]}`); code != 503 {
		t.Fatalf("invalidate without audit: %d, want 503", code)
	}
	log.broken.Store(false)
	if k := store.Find(apikey.Filter{Name: "unaudited"}); len(k) != 0 {
		t.Fatal("a key was created without its audit record")
	}
	if k := store.Find(apikey.Filter{IDs: []string{aliceKey}}); k[0].Invalidated {
		t.Fatal("a key was invalidated without its audit record")
	}
	if n := forwarded.Load(); n != 0 {
		t.Fatalf("%d API key requests reached the cluster", n)
	}
	var changes []string
	for _, ev := range log.events {
		if ev.EventType == audit.TypeSecurityConfigChange {
			changes = append(changes, ev.EventAction+" "+ev.UserName)
		}
	}
	if strings.Join(changes, ",") != "create_apikey alice,create_apikey bob,invalidate_apikeys alice" {
		t.Fatalf("config change events: %v", changes)
	}
}

// TestAPIKeysOff: without a store the API key APIs are refused, never
// forwarded (a cluster with its own security would create the key for the
// proxy's credentials).
func TestAPIKeysOff(t *testing.T) {
	var forwarded atomic.Int32
	trail, err := audit.NewWithLog(audit.Config{}, &memoryLog{}, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	admin := &authn.Principal{Username: "admin", Realm: "default_file", Roles: []string{"superuser"}}
	s := chainServer(t, Options{Authenticator: fakeAuthn{p: admin}, Authorizer: authz.NewEvaluator(nil), Auditor: trail, Upstream: httpHandlerFunc(func() { forwarded.Add(1) })})
	req := httptest.NewRequest("POST", "/_security/api_key", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 400 || forwarded.Load() != 0 || !strings.Contains(rec.Body.String(), "api keys are not enabled") {
		t.Fatalf("%d %s (forwarded %d)", rec.Code, rec.Body.String(), forwarded.Load())
	}
}

// httpHandlerFunc is an upstream that calls seen and answers {}.
func httpHandlerFunc(seen func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		seen()
		_, _ = w.Write([]byte(`{}`))
	})
}
