package browser

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// proxyConfig describes one proxy process.
type proxyConfig struct {
	Port     int    // listen port (registered at Dex for the callback)
	Site     string // public origin for redirect_uri (default http://127.0.0.1:<Port>); a load balancer's
	TLS      bool
	Issuer   string
	Upstream string
	// ClientSecret at the provider (default: Dex's portcullis-web secret).
	ClientSecret string
	// Store is memory (default) or redis; KeysFile is the shared key file.
	Store, Redis, KeysFile string
	// Session settings ("" keeps the defaults).
	IdleTimeout, Lifespan string
	MaxPerUser            int
	// Routes is YAML for security.authentication (optional).
	Authentication string
}

// proxy is a running proxy process.
type proxy struct {
	t       *testing.T
	URL     string
	Dir     string
	cmd     *exec.Cmd
	logs    *syncBuffer
	done    chan error
	metrics string
}

const roles = `logs_user:
  indices:
    - names: ["logs-*"]
      privileges: [read, write]
`

const roleMapping = `logs-readers:
  enabled: true
  roles: [logs_user]
  rules:
    all:
      - field: {realm.name: oidc1}
      - field: {groups: logs-readers}
admins:
  enabled: true
  roles: [logs_user]
  rules: {field: {groups: admins}}
`

// basicUser can log in with Basic (the Redis-down test checks it still works).
const basicUser, basicPassword = "basic-user", "basic-password"

func startProxy(t *testing.T, c proxyConfig) *proxy {
	t.Helper()
	dir := t.TempDir()
	p := &proxy{t: t, Dir: dir, logs: &syncBuffer{}, done: make(chan error, 1)}
	scheme := "http"
	if c.TLS {
		scheme = "https"
		writeSelfSigned(t, dir)
	}
	p.URL = fmt.Sprintf("%s://127.0.0.1:%d", scheme, c.Port)
	if c.Site == "" {
		c.Site = p.URL
	}
	mport := freePort(t)
	p.metrics = fmt.Sprintf("http://127.0.0.1:%d", mport)
	writeFile(t, filepath.Join(dir, "users"), basicUser+":"+hashPassword(t, basicPassword)+"\n")
	writeFile(t, filepath.Join(dir, "users_roles"), "logs_user:"+basicUser+"\n")
	writeFile(t, filepath.Join(dir, "roles.yml"), roles)
	writeFile(t, filepath.Join(dir, "role_mapping.yml"), roleMapping)
	writeFile(t, filepath.Join(dir, "config.yaml"), proxyYAML(c, mport))
	p.cmd = exec.Command(proxyBin, "serve", "--config", filepath.Join(dir, "config.yaml"))
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("proxy %s logs:\n%s", p.URL, p.logs.String())
		}
	})
	p.waitReady()
	return p
}

func proxyYAML(c proxyConfig, mport int) string {
	var b strings.Builder
	if c.ClientSecret == "" {
		c.ClientSecret = clientSecret
	}
	fmt.Fprintf(&b, "listen: \"127.0.0.1:%d\"\n", c.Port)
	if c.TLS {
		b.WriteString("tls:\n  cert_file: cert.pem\n  key_file: key.pem\n")
	} else {
		b.WriteString("insecure_http: true\n")
	}
	fmt.Fprintf(&b, "upstream:\n  nodes: [%q]\n  health_check: {interval: 200ms, timeout: 1s}\n", c.Upstream)
	b.WriteString("security:\n  users: users\n  users_roles: users_roles\n  roles: roles.yml\n  reload_interval: 1s\n")
	fmt.Fprintf(&b, `  oidc:
    enabled: true
    realm_name: oidc1
    realm_type: oidc
    issuers: [%q]
    audiences: [%q]
    claims: {principal: email, groups: groups, mail: email, name: name}
    role_mapping: role_mapping.yml
    login:
      enabled: true
      client_id: %q
      client_secret: %q
      redirect_uri: "%s/_portcullis/oidc/callback"
      scopes: [openid, email, profile, groups, offline_access]
`, c.Issuer, clientID, clientID, c.ClientSecret, c.Site)
	b.WriteString("  sessions:\n")
	if c.Store == "redis" {
		fmt.Fprintf(&b, "    store: redis\n    redis: {address: %q, key_prefix: %q}\n", c.Redis, "portcullis-browser-test:")
	}
	if c.KeysFile != "" {
		fmt.Fprintf(&b, "    encryption_keys_file: %q\n", c.KeysFile)
	}
	if c.IdleTimeout != "" {
		fmt.Fprintf(&b, "    idle_timeout: %s\n", c.IdleTimeout)
	}
	if c.Lifespan != "" {
		fmt.Fprintf(&b, "    lifespan: %s\n", c.Lifespan)
	}
	fmt.Fprintf(&b, "    max_per_user: %d\n", c.MaxPerUser)
	b.WriteString(c.Authentication)
	fmt.Fprintf(&b, "audit:\n  file: audit.json\nmetrics:\n  listen: \"127.0.0.1:%d\"\nserver:\n  shutdown_timeout: 5s\nlog:\n  level: debug\n", mport)
	return b.String()
}

// waitReady waits until the proxy answers and its upstream is healthy.
func (p *proxy) waitReady() {
	p.t.Helper()
	ok := eventually(20*time.Second, func() bool {
		select {
		case err := <-p.done:
			p.t.Fatalf("proxy exited during startup: %v\n%s", err, p.logs.String())
		default:
		}
		resp, err := http.Get(p.metrics + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if !ok {
		p.t.Fatalf("proxy %s not ready\n%s", p.URL, p.logs.String())
	}
}

// stop ends the process (SIGTERM, then SIGKILL).
func (p *proxy) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// writeKeys writes a session key file that replicas share.
func writeKeys(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "session-keys")
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, "# test key\n"+base64.StdEncoding.EncodeToString(b)+"\n")
	return path
}

// writeSelfSigned writes cert.pem and key.pem for 127.0.0.1 into dir.
func writeSelfSigned(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	writeFile(t, filepath.Join(dir, "cert.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, filepath.Join(dir, "key.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})))
}

// insecureClient accepts the self-signed certificate (tests only).
func insecureClient() *http.Client {
	c := noRedirects()
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // test's own self-signed proxy
	return c
}
