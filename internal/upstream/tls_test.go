package upstream

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// writePEM writes one PEM block to a file in dir and returns its path.
func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// clientPKI creates a CA and a client certificate signed by it; it returns
// the CA pool (for the server) and the client cert and key files.
func clientPKI(t *testing.T) (caPool *x509.CertPool, certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test client CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "portcullis"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	caPool = x509.NewCertPool()
	caPool.AddCert(caCert)
	return caPool, writePEM(t, dir, "client.pem", "CERTIFICATE", der), writePEM(t, dir, "client-key.pem", "EC PRIVATE KEY", keyDER)
}

// tlsBackend starts an HTTPS node that reports the client certificate's
// common name, optionally requiring one signed by clientCAs.
func tlsBackend(t *testing.T, clientCAs *x509.CertPool) (srv *httptest.Server, caFile string) {
	t.Helper()
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cn := "none"
		if len(r.TLS.PeerCertificates) > 0 {
			cn = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		_, _ = io.WriteString(w, cn)
	}))
	if clientCAs != nil {
		srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, writePEM(t, t.TempDir(), "ca.pem", "CERTIFICATE", srv.Certificate().Raw)
}

func TestTLSToUpstream(t *testing.T) {
	clientCAs, certFile, keyFile := clientPKI(t)
	tests := []struct {
		name       string
		mutual     bool
		cfg        func(caFile string) Config
		wantStatus int
		wantBody   string
	}{
		{"trusted CA", false, func(ca string) Config { return Config{CAFile: ca} }, http.StatusOK, "none"},
		{"system roots do not trust a test CA", false, func(string) Config { return Config{} }, http.StatusBadGateway, ""},
		{"insecure skip verify", false, func(string) Config { return Config{InsecureSkipVerify: true} }, http.StatusOK, "none"},
		{"client certificate", true, func(ca string) Config {
			return Config{CAFile: ca, ClientCertFile: certFile, ClientKeyFile: keyFile}
		}, http.StatusOK, "portcullis"},
		{"client certificate required but missing", true, func(ca string) Config { return Config{CAFile: ca} }, http.StatusBadGateway, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cas *x509.CertPool
			if tt.mutual {
				cas = clientCAs
			}
			srv, caFile := tlsBackend(t, cas)
			rec := &recorder{}
			cfg := tt.cfg(caFile)
			cfg.Nodes = []*url.URL{mustParse(t, srv.URL)}
			p := newProxy(t, cfg, rec)

			w := serve(p, httptest.NewRequest(http.MethodGet, "/", nil))

			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantStatus != http.StatusOK {
				decodeESError(t, w)
				if errs := rec.errors(""); len(errs) != 1 {
					t.Errorf("errors = %v", errs)
				}
				return
			}
			if w.Body.String() != tt.wantBody {
				t.Errorf("client certificate seen by node = %q, want %q", w.Body, tt.wantBody)
			}
		})
	}
}

// selfSignedServer starts an HTTPS node with its own self-signed
// certificate (httptest's servers all share one certificate).
func selfSignedServer(t *testing.T) *httptest.Server {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3),
		Subject:      pkix.Name{CommonName: "impostor"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("impostor node received a request")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestTLSHandshakeFailureIsRetried(t *testing.T) {
	// A node whose certificate is not trusted fails in the handshake,
	// before any request byte is sent: a GET moves on to the next node.
	untrusted := selfSignedServer(t)
	trusted, caFile := tlsBackend(t, nil)
	rec := &recorder{}
	p := newProxy(t, Config{
		Nodes:  []*url.URL{mustParse(t, untrusted.URL), mustParse(t, trusted.URL)},
		CAFile: caFile,
	}, rec)

	w := serve(p, httptest.NewRequest(http.MethodGet, "/", nil))

	if w.Code != http.StatusOK {
		t.Fatalf("status = %d: %s", w.Code, w.Body)
	}
	if errs := rec.errors(untrusted.URL); len(errs) != 1 || errs[0] != KindTLS {
		t.Errorf("errors for untrusted node = %v, want [tls]", errs)
	}
}

// TestTLSConnectionsAreReused: requests to a TLS 1.3 node go over one kept
// connection, session tickets and all, instead of a handshake each (the
// liveness check before reuse must not mistake TLS records the node sent
// with its first response for unsolicited bytes).
func TestTLSConnectionsAreReused(t *testing.T) {
	var handshakes atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS.Version != tls.VersionTLS13 {
			t.Errorf("TLS version %x, want 1.3", r.TLS.Version)
		}
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			handshakes.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := writePEM(t, t.TempDir(), "ca.pem", "CERTIFICATE", srv.Certificate().Raw)
	p := newProxy(t, Config{Nodes: []*url.URL{mustParse(t, srv.URL)}, CAFile: caFile}, &recorder{})

	for i := range 20 {
		if w := serve(p, httptest.NewRequest(http.MethodGet, "/", nil)); w.Code != http.StatusOK || w.Body.String() != "ok" {
			t.Fatalf("request %d: %d %q", i, w.Code, w.Body)
		}
	}
	if n := handshakes.Load(); n != 1 {
		t.Errorf("20 sequential requests opened %d TLS connections, want 1", n)
	}
}
