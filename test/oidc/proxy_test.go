package oidc

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// This file runs the real proxy binary (cmd/proxy) for the tests that need
// the whole HTTP path: challenges, status codes, authorization of the
// principal a token names.

// testPortRange is where the proxies of this package listen (the range
// this suite was given on the shared test machines); the first free ports
// are taken.
const testPortFirst, testPortLast = 18560, 18599

// buildProxy returns the proxy binary: $PORTCULLIS_BIN when set (scripts
// and CI that built bin/proxy already), else a fresh `go build` into dir.
func buildProxy(t *testing.T, dir string) string {
	t.Helper()
	if bin := os.Getenv("PORTCULLIS_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(dir, "proxy")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/proxy")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the proxy: %v\n%s", err, out)
	}
	return bin
}

// freePorts returns n loopback ports of the test range that were free a
// moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for p := testPortFirst; p <= testPortLast && len(ports) < n; p++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		ln.Close()
		ports = append(ports, p)
	}
	if len(ports) < n {
		t.Fatalf("fewer than %d free ports in %d-%d", n, testPortFirst, testPortLast)
	}
	return ports
}

// countingUpstream stands in for the cluster: it answers everything with
// Elasticsearch's GET / body and counts the requests the proxy forwarded
// (health checks aside).
type countingUpstream struct {
	*httptest.Server
	forwarded atomic.Int64
}

func newCountingUpstream(t *testing.T) *countingUpstream {
	t.Helper()
	u := &countingUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ua := r.Header.Get("User-Agent"); ua != "portcullis-healthcheck" && ua != "portcullis-internal" {
			u.forwarded.Add(1)
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Header().Set("X-elastic-product", "Elasticsearch")
		_, _ = io.WriteString(w, `{"name":"oidc-test","cluster_name":"oidc-test","version":{"number":"8.15.0"},"tagline":"You Know, for Search"}`)
	}))
	t.Cleanup(u.Close)
	return u
}

// proxyFiles are the security files of one proxy instance.
type proxyFiles struct {
	Roles, RoleMapping string
	// OIDC is the body of security.oidc (each line indented by four
	// spaces), without enabled and role_mapping.
	OIDC string
}

// runningProxy is one proxy process.
type runningProxy struct {
	URL, Metrics string
	logs         *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// startProxy writes a plain-HTTP configuration in front of upstream with
// the bearer realm of f, starts bin and waits until it is ready. The
// process is killed when the test ends.
func startProxy(t *testing.T, bin, upstream string, f proxyFiles) *runningProxy {
	t.Helper()
	dir := t.TempDir()
	ports := freePorts(t, 2)
	files := map[string]string{
		"users": "", "users_roles": "", "roles.yml": f.Roles, "role_mapping.yml": f.RoleMapping,
		"config.yaml": fmt.Sprintf(`listen: "127.0.0.1:%d"
insecure_http: true
upstream:
  nodes: [%q]
  health_check: {interval: 200ms, timeout: 1s}
security:
  users: users
  users_roles: users_roles
  roles: roles.yml
  login_rate_limit: {max_failures: 1000, window: 1m}
  oidc:
    enabled: true
    role_mapping: role_mapping.yml
%s
audit: {file: audit.json}
metrics: {listen: "127.0.0.1:%d"}
`, ports[0], upstream, strings.TrimRight(f.OIDC, "\n"), ports[1]),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := &runningProxy{
		URL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), Metrics: fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		logs: &lockedBuffer{},
	}
	cmd := exec.Command(bin, "serve", "--config", filepath.Join(dir, "config.yaml"))
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("proxy logs:\n%s", p.logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("the proxy exited during startup:\n%s", p.logs.String())
		default:
		}
		if resp, err := http.Get(p.Metrics + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the proxy was not ready in time:\n%s", p.logs.String())
	return nil
}

// proxyReply is one answer of the proxy.
type proxyReply struct {
	Status int
	Header http.Header
	Body   string
}

// get sends GET path with `Authorization: Bearer token`.
func (p *runningProxy) get(t *testing.T, path, token string) proxyReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return proxyReply{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}
