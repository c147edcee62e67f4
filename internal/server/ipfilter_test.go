package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/ipfilter"
)

// The IP filter (checklist 84–86) drops a refused client's connection
// before any HTTP is read and audits connection_denied with the rule; an
// allowed client is served; updated rules apply to the next connections.
// Loopback addresses stand in for clients: the server listens on
// 127.0.0.2, clients connect from 127.0.0.3 (refused) and 127.0.0.5.
func TestIPFilter(t *testing.T) {
	rules, err := ipfilter.Parse([]string{"127.0.0.5"}, []string{"127.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	filter := ipfilter.New(rules)
	au := &syncAuditor{}
	upstreamHit := make(chan string, 10)
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamHit <- r.RemoteAddr
		_, _ = w.Write([]byte(`{}`))
	})
	s, err := New(Options{ReadHeaderTimeout: 5 * time.Second, Log: zap.NewNop(), IPFilter: filter,
		Authenticator: fakeAuthn{p: &authn.Principal{Username: "u"}}, Authorizer: fakeAuthz{true}, Auditor: au,
		Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	ln := serveInBackground(t, s, "127.0.0.2:0") // all of 127.0.0.0/8 is loopback on Linux
	get := func(from string) (string, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 2 * time.Second}
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			return "", err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.WriteString(c, "GET /_cluster/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
			return "", err
		}
		b, err := io.ReadAll(c)
		return string(b), err
	}

	if resp, _ := get("127.0.0.3"); resp != "" {
		t.Fatalf("a denied client got an answer: %q", resp)
	}
	if resp, err := get("127.0.0.5"); err != nil || !strings.HasPrefix(resp, "HTTP/1.1 200") {
		t.Fatalf("an allowed client (allow wins over deny): %q %v", resp, err)
	}
	if len(upstreamHit) != 1 {
		t.Fatalf("%d requests reached the upstream, want only the allowed client's", len(upstreamHit))
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(au.denials()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	ds := au.denials()
	if len(ds) != 1 || ds[0].Rule != "deny 127.0.0.0/8" || !strings.HasPrefix(ds[0].OriginAddress, "127.0.0.3:") ||
		ds[0].EventType != audit.TypeIPFilter || ds[0].TransportProfile != ".http" {
		t.Fatalf("connection_denied events: %+v", ds)
	}

	// A live update: the refused client is served from its next connection.
	open, _ := ipfilter.Parse(nil, nil)
	filter.Update(open)
	if resp, err := get("127.0.0.3"); err != nil || !strings.HasPrefix(resp, "HTTP/1.1 200") {
		t.Fatalf("after the update: %q %v", resp, err)
	}
}

// TestIPFilterUpdateEndsOpenConnections: a client the updated rules deny
// is cut off on its open connections too, not only refused its next ones:
// a keep-alive connection made while it was allowed used to be served for
// as long as the client kept it busy. Its next request is refused
// (connection closed, connection_denied audited) and never reaches the
// cluster.
func TestIPFilterUpdateEndsOpenConnections(t *testing.T) {
	open, err := ipfilter.Parse(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	filter := ipfilter.New(open)
	au := &syncAuditor{}
	upstreamHit := make(chan string, 10)
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamHit <- r.RemoteAddr
		_, _ = w.Write([]byte(`{}`))
	})
	s, err := New(Options{ReadHeaderTimeout: 5 * time.Second, Log: zap.NewNop(), IPFilter: filter,
		Authenticator: fakeAuthn{p: &authn.Principal{Username: "u"}}, Authorizer: fakeAuthz{true}, Auditor: au,
		Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	ln := serveInBackground(t, s, "127.0.0.2:0")
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	send := func() (*http.Response, error) {
		if _, err := io.WriteString(c, "GET /_cluster/health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(br, nil)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	if resp, err := send(); err != nil || resp.StatusCode != 200 {
		t.Fatalf("allowed client: %v %v", resp, err)
	}
	deny, err := ipfilter.Parse(nil, []string{"127.0.0.3"})
	if err != nil {
		t.Fatal(err)
	}
	filter.Update(deny)
	if resp, err := send(); err == nil {
		t.Fatalf("a client denied since its connection was opened was served on it: %d", resp.StatusCode)
	}
	if len(upstreamHit) != 1 {
		t.Fatalf("%d requests reached the upstream, want 1 (before the update)", len(upstreamHit))
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(au.denials()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if ds := au.denials(); len(ds) != 1 || ds[0].Rule != "deny 127.0.0.3" {
		t.Fatalf("connection_denied events: %+v", ds)
	}
}
