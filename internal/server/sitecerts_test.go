package server

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
)

// certReloaderSerial writes a certificate with serial into its own folder
// and returns its reloader.
func certReloaderSerial(t *testing.T, serial int64) *CertReloader {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "c")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeCert(t, dir, serial, time.Now().Add(time.Hour))
	cr, err := NewCertReloader(TLSOptions{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"),
		MinVersion: tls.VersionTLS12}, zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cr
}

// TestSiteCertificates: the handshake serves the certificate of the site
// the server name selects (the listener's for other names), and a request
// whose Host belongs to another certificate than its connection's server
// name is refused with 421, through a real TLS listener.
func TestSiteCertificates(t *testing.T) {
	def, a, w := certReloaderSerial(t, 1), certReloaderSerial(t, 2), certReloaderSerial(t, 3)
	sites := []Site{
		{Name: "a", Hosts: []string{"a.example.com"}, Handler: named("a"), TLS: a},
		{Name: "w", Hosts: []string{"*.w.example.com"}, Handler: named("w"), TLS: w},
		{Name: "n", Hosts: []string{"n.example.com"}, Handler: named("n")}, // the listener's certificate
	}
	certs := newSiteCerts(def, sites)
	if certs == nil {
		t.Fatal("no site certificates")
	}
	if newSiteCerts(def, sites[2:]) != nil {
		t.Fatal("sites without certificates of their own need no selection")
	}
	srv := httptest.NewUnstartedServer(newSiteRouter(named("default"), sites, certs, wrongCertificate()))
	srv.TLS = certs.serverConfig()
	srv.StartTLS()
	defer srv.Close()

	for _, tc := range []struct {
		serverName, host string
		serial           int64
		code             int
		body             string
	}{
		{"a.example.com", "a.example.com", 2, 200, "a"},
		{"A.Example.Com", "a.example.com:443", 2, 200, "a"},
		{"x.w.example.com", "x.w.example.com", 3, 200, "w"},
		{"n.example.com", "n.example.com", 1, 200, "n"},
		{"other.example.org", "other.example.org", 1, 200, "default"},
		// Same certificate (the listener's): coalescing is harmless.
		{"n.example.com", "other.example.org", 1, 200, "default"},
		{"", "n.example.com", 1, 200, "n"},
		// A connection made for one certificate, a request for another.
		{"a.example.com", "x.w.example.com", 2, 421, ""},
		{"a.example.com", "n.example.com", 2, 421, ""},
		{"n.example.com", "a.example.com", 1, 421, ""},
		{"", "a.example.com", 1, 421, ""},
		{"x.w.example.com", "a.example.com", 3, 421, ""},
	} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: tc.serverName}}
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.Host = tc.host
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatalf("SNI %q Host %q: %v", tc.serverName, tc.host, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		if got := resp.TLS.PeerCertificates[0].SerialNumber.Int64(); got != tc.serial {
			t.Errorf("SNI %q: certificate %d, want %d", tc.serverName, got, tc.serial)
		}
		if resp.StatusCode != tc.code || tc.code == 200 && string(body) != tc.body {
			t.Errorf("SNI %q Host %q: %d %s, want %d %s", tc.serverName, tc.host, resp.StatusCode, body, tc.code, tc.body)
		}
	}
}
