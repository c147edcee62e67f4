package server

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/apikey"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
)

// A key's own metadata is the creator's choice: the owner's templated DLS
// must render with the owner's metadata (acme), never the key's (globex),
// or a user limited to tenant acme would read tenant globex through a key
// made with metadata {"tenant":"globex"}.
func TestAPIKeyMetadataIsNotTheOwners(t *testing.T) {
	rolesYML := `tenant_reader:
  cluster: [manage_own_api_key]
  indices:
    - names: ["shared"]
      privileges: [read]
      query: '{"template":{"source":"{\"term\":{\"tenant\":\"{{_user.metadata.tenant}}\"}}"}}'
`
	rs, probs := authz.ParseRoles("roles.yml", []byte(rolesYML))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	ev := authz.NewEvaluator(rs)
	store, err := apikey.OpenFileStore(filepath.Join(t.TempDir(), "keys.json"), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	trail, _ := audit.NewWithLog(audit.Config{}, &memoryLog{}, audit.Options{})
	alice := &authn.Principal{Username: "alice", Realm: "oidc1", RealmType: "oidc", Roles: []string{"tenant_reader"},
		Metadata: map[string]any{"tenant": "acme"}}
	s := chainServer(t, Options{Authenticator: fakeAuthn{p: alice}, Authorizer: ev, Auditor: trail, APIKeys: store, Upstream: httpHandlerFunc(func() {})})
	req := httptest.NewRequest("POST", "/_security/api_key", strings.NewReader(`{"name":"k","metadata":{"tenant":"globex"}}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	var created struct{ Encoded string }
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &created) != nil {
		t.Fatalf("create: %d %s", rec.Code, rec.Body.String())
	}
	// Authenticate with the key as the proxy does.
	hr := httptest.NewRequest("GET", "/shared/_search", nil)
	hr.Header.Set("Authorization", "ApiKey "+created.Encoded)
	p, err := apikey.NewAuthenticator(store).Authenticate(hr)
	if err != nil {
		t.Fatal(err)
	}
	d := ev.Decide(authz.Request{User: p.Username, Roles: p.Roles, Action: "indices:data/read/search", Indices: []string{"shared"}})
	rendered, err := dls.NewCache(16).Render(dlsUser(p), dls.FromAccess(d.Access))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rendered)
	if strings.Contains(string(b), "globex") || !strings.Contains(string(b), "acme") {
		t.Errorf("the owner's DLS rendered for the key: %s; want the owner's tenant acme, never the key's globex", b)
	}
}
