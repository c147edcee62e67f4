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

// writeServerPair writes a certificate for names (valid until notAfter) and
// its key as stem.crt and stem.key in dir.
func writeServerPair(t *testing.T, dir, stem string, notAfter time.Time, names ...string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: stem}, DNSNames: names,
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	writeTestFile(t, filepath.Join(dir, stem+".crt"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeTestFile(t, filepath.Join(dir, stem+".key"), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})))
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSiteTLS: a site's own certificate is checked like the listener's,
// and a certificate that does not cover the site's hosts is reported.
func TestSiteTLS(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"users", "users_a", "users_roles", "roles.yml"} {
		writeTestFile(t, filepath.Join(dir, f), "")
	}
	soon := time.Now().Add(time.Hour)
	writeServerPair(t, dir, "listener", soon, "proxy.example.com")
	writeServerPair(t, dir, "a", soon, "a.example.com", "*.w.example.com")
	writeServerPair(t, dir, "other", soon, "other.example.org")
	writeServerPair(t, dir, "expired", time.Now().Add(-time.Hour), "a.example.com")
	base := "listen: 127.0.0.1:9443\ntls: {cert_file: listener.crt, key_file: listener.key}\nupstream:\n  nodes: [\"http://127.0.0.1:9201\"]\n" +
		"security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\naudit:\n  file: audit.log\n"
	withTLS := func(hosts, tlsYAML string) string {
		return "sites:\n" + strings.Replace(siteYAML("a", "a.example.com", "users_a", "audit-a.log"), "    hosts: [\"a.example.com\"]\n",
			"    hosts: "+hosts+"\n    tls: "+tlsYAML+"\n", 1)
	}
	tests := []struct {
		name, config, wantErr, wantWarn string
	}{
		{"own certificate", base + withTLS(`["a.example.com", "*.w.example.com"]`, "{cert_file: a.crt, key_file: a.key}"), "", ""},
		{"certificate without key", base + withTLS(`["a.example.com"]`, "{cert_file: a.crt}"), "tls.cert_file and tls.key_file go together", ""},
		{"missing file", base + withTLS(`["a.example.com"]`, "{cert_file: nope.crt, key_file: a.key}"), "sites.0.tls.cert_file", ""},
		{"key of another certificate", base + withTLS(`["a.example.com"]`, "{cert_file: a.crt, key_file: other.key}"), "site a: tls: certificate", ""},
		{"expired", base + withTLS(`["a.example.com"]`, "{cert_file: expired.crt, key_file: expired.key}"), "expired on", ""},
		{"not covering a host", base + withTLS(`["a.example.com", "b.example.com"]`, "{cert_file: a.crt, key_file: a.key}"), "", `does not cover host "b.example.com"`},
		{"not covering a wildcard host", base + withTLS(`["*.example.com"]`, "{cert_file: a.crt, key_file: a.key}"), "", `does not cover host "*.example.com"`},
		{"with plain HTTP", strings.Replace(base, "tls: {cert_file: listener.crt, key_file: listener.key}", "insecure_http: true", 1) +
			withTLS(`["a.example.com"]`, "{cert_file: a.crt, key_file: a.key}"), "tls needs TLS, but insecure_http is true", ""},
		{"unknown key", base + withTLS(`["a.example.com"]`, "{cert_file: a.crt, key_file: a.key, min_version: \"1.3\"}"), `unknown key "sites.0.tls.min_version"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "c.yaml")
			writeTestFile(t, path, tc.config)
			cfg, probs := Load(path, func(string) (string, bool) { return "", false })
			joined := ""
			for _, p := range probs {
				joined += p.String() + "\n"
			}
			switch {
			case tc.wantErr == "" && probs.HasErrors():
				t.Fatalf("problems:\n%s", joined)
			case tc.wantErr != "" && !strings.Contains(joined, tc.wantErr):
				t.Fatalf("problems:\n%s\ndo not contain %q", joined, tc.wantErr)
			case tc.wantWarn != "" && !strings.Contains(joined, tc.wantWarn):
				t.Fatalf("problems:\n%s\ndo not contain the warning %q", joined, tc.wantWarn)
			case tc.wantErr == "" && tc.wantWarn == "" && joined != "":
				t.Fatalf("unexpected problems:\n%s", joined)
			}
			if tc.name == "own certificate" && cfg.Sites[0].TLS.CertFile != filepath.Join(dir, "a.crt") {
				t.Fatalf("site certificate path not resolved: %q", cfg.Sites[0].TLS.CertFile)
			}
		})
	}
}
