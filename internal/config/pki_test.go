package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCAPEM writes a self-signed CA certificate to path.
func writeCAPEM(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestPKIConfig(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"users", "users_roles", "roles.yml", "cert.pem", "key.pem", "role_mapping.yml", "pki_mapping.yml"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCAPEM(t, filepath.Join(dir, "ca.pem"))
	if err := os.WriteFile(filepath.Join(dir, "bad.pem"), []byte("not PEM\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const head = "listen: 127.0.0.1:9443\nupstream:\n  nodes: [\"http://127.0.0.1:9201\"]\naudit:\n  file: audit.log\n"
	tlsOpt := "tls:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_ca_file: ca.pem\n  client_authentication: optional\n"
	sec := "security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\n  role_mapping: role_mapping.yml\n"
	tests := []struct {
		name, tls, security, want string
	}{
		{"enabled with optional client auth", tlsOpt, sec + "  pki:\n    enabled: true\n", ""},
		{"required client auth, all keys", strings.Replace(tlsOpt, "optional", "required", 1),
			sec + "  pki:\n    enabled: true\n    realm_name: certs\n    username_pattern: \"EMAILADDRESS=(.*?)(?:,|$)\"\n    certificate_authorities: ca.pem\n    role_mapping: pki_mapping.yml\n", ""},
		{"pki listed as an authenticator", tlsOpt, sec + "  pki:\n    enabled: true\n  authentication:\n    authenticators: [basic, pki]\n", ""},
		{"disabled needs nothing", "insecure_http: true\n", sec + "  pki:\n    enabled: false\n    username_pattern: \"(\"\n", ""},
		{"plain HTTP", "insecure_http: true\n", sec + "  pki:\n    enabled: true\n", ":13: security.pki needs TLS with tls.client_authentication optional or required"},
		{"client auth none", "tls:\n  cert_file: cert.pem\n  key_file: key.pem\n", sec + "  pki:\n    enabled: true\n", ":15: security.pki needs TLS"},
		{"pattern without a group", tlsOpt, sec + "  pki:\n    enabled: true\n    username_pattern: \"CN=.*\"\n", ":18: security.pki.username_pattern needs a capturing group"},
		{"pattern that does not compile", tlsOpt, sec + "  pki:\n    enabled: true\n    username_pattern: \"CN=(\"\n", ":18: security.pki.username_pattern: error parsing regexp"},
		{"missing CA file", tlsOpt, sec + "  pki:\n    enabled: true\n    certificate_authorities: nope.pem\n", ":18: security.pki.certificate_authorities: reading certificate authorities"},
		{"CA file without certificates", tlsOpt, sec + "  pki:\n    enabled: true\n    certificate_authorities: bad.pem\n", ":18: security.pki.certificate_authorities: certificate authorities"},
		{"no role mapping", tlsOpt, strings.Replace(sec, "  role_mapping: role_mapping.yml\n", "", 1) + "  pki:\n    enabled: true\n", ":15: security.pki: a role-mapping file is required"},
		{"missing role mapping file", tlsOpt, sec + "  pki:\n    enabled: true\n    role_mapping: nope.yml\n", ":18: security.pki.role_mapping: open"},
		{"bad realm name", tlsOpt, sec + "  pki:\n    enabled: true\n    realm_name: \" pki\"\n", ":18: security.pki.realm_name: leading or trailing spaces"},
		{"pki authenticator while disabled", tlsOpt, sec + "  authentication:\n    authenticators: [pki, basic]\n", "pki needs security.pki.enabled"},
		{"unknown key", tlsOpt, sec + "  pki:\n    enabled: true\n    truststore: ca.pem\n", ":18: unknown key \"security.pki.truststore\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "c.yaml")
			if err := os.WriteFile(p, []byte(head+tc.tls+tc.security), 0o600); err != nil {
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

func TestPKIDefaults(t *testing.T) {
	cfg, probs := Parse("c.yaml", []byte("security:\n  role_mapping: rm.yml\n  pki:\n    enabled: true\n"), env(nil))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	p := cfg.Security.PKI
	if p.RealmName != "pki1" || p.UsernamePattern != `CN=(.*?)(?:,|$)` || p.RoleMapping != "rm.yml" || p.CertificateAuthorities != "" {
		t.Fatalf("defaults not applied: %+v", p)
	}
	cfg, _ = Parse("c.yaml", []byte("security:\n  role_mapping: rm.yml\n  pki:\n    role_mapping: own.yml\n"), env(nil))
	if cfg.Security.PKI.RoleMapping != "own.yml" {
		t.Fatalf("security.pki.role_mapping overridden by the default: %q", cfg.Security.PKI.RoleMapping)
	}
}
