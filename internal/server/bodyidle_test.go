package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// TestBodyIdleTimeout: a client that stops sending in the middle of a body
// is cut off after the idle timeout (it used to hold its request, goroutine
// and buffered body for ever: no timeout applied once the headers were
// in); a slow but steady body is read, and a long answer after the body is
// not cut by the deadline the body read set.
func TestBodyIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-time.After(3 * idle): // a slow search
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write([]byte(`{"took":1}`))
	})
	s, err := New(Options{
		MaxBodyBytes: 1 << 20, IdleTimeout: idle, Log: zap.NewNop(), Authenticator: fakeAuthn{p: &authn.Principal{Username: "u", Roles: []string{"r"}}},
		Authorizer: fakeAuthz{true}, Auditor: &fakeAuditor{}, Upstream: up, Readiness: always(true), Observer: &nopObserver{},
		MetricsHandler: http.NotFoundHandler(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	send := func(body string, pause time.Duration, declared int) (string, time.Duration) {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		fmt.Fprintf(c, "POST /i/_search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", declared)
		for _, ch := range body {
			_, _ = c.Write([]byte(string(ch)))
			time.Sleep(pause)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return "closed: " + err.Error(), time.Since(start)
		}
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b), time.Since(start)
	}
	// Stalled: 10 bytes of 100, then nothing.
	got, d := send(`{"query":{`, 0, 100)
	if !strings.HasPrefix(got, "closed: ") || strings.Contains(got, "timeout") || d > 5*time.Second {
		t.Errorf("stalled body: %s after %v, want the connection closed without an answer", got, d)
	}
	// Steady: a byte every 50 ms (1 s in all, past the idle timeout), then
	// an answer that takes 3 idle timeouts.
	body := `{"query":{"match_all":{}}}`
	got, d = send(body, 50*time.Millisecond, len(body))
	if got != `200 {"took":1}` {
		t.Errorf("steady body and slow answer: %s after %v", got, d)
	}
}
