package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
)

func writeCert(t *testing.T, dir string, serial int64, notAfter time.Time) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "t"},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	_ = os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
}

func serialServed(t *testing.T, cr *CertReloader) int64 {
	t.Helper()
	cfg, err := cr.ServerConfig().GetConfigForClient(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Certificates[0].Leaf.SerialNumber.Int64()
}

func TestCertReloader(t *testing.T) {
	dir := t.TempDir()
	writeCert(t, dir, 1, time.Now().Add(time.Hour))
	var results []error
	cr, err := NewCertReloader(TLSOptions{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"),
		MinVersion: tls.VersionTLS12}, zap.NewNop(), func(err error) { results = append(results, err) })
	if err != nil {
		t.Fatal(err)
	}
	if changed, _ := cr.Reload(); changed {
		t.Fatal("unchanged files reported as changed")
	}
	writeCert(t, dir, 2, time.Now().Add(time.Hour))
	if changed, err := cr.Reload(); !changed || err != nil || serialServed(t, cr) != 2 {
		t.Fatalf("rotation: changed=%v err=%v serial=%d", changed, err, serialServed(t, cr))
	}
	// Broken and expired replacements keep the current certificate.
	_ = os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("garbage"), 0o600)
	if _, err := cr.Reload(); err == nil || serialServed(t, cr) != 2 {
		t.Fatal("broken certificate replaced the good one")
	}
	writeCert(t, dir, 3, time.Now().Add(-time.Hour))
	if _, err := cr.Reload(); err == nil || serialServed(t, cr) != 2 {
		t.Fatal("expired certificate replaced the good one")
	}
	if len(results) != 4 || results[0] != nil || results[2] == nil {
		t.Fatalf("onLoad results: %v", results)
	}
	cfg, _ := cr.ServerConfig().GetConfigForClient(&tls.ClientHelloInfo{})
	if cfg.MinVersion != tls.VersionTLS12 || len(cfg.CipherSuites) == 0 || cfg.NextProtos[0] != "h2" {
		t.Fatalf("config: %+v", cfg)
	}
	for _, cs := range cfg.CipherSuites {
		for _, insecure := range tls.InsecureCipherSuites() {
			if cs == insecure.ID {
				t.Fatalf("insecure suite %s offered", insecure.Name)
			}
		}
	}
}

func TestNewCertReloaderFailsWithoutCertificate(t *testing.T) {
	if _, err := NewCertReloader(TLSOptions{CertFile: "/nonexistent", KeyFile: "/nonexistent"}, zap.NewNop(), nil); err == nil {
		t.Fatal("missing certificate accepted at startup")
	}
}

func TestParseTLSSettings(t *testing.T) {
	if v, err := ParseMinVersion("1.3"); err != nil || v != tls.VersionTLS13 {
		t.Fatal("1.3")
	}
	if _, err := ParseMinVersion("1.1"); err == nil {
		t.Fatal("1.1 accepted")
	}
	for in, want := range map[string]tls.ClientAuthType{"none": tls.NoClientCert, "optional": tls.VerifyClientCertIfGiven, "required": tls.RequireAndVerifyClientCert} {
		if got, err := ParseClientAuth(in); err != nil || got != want {
			t.Fatalf("%s: %v", in, got)
		}
	}
	if _, err := ParseClientAuth("maybe"); err == nil {
		t.Fatal("bad client auth accepted")
	}
}
