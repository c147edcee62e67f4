package e2e

import (
	"bytes"
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
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proxyBin is the binary under test, built once by TestMain.
var proxyBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "portcullis-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	proxyBin = os.Getenv("PORTCULLIS_BIN")
	if proxyBin == "" {
		proxyBin = filepath.Join(dir, "proxy")
		cmd := exec.Command("go", "build", "-o", proxyBin, "../../cmd/proxy")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building the proxy:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// openSearchURL returns the real cluster's URL, skipping (or failing, when
// E2E_REQUIRED=1) if none was started.
// backendLacks skips the rest of a test on a backend that cannot run it:
// the Elasticsearch 7.17 node of the e2e suite runs the OSS modules only
// (no painless scripts, data streams or flattened fields, which are
// x-pack's in 7.x). The same test runs in full against OpenSearch in CI.
func backendLacks(t *testing.T, feature string) {
	t.Helper()
	if os.Getenv("E2E_BACKEND") == "elasticsearch" {
		t.Skipf("the Elasticsearch 7.17 test node has no %s (OSS modules only); covered against OpenSearch", feature)
	}
}

func openSearchURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("E2E_OPENSEARCH_URL")
	if u == "" {
		if os.Getenv("E2E_REQUIRED") == "1" {
			t.Fatal("E2E_OPENSEARCH_URL is not set but E2E_REQUIRED=1: start OpenSearch with scripts/opensearch.sh")
		}
		t.Skip("E2E_OPENSEARCH_URL not set (run scripts/e2e.sh)")
	}
	return strings.TrimRight(u, "/")
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// freePorts returns two distinct free ports, held open together while they
// are picked (two freePort calls may return the same port once the first
// is closed).
func freePorts(t *testing.T) (int, int) {
	t.Helper()
	var ports [2]int
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1]
}

// certPair is a PEM certificate and key signed by ca (self-signed when ca is nil).
type certPair struct {
	CertPEM, KeyPEM []byte
	Cert            *x509.Certificate
	Key             *ecdsa.PrivateKey
}

// newCert makes a certificate for 127.0.0.1, localhost and dnsNames, signed
// by ca (self-signed when nil).
func newCert(t *testing.T, cn string, ca *certPair, isCA bool, serial int64, dnsNames ...string) *certPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     append([]string{"localhost"}, dnsNames...),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:         isCA, BasicConstraintsValid: true,
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.Cert, ca.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	return &certPair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}),
		Cert:    cert, Key: key,
	}
}

// proxyOpts describes one proxy instance.
type proxyOpts struct {
	Upstreams   []string
	TLS         bool
	ClientAuth  string // none|optional|required
	Users       string // users file content
	UsersRoles  string
	Roles       string
	ExtraConfig string // appended YAML (top-level keys not otherwise set)
	MaxBody     int64
	MaxFailures int // failed logins before 429; default 100 (tests of other things fail logins on purpose)
	// LoginExempt is security.login_rate_limit.exempt_addresses.
	LoginExempt []string
	// ResponseHeaderTimeout is upstream.timeouts.response_header; default 60s.
	ResponseHeaderTimeout time.Duration
	// AuditFile is audit.file; default audit.json in the proxy's folder.
	AuditFile string
	// Audit holds extra lines of the audit section, each indented by two
	// spaces ("  on_failure: allow\n").
	Audit string
}

// proxy is a running proxy process.
type proxy struct {
	t       *testing.T
	Dir     string
	URL     string
	Metrics string
	CA      *certPair // signs the server certificate (and client certs)
	Server  *certPair
	cmd     *exec.Cmd
	logs    *syncBuffer
	done    chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil { // atomic, as config management tools do
		t.Fatal(err)
	}
}

// startProxy writes the files, starts the binary and waits until /healthz
// answers.
func startProxy(t *testing.T, o proxyOpts) *proxy {
	t.Helper()
	return startProxyWith(t, o, nil)
}

// startProxyWith is startProxy with extra lines for the security section,
// written by security(dir) after the proxy's folder exists.
func startProxyWith(t *testing.T, o proxyOpts, security func(dir string) string) *proxy {
	t.Helper()
	dir := t.TempDir()
	p := &proxy{t: t, Dir: dir, logs: &syncBuffer{}, done: make(chan error, 1)}
	port, mport := freePorts(t)
	writeFile(t, filepath.Join(dir, "users"), o.Users)
	writeFile(t, filepath.Join(dir, "users_roles"), o.UsersRoles)
	writeFile(t, filepath.Join(dir, "roles.yml"), o.Roles)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "listen: \"127.0.0.1:%d\"\n", port)
	if o.TLS {
		p.CA = newCert(t, "e2e CA", nil, true, 1)
		p.Server = newCert(t, "127.0.0.1", p.CA, false, 100)
		writeFile(t, filepath.Join(dir, "ca.pem"), string(p.CA.CertPEM))
		writeFile(t, filepath.Join(dir, "cert.pem"), string(p.Server.CertPEM))
		writeFile(t, filepath.Join(dir, "key.pem"), string(p.Server.KeyPEM))
		ca := o.ClientAuth
		if ca == "" {
			ca = "none"
		}
		fmt.Fprintf(&cfg, "tls:\n  cert_file: cert.pem\n  key_file: key.pem\n  reload_interval: 200ms\n  client_authentication: %s\n", ca)
		if ca != "none" {
			cfg.WriteString("  client_ca_file: ca.pem\n")
		}
		p.URL = fmt.Sprintf("https://127.0.0.1:%d", port)
	} else {
		cfg.WriteString("insecure_http: true\n")
		p.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	}
	cfg.WriteString("upstream:\n  nodes:\n")
	for _, u := range o.Upstreams {
		fmt.Fprintf(&cfg, "    - %q\n", u)
	}
	if o.ResponseHeaderTimeout == 0 {
		o.ResponseHeaderTimeout = time.Minute
	}
	fmt.Fprintf(&cfg, "  health_check:\n    interval: 200ms\n    timeout: 1s\n  timeouts:\n    response_header: %s\n", o.ResponseHeaderTimeout)
	if o.MaxBody > 0 {
		fmt.Fprintf(&cfg, "  max_request_body_bytes: %d\n", o.MaxBody)
	}
	cfg.WriteString("security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\n  reload_interval: 200ms\n")
	if security != nil {
		cfg.WriteString(security(dir))
	}
	if o.MaxFailures == 0 {
		o.MaxFailures = 100
	}
	fmt.Fprintf(&cfg, "  login_rate_limit:\n    max_failures: %d\n    window: 1m\n", o.MaxFailures)
	if len(o.LoginExempt) > 0 {
		fmt.Fprintf(&cfg, "    exempt_addresses: [%q]\n", strings.Join(o.LoginExempt, `", "`))
	}
	if o.AuditFile == "" {
		o.AuditFile = "audit.json"
	}
	fmt.Fprintf(&cfg, "audit:\n  file: %q\n%smetrics:\n  listen: \"127.0.0.1:%d\"\n", o.AuditFile, o.Audit, mport)
	cfg.WriteString("server:\n  shutdown_timeout: 10s\n")
	cfg.WriteString(o.ExtraConfig)
	writeFile(t, filepath.Join(dir, "config.yaml"), cfg.String())
	p.Metrics = fmt.Sprintf("http://127.0.0.1:%d", mport)

	p.cmd = exec.Command(proxyBin, "serve", "--config", filepath.Join(dir, "config.yaml"))
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("proxy logs:\n%s", p.logs.String())
		}
	})
	p.waitHealthy()
	return p
}

func (p *proxy) waitHealthy() {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.t.Fatalf("proxy exited during startup: %v\n%s", err, p.logs.String())
		default:
		}
		resp, err := http.Get(p.Metrics + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("proxy not healthy in time\n%s", p.logs.String())
}

// waitReady waits for /readyz (an upstream node is healthy).
func (p *proxy) waitReady() {
	p.t.Helper()
	if !eventually(10*time.Second, func() bool {
		resp, err := http.Get(p.Metrics + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}) {
		p.t.Fatalf("proxy not ready\n%s", p.logs.String())
	}
}

func (p *proxy) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proxy) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		p.t.Fatalf("proxy did not exit within %s", timeout)
	}
	return -1
}

// client returns an HTTP client that trusts the proxy's CA (if any).
func (p *proxy) client(mod func(*tls.Config)) *http.Client {
	tr := &http.Transport{ForceAttemptHTTP2: true}
	if p.CA != nil {
		pool := x509.NewCertPool()
		pool.AddCert(p.CA.Cert)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
		if mod != nil {
			mod(tr.TLSClientConfig)
		}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

type result struct {
	Status int
	Header http.Header
	Body   string
}

// do sends one request and reads the whole response.
func do(t *testing.T, c *http.Client, method, url, user, pass string, body io.Reader, hdr map[string]string) result {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return result{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

func eventually(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if f() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}
