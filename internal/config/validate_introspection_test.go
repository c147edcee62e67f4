package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An introspection endpoint is one provider's. In a realm trusting several
// issuers, security.oidc.introspection.issuer names it (else its answers
// could name any trusted issuer's user, or none); it must be one of the
// issuers.
func TestIntrospectionIssuerValidation(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"users", "users_roles", "roles.yml", "role_mapping.yml"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := func(issuers, introspectionIssuer string) string {
		s := "listen: 127.0.0.1:9443\ninsecure_http: true\nupstream:\n  nodes: [\"http://127.0.0.1:9201\"]\naudit:\n  file: audit.log\n" +
			"security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\n" +
			"  oidc:\n    enabled: true\n    issuers: " + issuers + "\n    audiences: [portcullis]\n    role_mapping: role_mapping.yml\n" +
			"    introspection: {enabled: true, endpoint: \"https://a.example/introspect\", client_id: portcullis"
		if introspectionIssuer != "" {
			s += ", issuer: \"" + introspectionIssuer + "\""
		}
		return s + "}\n"
	}
	two := `["https://a.example", "https://b.example"]`
	tests := []struct{ name, yaml, want string }{
		{"one issuer, none named", cfg(`["https://a.example"]`, ""), ""},
		{"several issuers, none named", cfg(two, ""), "security.oidc.introspection.issuer is required"},
		{"several issuers, one named", cfg(two, "https://b.example"), ""},
		{"an issuer not trusted", cfg(two, "https://c.example"), "is not one of security.oidc.issuers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(p, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, probs := Load(p, env(nil))
			var all []string
			for _, pr := range probs {
				all = append(all, pr.String())
			}
			got := strings.Join(all, "\n")
			if tc.want == "" {
				if len(probs) > 0 {
					t.Fatalf("unexpected problems:\n%s", got)
				}
				if tc.name == "several issuers, one named" && c.Security.OIDC.Introspection.Issuer != "https://b.example" {
					t.Fatalf("issuer %q", c.Security.OIDC.Introspection.Issuer)
				}
				return
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("problems:\n%s\ndo not contain %q", got, tc.want)
			}
		})
	}
}
