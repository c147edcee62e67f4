package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/config"
)

// pkiConfig writes a configuration with the PKI realm on plus extra YAML
// in the security section (the TLS files are never read by these tests).
func pkiConfig(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"users", "users_roles", "roles.yml", "role_mapping.yml", "cert.pem", "key.pem", "ca.pem"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	y := "listen: 127.0.0.1:9243\ntls:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_ca_file: ca.pem\n  client_authentication: optional\n" +
		"upstream:\n  nodes: [\"http://127.0.0.1:9200\"]\naudit:\n  file: audit.json\n" +
		"security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\n  role_mapping: role_mapping.yml\n  pki:\n    enabled: true\n" + extra
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAuthStackPKI(t *testing.T) {
	tests := []struct {
		name, extra, path string
		want              []string
	}{
		{"first by default", "", "/logs/_search", []string{"pki", "basic"}},
		{"after API keys", "  api_keys: {file: keys.json}\n", "/x", []string{"api_key", "pki", "basic"}},
		{"global list", "  authentication:\n    authenticators: [basic, pki]\n", "/x", []string{"basic", "pki"}},
		{"route", "  authentication:\n    routes:\n      - {path_prefix: /api/, authenticators: [pki]}\n", "/api/status", []string{"pki"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, got := schemesOf(t, pkiConfig(t, tc.extra), tc.path)
			if !slices.Equal(got, tc.want) || st.pkiMappings == nil {
				t.Fatalf("schemes %v, want %v (mappings %v)", got, tc.want, st.pkiMappings)
			}
			st.reloadPKIMappings(zap.NewNop())
		})
	}
}

// TestSecurityFilesPKI: the PKI realm's role mappings are audited as a
// security file, once even when OIDC shares the file.
func TestSecurityFilesPKI(t *testing.T) {
	cfg, probs := config.Load(pkiConfig(t, ""), os.LookupEnv)
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	count := func() int {
		n := 0
		for _, f := range securityFiles(cfg) {
			if f.Kind == "role_mapping" && f.Path == cfg.Security.PKI.RoleMapping {
				n++
			}
		}
		return n
	}
	if n := count(); n != 1 {
		t.Fatalf("PKI role mapping watched %d times, want 1", n)
	}
	cfg.Security.OIDC.Enabled, cfg.Security.OIDC.RoleMapping = true, cfg.Security.PKI.RoleMapping
	if n := count(); n != 1 {
		t.Fatalf("a role mapping shared with OIDC watched %d times, want 1", n)
	}
}

// TestCheckPKI: proxy check reports the PKI role mappings' problems.
func TestCheckPKI(t *testing.T) {
	path := pkiConfig(t, "")
	if probs := checkAll(path); probs.HasErrors() {
		t.Fatalf("valid configuration: %v", probs)
	}
	rm := filepath.Join(filepath.Dir(path), "role_mapping.yml")
	if err := os.WriteFile(rm, []byte("bad:\n  enabled: true\n  roles: [r]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	probs := checkAll(path)
	if !probs.HasErrors() || !strings.Contains(probs[len(probs)-1].String(), "role_mapping.yml:1: role mapping \"bad\": rules are required") {
		t.Fatalf("problems %v, want the role mapping's", probs)
	}
}
