package browser

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// proxyBin is the proxy binary under test, built once by TestMain.
var proxyBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "portcullis-browser")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	proxyBin = os.Getenv("PORTCULLIS_BIN")
	if proxyBin == "" {
		proxyBin = filepath.Join(dir, "proxy")
		cmd := exec.Command("go", "build", "-o", proxyBin, "./cmd/proxy")
		cmd.Dir = "../.."
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

// env is what the suite runs against.
type env struct {
	issuer   string        // Dex
	tokenTTL time.Duration // Dex's ID/access token lifetime
	redis    string        // host:port, "" when not started
	chromium string
}

const (
	clientID     = "portcullis-web"
	clientSecret = "portcullis-web-secret"
	dexPassword  = "password"
)

func getEnv(t *testing.T) env {
	t.Helper()
	e := env{issuer: os.Getenv("BROWSER_DEX_ISSUER"), redis: os.Getenv("REDIS_ADDR"), chromium: os.Getenv("CHROMIUM")}
	if e.chromium == "" {
		e.chromium = "/usr/bin/chromium"
	}
	ttl, err := time.ParseDuration(os.Getenv("BROWSER_DEX_TOKEN_TTL"))
	if err != nil {
		ttl = time.Hour
	}
	e.tokenTTL = ttl
	missing := ""
	if e.issuer == "" {
		missing = "BROWSER_DEX_ISSUER is not set (see doc.go)"
	} else if _, err := os.Stat(e.chromium); err != nil {
		missing = "no Chromium at " + e.chromium + " (apt-get install chromium)"
	}
	if missing != "" {
		if os.Getenv("BROWSER_E2E_REQUIRED") == "1" {
			t.Fatal("BROWSER_E2E_REQUIRED=1 but " + missing)
		}
		t.Skip(missing)
	}
	return e
}

func (e env) requireRedis(t *testing.T) {
	t.Helper()
	if e.redis == "" {
		if os.Getenv("BROWSER_E2E_REQUIRED") == "1" {
			t.Fatal("BROWSER_E2E_REQUIRED=1 but REDIS_ADDR is not set (scripts/redis.sh start)")
		}
		t.Skip("REDIS_ADDR not set")
	}
}

// eventually polls cond until it holds or timeout passes.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
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

// hashPassword runs `proxy users hash`.
func hashPassword(t *testing.T, password string) string {
	t.Helper()
	cmd := exec.Command(proxyBin, "users", "hash", "--cost", "4")
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("proxy users hash: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// get is a plain HTTP request with headers; no redirects are followed.
func get(t *testing.T, c *http.Client, method, url string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), resp.Header
}

// noRedirects is a client that returns redirects instead of following them.
func noRedirects() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// auditLine returns the first line of the proxy's audit log that contains
// every part, or "".
func auditLine(t *testing.T, p *proxy, parts ...string) string {
	t.Helper()
	for _, line := range strings.Split(readFile(t, filepath.Join(p.Dir, "audit.json")), "\n") {
		all := true
		for _, part := range parts {
			all = all && strings.Contains(line, part)
		}
		if all {
			return line
		}
	}
	return ""
}
