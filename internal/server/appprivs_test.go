package server

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/authz/appprivs"
)

// TestAppPrivilegeEndpoints: the privilege APIs are answered by the proxy,
// never forwarded; a change whose audit record cannot be written does not
// happen; without a store they are refused, but has_privileges still
// answers (names then resolve to nothing).
func TestAppPrivilegeEndpoints(t *testing.T) {
	store, err := appprivs.Open(filepath.Join(t.TempDir(), "privs.json"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	log := &failingLog{}
	trail, err := audit.NewWithLog(audit.Config{}, log, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var forwarded atomic.Int32
	admin := &authn.Principal{Username: "admin", Realm: "default_file", Roles: []string{"superuser"}}
	serve := func(o Options, method, target, body string) (int, string) {
		o.Authenticator, o.Authorizer, o.Auditor = fakeAuthn{p: admin}, authz.NewEvaluator(nil), trail
		o.Upstream = httpHandlerFunc(func() { forwarded.Add(1) })
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		chainServer(t, o).Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	withStore := Options{AppPrivileges: store}
	put := `{"myapp":{"read":{"actions":["data:read/*"]}}}`
	log.broken.Store(true)
	if code, _ := serve(withStore, "PUT", "/_security/privilege", put); code != 503 {
		t.Fatalf("put without audit: %d", code)
	}
	log.broken.Store(false)
	if got := store.Get(nil, nil); len(got) != 0 {
		t.Fatalf("stored without its audit record: %v", got)
	}
	for _, bad := range []string{`{"myapp":{"read":{"actions":["noaction"]}}}`, `{"my":{"read":{"actions":["a:b"]}}}`, `{"myapp":{"Read":{"actions":["a:b"]}}}`, `{"myapp":{"read":{}}}`, `{}`} {
		if code, body := serve(withStore, "PUT", "/_security/privilege", bad); code != 400 {
			t.Errorf("put %s: %d %s", bad, code, body)
		}
	}
	if code, body := serve(withStore, "PUT", "/_security/privilege", put); code != 200 || !strings.Contains(body, `"created":true`) {
		t.Fatalf("put: %d %s", code, body)
	}
	check := `{"application":[{"application":"myapp","resources":["*"],"privileges":["read"]}]}`
	if code, body := serve(withStore, "POST", "/_security/user/_has_privileges", check); code != 200 || !strings.Contains(body, `"has_all_requested":true`) {
		t.Fatalf("has_privileges with the store: %d %s", code, body)
	}
	// Without the store the name resolves to no action: not held, even by
	// a superuser (Elasticsearch would call an empty action set held).
	if code, body := serve(Options{}, "POST", "/_security/user/_has_privileges", check); code != 200 || !strings.Contains(body, `"has_all_requested":false`) {
		t.Fatalf("an unregistered name without the store: %d %s", code, body)
	}
	if code, body := serve(Options{}, "PUT", "/_security/privilege", put); code != 400 || !strings.Contains(body, "not enabled") {
		t.Fatalf("put without a store: %d %s", code, body)
	}
	if code, body := serve(Options{}, "GET", "/_security/privilege/_builtin", ""); code != 200 || !strings.Contains(body, `"manage_own_api_key"`) {
		t.Fatalf("builtin: %d %s", code, body)
	}
	if code, _ := serve(withStore, "GET", "/_security/privilege/nosuchapp", ""); code != 404 {
		t.Fatalf("get of an unknown application: %d", code)
	}
	if n := forwarded.Load(); n != 0 {
		t.Fatalf("%d privilege requests reached the cluster", n)
	}
}

// TestAppPrivilegesManagedScope: kibana_system manages kibana-* only (global
// application.manage): a listing of every application shows it none of
// another's, and reading or deleting another's is refused.
func TestAppPrivilegesManagedScope(t *testing.T) {
	store, err := appprivs.Open(filepath.Join(t.TempDir(), "privs.json"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put([]appprivs.Privilege{{Application: "myapp", Name: "read", Actions: []string{"data:read/*"}},
		{Application: "kibana-.kibana", Name: "all", Actions: []string{"*"}}}); err != nil {
		t.Fatal(err)
	}
	mem := &memoryLog{}
	trail, err := audit.NewWithLog(audit.Config{}, mem, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	kibana := &authn.Principal{Username: "elastic/kibana", Realm: authn.ServiceAccountRealm, Roles: []string{"kibana_system"}}
	s := chainServer(t, Options{Authenticator: fakeAuthn{p: kibana}, Authorizer: authz.NewEvaluator(nil), Auditor: trail,
		AppPrivileges: store, Upstream: httpHandlerFunc(func() {})})
	serve := func(method, target string) (int, string) {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		if rec.Code == 403 { // the refusal is audited, after the grant the API decided under
			mem.mu.Lock()
			last := mem.events[len(mem.events)-1]
			mem.mu.Unlock()
			if last.EventAction != audit.AccessDenied || last.RequestID != rec.Header().Get(RequestIDHeader) {
				t.Fatalf("%s %s refused without an access_denied record (last: %s %s)", method, target, last.EventAction, last.RequestID)
			}
		}
		return rec.Code, rec.Body.String()
	}
	if code, body := serve("GET", "/_security/privilege"); code != 200 || !strings.Contains(body, "kibana-.kibana") || strings.Contains(body, "myapp") {
		t.Fatalf("listing every application: %d %s", code, body)
	}
	if code, body := serve("GET", "/_security/privilege/myapp"); code != 403 || strings.Contains(body, "data:read") {
		t.Fatalf("reading another application's: %d %s", code, body)
	}
	if code, _ := serve("DELETE", "/_security/privilege/myapp/read"); code != 403 {
		t.Fatalf("deleting another application's: %d", code)
	}
	if got := store.Get([]string{"myapp"}, nil); len(got) != 1 {
		t.Fatalf("myapp's privileges after the refused delete: %v", got)
	}
}
