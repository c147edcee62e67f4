package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/config"
)

// loginConfig writes a configuration with the browser login on (the
// provider is unreachable: discovery is retried on use) plus extra YAML
// in the security section.
func loginConfig(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"users": "", "users_roles": "", "roles.yml": "", "role_mapping.yml": "",
		"keys":       "# rotation: current first\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"short-keys": "c2hvcnQ=\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	y := "listen: 127.0.0.1:9243\ninsecure_http: true\nupstream:\n  nodes: [\"http://127.0.0.1:9200\"]\naudit:\n  file: audit.json\n" +
		"security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\n" +
		"  oidc:\n    enabled: true\n    issuers: [\"http://127.0.0.1:1/dex\"]\n    audiences: [portcullis]\n    role_mapping: role_mapping.yml\n" +
		"    login:\n      enabled: true\n      client_id: portcullis-web\n      redirect_uri: http://127.0.0.1:9243/_portcullis/oidc/callback\n" + extra
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// schemesOf builds the authenticators of a configuration file (closed when
// the test ends) and returns the schemes that apply to path.
func schemesOf(t *testing.T, configPath, path string) (*authStack, []string) {
	t.Helper()
	cfg, probs := config.Load(configPath, os.LookupEnv)
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	st, err := newAuthStack(context.Background(), cfg, zap.NewNop(), authn.Chain{}, failedLogins{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st, st.authenticator.(authn.SchemeLister).Schemes(httptest.NewRequest("GET", path, nil))
}

func TestAuthStackRoutes(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		path  string
		want  []string
	}{
		{"defaults", "", "/logs/_search", []string{"session", "bearer", "basic"}},
		{"global list", "  authentication:\n    authenticators: [bearer, session]\n", "/x", []string{"bearer", "session"}},
		// Service tokens and API keys come before the realms, as in
		// Elasticsearch (and service tokens are Bearer tokens the OIDC
		// authenticator would refuse).
		{"service tokens and API keys", "  service_tokens: service_tokens\n  api_keys:\n    file: api_keys.json\n", "/x",
			[]string{"session", "service_token", "api_key", "bearer", "basic"}},
		{"route", "  authentication:\n    routes:\n      - {path_prefix: /api/, authenticators: [basic]}\n", "/api/status", []string{"basic"}},
		{"redis store (unreachable: a warning, not fatal)",
			"  sessions:\n    store: redis\n    redis: {address: \"127.0.0.1:1\"}\n    encryption_keys_file: keys\n", "/", []string{"session", "bearer", "basic"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, got := schemesOf(t, loginConfig(t, tc.extra), tc.path)
			if !slices.Equal(got, tc.want) || st.loginService() == nil || st.mappings == nil {
				t.Fatalf("schemes %v, want %v (login %v)", got, tc.want, st.loginService())
			}
		})
	}
}

func TestAuthStackWithoutLogin(t *testing.T) {
	cfg, probs := config.Load(loginConfig(t, ""), os.LookupEnv)
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	cfg.Security.OIDC.Login.Enabled = false
	st, err := newAuthStack(context.Background(), cfg, zap.NewNop(), authn.Chain{}, failedLogins{})
	if err != nil {
		t.Fatal(err)
	}
	if st.loginService() != nil {
		t.Fatal("a login service without security.oidc.login")
	}
	if got := st.authenticator.(authn.SchemeLister).Schemes(httptest.NewRequest("GET", "/", nil)); !slices.Equal(got, []string{"bearer", "basic"}) {
		t.Fatalf("schemes %v", got)
	}
}

func TestCheckSessionKeys(t *testing.T) {
	p := loginConfig(t, "  sessions:\n    encryption_keys_file: short-keys\n")
	code, out, _ := runCLI("", "check", "--config", p)
	if code != 1 || !strings.Contains(out, "security.sessions.encryption_keys_file:") || !strings.Contains(out, "at least 32 random bytes") {
		t.Fatalf("check with a short key: %d\n%s", code, out)
	}
}

// TestAuthStackIntrospection: with introspection on, the bearer scheme
// sends opaque tokens to the endpoint and maps the answer's groups.
func TestAuthStackIntrospection(t *testing.T) {
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.PostFormValue("token") {
		case "opaque-good":
			fmt.Fprintf(w, `{"active":true,"sub":"u1","client_id":"portcullis","exp":%d,"groups":["admins"]}`, time.Now().Add(time.Hour).Unix())
			return
		case "opaque-other-client": // issued to another client, no aud: not for the proxy
			fmt.Fprintf(w, `{"active":true,"sub":"u1","client_id":"other-app","exp":%d,"groups":["admins"]}`, time.Now().Add(time.Hour).Unix())
			return
		}
		fmt.Fprint(w, `{"active":false}`)
	}))
	defer endpoint.Close()
	p := loginConfig(t, "    introspection: {enabled: true, endpoint: \""+endpoint.URL+"\", client_id: portcullis}\n")
	if err := os.WriteFile(filepath.Join(filepath.Dir(p), "role_mapping.yml"), []byte("admins:\n  - admins\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, probs := config.Load(p, os.LookupEnv)
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	st, err := newAuthStack(context.Background(), cfg, zap.NewNop(), authn.Chain{}, failedLogins{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for token, want := range map[string]string{"opaque-good": "u1", "opaque-bad": "", "opaque-other-client": ""} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		got, err := st.authenticator.Authenticate(r)
		if want == "" {
			if err == nil {
				t.Fatalf("%s accepted: %+v", token, got)
			}
			continue
		}
		if err != nil || got.Username != want || !slices.Equal(got.Roles, []string{"admins"}) {
			t.Fatalf("%s: %+v %v", token, got, err)
		}
	}
}
