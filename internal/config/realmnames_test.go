package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealmNames: a configurable realm name may not be another realm's
// (default_file, default_native, the OIDC and PKI realms' own) nor start
// with "_": API keys and role-mapping rules tell users apart by realm, so
// a clash made an OIDC "alice" the owner of the users file's alice's keys.
func TestRealmNames(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"users", "users_roles", "roles.yml", "cert.pem", "key.pem", "role_mapping.yml"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCAPEM(t, filepath.Join(dir, "ca.pem"))
	const head = "listen: 127.0.0.1:9443\nupstream:\n  nodes: [\"http://127.0.0.1:9201\"]\naudit:\n  file: audit.log\n" +
		"tls:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_ca_file: ca.pem\n  client_authentication: optional\n" +
		"security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\n  role_mapping: role_mapping.yml\n"
	oidc := func(extra string) string {
		return "  oidc:\n    enabled: true\n    issuers: [\"https://idp.example.com\"]\n    audiences: [portcullis]\n    role_mapping: role_mapping.yml\n" + extra
	}
	pki := func(extra string) string { return "  pki:\n    enabled: true\n" + extra }
	tests := []struct {
		name, security, want string
	}{
		{"defaults", oidc("") + pki(""), ""},
		{"own names", oidc("    realm_name: corp-sso\n") + pki("    realm_name: corp-certs\n"), ""},
		{"oidc named like the file realm", oidc("    realm_name: default_file\n"), `security.oidc.realm_name: "default_file" is also the name of the users file realm`},
		{"oidc named like the native realm", oidc("    realm_name: default_native\n"), `"default_native" is also the name of the native realm`},
		{"pki named like the file realm", pki("    realm_name: default_file\n"), `security.pki.realm_name: "default_file" is also the name of the users file realm`},
		{"pki named like the oidc realm", oidc("    realm_name: corp\n") + pki("    realm_name: corp\n"), `security.pki.realm_name: "corp" is also the name of security.oidc.realm_name`},
		{"pki named like the default oidc realm", oidc("") + pki("    realm_name: jwt1\n"), `security.pki.realm_name: "jwt1" is also the name of the OIDC realm`},
		{"reserved prefix", oidc("    realm_name: _es_api_key\n"), `"_es_api_key" starts with _`},
		{"reserved prefix pki", pki("    realm_name: __anonymous\n"), `"__anonymous" starts with _`},
		{"invalid oidc name", oidc("    realm_name: \"sso \"\n"), "security.oidc.realm_name: leading or trailing spaces"},
		{"disabled realms are not checked", "  oidc:\n    enabled: false\n    realm_name: default_file\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(p, []byte(head+tc.security), 0o600); err != nil {
				t.Fatal(err)
			}
			_, probs := Load(p, env(nil))
			all := ""
			for _, pr := range probs {
				all += pr.String() + "\n"
			}
			if tc.want == "" {
				if probs.HasErrors() {
					t.Fatalf("unexpected errors:\n%s", all)
				}
				return
			}
			if !strings.Contains(all, tc.want) || !probs.HasErrors() {
				t.Fatalf("problems:\n%s\ndo not contain %q", all, tc.want)
			}
		})
	}
}
