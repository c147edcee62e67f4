package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func tlsSetup(t *testing.T, clientAuth string) (*proxy, hashedUser) {
	up := newEchoUpstream(t)
	u := allHashFormats(t)[len(allHashFormats(t))-1]
	p := startProxy(t, proxyOpts{Upstreams: []string{up.URL}, TLS: true, ClientAuth: clientAuth, Users: u.Line + "\n", UsersRoles: "superuser:" + u.Name + "\n"})
	return p, u
}

func (p *proxy) dialTLS(t *testing.T, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(p.CA.Cert)
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg.RootCAs = pool
	return tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", strings.TrimPrefix(p.URL, "https://"), cfg)
}

// TestTLSVersions: TLS 1.0/1.1 refused; 1.2 and 1.3 accepted; HTTP/2 via ALPN.
func TestTLSVersions(t *testing.T) {
	p, u := tlsSetup(t, "none")
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		if c, err := p.dialTLS(t, &tls.Config{MinVersion: v, MaxVersion: v}); err == nil {
			c.Close()
			t.Fatalf("TLS version %x accepted", v)
		}
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		c, err := p.dialTLS(t, &tls.Config{MinVersion: v, MaxVersion: v, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			t.Fatalf("TLS version %x refused: %v", v, err)
		}
		st := c.ConnectionState()
		if st.NegotiatedProtocol != "h2" {
			t.Errorf("ALPN: negotiated %q, want h2", st.NegotiatedProtocol)
		}
		c.Close()
	}
	// A weak TLS 1.2 suite is refused.
	if c, err := p.dialTLS(t, &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256}}); err == nil {
		c.Close()
		t.Fatal("CBC/RSA-kex suite accepted")
	}
	resp := do(t, p.client(nil), "GET", p.URL+"/", u.Name, u.Password, nil, nil)
	if resp.Status != 200 {
		t.Fatalf("GET over TLS: %d", resp.Status)
	}
}

// TestCertificateRotation: a new certificate is served to new handshakes
// while an established connection keeps working; a broken replacement is
// ignored.
func TestCertificateRotation(t *testing.T) {
	p, u := tlsSetup(t, "none")
	c := p.client(nil)
	if r := do(t, c, "GET", p.URL+"/", u.Name, u.Password, nil, nil); r.Status != 200 {
		t.Fatalf("before rotation: %d", r.Status)
	}
	serialOf := func() string {
		conn, err := p.dialTLS(t, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	if s := serialOf(); s != "100" {
		t.Fatalf("initial serial %s", s)
	}
	next := newCert(t, "127.0.0.1", p.CA, false, 200)
	writeFile(t, filepath.Join(p.Dir, "key.pem"), string(next.KeyPEM))
	writeFile(t, filepath.Join(p.Dir, "cert.pem"), string(next.CertPEM))
	if !eventually(5*time.Second, func() bool { return serialOf() == "200" }) {
		t.Fatal("new certificate not served after the files changed")
	}
	// The keep-alive connection opened before the rotation still works.
	if r := do(t, c, "GET", p.URL+"/", u.Name, u.Password, nil, nil); r.Status != 200 {
		t.Fatalf("old connection after rotation: %d", r.Status)
	}
	// A broken certificate is refused and the current one stays.
	writeFile(t, filepath.Join(p.Dir, "cert.pem"), "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
	p.signal(syscall.SIGHUP)
	time.Sleep(500 * time.Millisecond) // give the reload a chance to (wrongly) apply
	if s := serialOf(); s != "200" {
		t.Fatalf("after a broken replacement the serial is %s", s)
	}
	if !eventually(3*time.Second, func() bool { return strings.Contains(p.logs.String(), "TLS certificate reload failed") }) {
		t.Fatal("broken certificate not logged")
	}
}

// TestClientCertificates: client_authentication required refuses a
// handshake without a certificate and accepts one signed by the CA.
func TestClientCertificates(t *testing.T) {
	p, u := tlsSetup(t, "required")
	if conn, err := p.dialTLS(t, nil); err == nil {
		// TLS 1.3 reports the refusal on first read.
		_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
		_, _ = conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		buf := make([]byte, 1)
		if _, err := conn.Read(buf); err == nil {
			t.Fatal("handshake without client certificate accepted")
		}
		conn.Close()
	}
	// The refusal is audited as Elasticsearch's connection_denied.
	if !eventually(5*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
		return strings.Contains(string(b), `"event.type":"ip_filter","event.action":"connection_denied","origin.type":"rest","origin.address":"127.0.0.1:`) &&
			strings.Contains(string(b), `"transport.profile":".http","rule":"deny client_authentication: required, no client certificate"`)
	}) {
		t.Fatal("no connection_denied record for the handshake without a client certificate")
	}
	cc := newCert(t, "client", p.CA, false, 300)
	pair, err := tls.X509KeyPair(cc.CertPEM, cc.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c := p.client(func(cfg *tls.Config) { cfg.Certificates = []tls.Certificate{pair} })
	if r := do(t, c, "GET", p.URL+"/", u.Name, u.Password, nil, nil); r.Status != 200 {
		t.Fatalf("with client certificate: %d %s", r.Status, r.Body)
	}
	// A certificate from another CA is refused.
	other := newCert(t, "rogue", newCert(t, "rogue CA", nil, true, 9), false, 301)
	pair2, _ := tls.X509KeyPair(other.CertPEM, other.KeyPEM)
	c2 := p.client(func(cfg *tls.Config) { cfg.Certificates = []tls.Certificate{pair2} })
	if _, err := c2.Get(p.URL + "/"); err == nil {
		t.Fatal("certificate from a foreign CA accepted")
	}
}
