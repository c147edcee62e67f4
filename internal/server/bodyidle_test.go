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
	// Without the bound the proxy would still wait, and the client's own
	// 10-second read deadline would end the wait: "timeout".
	if !strings.HasPrefix(got, "closed: ") || strings.Contains(got, "timeout") {
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

// TestWriteIdleTimeout: a client that stops reading its answer is cut off
// after the idle timeout (it held the request, the cluster connection the
// answer streams from and the parsed body for ever), while a client that
// reads slowly but steadily gets the whole answer.
func TestWriteIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	const chunks = 400
	chunk := strings.Repeat("x", 64<<10)
	ended := make(chan error, 4)
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for range chunks { // 25 MB: more than the sockets buffer
			if _, err := w.Write([]byte(chunk)); err != nil {
				ended <- err
				return
			}
		}
		ended <- nil
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
	get := func() (net.Conn, *http.Response) {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /i/_search HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		return c, resp
	}
	// Stalled: reads the headers, then nothing.
	c, _ := get()
	select {
	case err := <-ended:
		if err == nil {
			t.Error("the whole answer was written to a client that reads nothing")
		}
	case <-time.After(5 * time.Second):
		t.Error("the answer to a client that reads nothing is still being written after 5 s")
	}
	c.Close()
	// Steady: 64 KB every 2 ms. (The kernel wakes a blocked writer only
	// once a third of its send buffer, which can be a few MB, has drained:
	// a reader must take that much within the idle timeout.)
	c, resp := get()
	defer c.Close()
	n := 0
	buf := make([]byte, 64<<10)
	for {
		k, err := io.ReadFull(resp.Body, buf)
		n += k
		if err != nil {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if n != chunks*len(chunk) {
		t.Errorf("steady reader got %d bytes of %d", n, chunks*len(chunk))
	}
	if err := <-ended; err != nil {
		t.Errorf("steady reader: %v", err)
	}
}
