package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// syncAuditor is a fakeAuditor safe for the handshake goroutines.
type syncAuditor struct {
	mu     sync.Mutex
	events []*audit.Event
}

func (s *syncAuditor) Record(_ context.Context, evs ...*audit.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, evs...)
	return nil
}

func (s *syncAuditor) EmitRequestBody() bool { return false }

func (s *syncAuditor) denials() []*audit.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*audit.Event
	for _, ev := range s.events {
		if ev.EventAction == audit.ConnectionDenied {
			out = append(out, ev)
		}
	}
	return out
}

type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
	kpem []byte
}

func issue(t *testing.T, cn string, ca *testCert, isCA bool) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:        isCA, BasicConstraintsValid: true,
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	return &testCert{cert: cert, key: key,
		pem:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		kpem: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})}
}

func (c *testCert) pair(t *testing.T) tls.Certificate {
	t.Helper()
	p, err := tls.X509KeyPair(c.pem, c.kpem)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConnectionDenied runs the TLS listener with client_authentication
// required: handshakes refused by the TLS policy are audited as
// connection_denied in Elasticsearch's ip_filter shape, with the client's
// address; an accepted client is served over HTTP/2 and HTTP/1.1.
func TestConnectionDenied(t *testing.T) {
	dir := t.TempDir()
	ca := issue(t, "ca", nil, true)
	srvCert := issue(t, "server", ca, false)
	for name, b := range map[string][]byte{"cert.pem": srvCert.pem, "key.pem": srvCert.kpem, "ca.pem": ca.pem} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cr, err := NewCertReloader(TLSOptions{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"),
		MinVersion: tls.VersionTLS12, ClientCAFile: filepath.Join(dir, "ca.pem"), ClientAuth: tls.RequireAndVerifyClientCert}, zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	au := &syncAuditor{}
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"proto":"` + r.Proto + `"}`)) })
	s, err := New(Options{TLS: cr, ReadHeaderTimeout: 5 * time.Second, Log: zap.NewNop(),
		Authenticator: fakeAuthn{p: &authn.Principal{Username: "u"}}, Authorizer: fakeAuthz{true}, Auditor: au,
		Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveInBackground(t, s, "127.0.0.1:0").Addr().String()
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	rogue := issue(t, "rogue", issue(t, "rogue ca", nil, true), false)

	refused := []struct {
		name string
		cfg  *tls.Config
		rule string
	}{
		{"no client certificate", &tls.Config{RootCAs: roots}, "deny client_authentication: required, no client certificate"},
		{"no client certificate, TLS 1.2", &tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS12}, "deny client_authentication: required, no client certificate"},
		{"untrusted client certificate", &tls.Config{RootCAs: roots, GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			p := rogue.pair(t) // sent although the server asks for its own CA's
			return &p, nil
		}}, "deny client_authentication: certificate not trusted (x509: certificate signed by unknown authority"},
		{"TLS 1.1", &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11}, "deny tls min_version"},
		{"CBC suite", &tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}, "deny tls cipher_suites"},
	}
	for i, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			before := len(au.denials())
			// Each case from its own loopback address: one address is
			// recorded once per window.
			local := dialAndTalk(t, addr, net.IPv4(127, 0, 0, byte(10+i)), tc.cfg)
			if !waitFor(func() bool { return len(au.denials()) > before }) {
				t.Fatal("no connection_denied event")
			}
			ev := au.denials()[before]
			if ev.EventType != audit.TypeIPFilter || ev.OriginType != audit.OriginRest || ev.TransportProfile != ".http" ||
				ev.OriginAddress != local || !strings.HasPrefix(ev.Rule, tc.rule) {
				t.Fatalf("event %+v; want origin %s, rule %q…", ev, local, tc.rule)
			}
			line := string(audit.Marshal(ev))
			if !strings.Contains(line, `"event.type":"ip_filter","event.action":"connection_denied"`) || !strings.Contains(line, `"transport.profile":".http","rule":"deny `) {
				t.Fatalf("record %s", line)
			}
		})
	}

	// An accepted client: no event, HTTP/2 and HTTP/1.1 both served.
	before := len(au.denials())
	for _, protos := range [][]string{{"h2"}, {"http/1.1"}} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{srvCert.pair(t)}, NextProtos: protos}, ForceAttemptHTTP2: protos[0] == "h2"}
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + addr + "/")
		if err != nil {
			t.Fatalf("%v: %v", protos, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := map[string]string{"h2": "HTTP/2.0", "http/1.1": "HTTP/1.1"}[protos[0]]
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("%v: %d %s", protos, resp.StatusCode, body)
		}
		tr.CloseIdleConnections()
	}
	// A client that hangs up mid-handshake is not a policy refusal.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte{0x16, 0x03, 0x01})
	c.Close()
	time.Sleep(100 * time.Millisecond)
	if n := len(au.denials()); n != before {
		t.Fatalf("%d connection_denied events for accepted or abandoned connections", n-before)
	}
}

// dialAndTalk handshakes from the local IP (TLS 1.3 clients learn of a
// refusal only when reading) and returns the local address the server saw.
func dialAndTalk(t *testing.T, addr string, from net.IP, cfg *tls.Config) string {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: from}}
	raw, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	cfg.ServerName = "127.0.0.1"
	c := tls.Client(raw, cfg)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := c.Handshake(); err == nil {
		_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("the connection was accepted")
		}
	}
	return raw.LocalAddr().String()
}

func waitFor(f func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if f() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// TestConnectionDeniedAggregation: a flood cannot fill the disk. Each
// address is recorded once per window, at most max addresses one by one;
// the rest is summed up in one event when the window ends.
func TestConnectionDeniedAggregation(t *testing.T) {
	type denial struct {
		addr string
		at   time.Duration // since the start
	}
	tests := []struct {
		name      string
		max       int
		denials   []denial
		flushAt   time.Duration
		wantAddrs []string // origin.address of the individual events, in order
		wantSumm  string   // expected in the summary's rule ("" = no summary)
	}{
		{name: "repeats of one address", max: 10,
			denials:   []denial{{"10.0.0.1:1000", 0}, {"10.0.0.1:1001", time.Second}, {"10.0.0.1:1002", 2 * time.Second}},
			flushAt:   time.Minute,
			wantAddrs: []string{"10.0.0.1:1000"}, wantSumm: "deny (aggregated): 2 further refused connections"},
		{name: "budget of addresses", max: 2,
			denials:   []denial{{"10.0.0.1:1", 0}, {"10.0.0.2:1", 0}, {"10.0.0.3:1", 0}, {"[2001:db8::1]:1", 0}},
			flushAt:   time.Minute,
			wantAddrs: []string{"10.0.0.1:1", "10.0.0.2:1"}, wantSumm: "deny (aggregated): 2 further refused connections"},
		{name: "a new window records the address again", max: 10,
			denials:   []denial{{"10.0.0.1:1", 0}, {"10.0.0.1:2", 61 * time.Second}},
			flushAt:   130 * time.Second,
			wantAddrs: []string{"10.0.0.1:1", "10.0.0.1:2"}},
		{name: "nothing suppressed, no summary", max: 10,
			denials:   []denial{{"10.0.0.1:1", 0}, {"10.0.0.2:1", 0}},
			flushAt:   time.Minute,
			wantAddrs: []string{"10.0.0.1:1", "10.0.0.2:1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			now := start
			au := &syncAuditor{}
			d := newConnDenials(au, zap.NewNop(), time.Minute, tc.max, func() time.Time { return now })
			for _, dn := range tc.denials {
				now = start.Add(dn.at)
				d.deny(dn.addr, "deny client_authentication: required, no client certificate")
			}
			d.flush(start.Add(tc.flushAt))
			var addrs []string
			summary := ""
			for _, ev := range au.denials() {
				if ev.OriginAddress == "" {
					summary = ev.Rule
					continue
				}
				addrs = append(addrs, ev.OriginAddress)
			}
			if fmt.Sprint(addrs) != fmt.Sprint(tc.wantAddrs) {
				t.Fatalf("individual events from %v, want %v", addrs, tc.wantAddrs)
			}
			if (tc.wantSumm == "") != (summary == "") || !strings.HasPrefix(summary, tc.wantSumm) {
				t.Fatalf("summary %q, want %q…", summary, tc.wantSumm)
			}
		})
	}
}

// serveInBackground runs s on a listener at addr (and its operations
// listener on a free loopback port) until the test ends; it returns the
// main listener.
func serveInBackground(t *testing.T, s *Server, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	opsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, opsLn) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return ln
}
