package upstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawNode is a loopback node written against the socket, so tests can
// misbehave in ways net/http's server never does. serve is called once per
// accepted connection.
type rawNode struct {
	ln      net.Listener
	accepts atomic.Int32
	wg      sync.WaitGroup
}

func newRawNode(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) *rawNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &rawNode{ln: ln}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.accepts.Add(1)
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); n.wg.Wait() })
	return n
}

func (n *rawNode) url() string { return "http://" + n.ln.Addr().String() }

// newTestH1 returns an h1Transport as the proxy builds it.
func newTestH1(t *testing.T, headerTimeout time.Duration) *h1Transport {
	t.Helper()
	d := &dialer{net: net.Dialer{Timeout: 5 * time.Second}, timeout: 5 * time.Second}
	h := &h1Transport{dial: d.dial, dialTLS: d.dialTLS, pool: newConnPool(8, time.Minute), responseHeaderTimeout: headerTimeout}
	t.Cleanup(func() { h.pool.closeIdle(true) })
	return h
}

func get(t *testing.T, rt http.RoundTripper, url string, hdr ...string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return rt.RoundTrip(req)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}

// countingServer starts a keep-alive node that counts the connections
// opened to it.
func countingServer(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	conns := new(atomic.Int32)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, conns
}

// echoID answers every request with its X-Id, on keep-alive connections.
func echoID(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, "id="+r.Header.Get("X-Id")+" "+strings.Repeat("x", 3000))
}

func TestH1ReusesConnectionsReadToTheEnd(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(echoID))
	h := newTestH1(t, 0)
	for i := range 5 {
		resp, err := get(t, h, srv.URL+"/", "X-Id", fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, resp); !strings.HasPrefix(got, fmt.Sprintf("id=%d ", i)) {
			t.Fatalf("request %d got %.20q", i, got)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("5 sequential requests opened %d connections, want 1 (keep-alive)", n)
	}
}

func TestH1ClosesConnectionsNotReadToTheEnd(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(echoID))
	h := newTestH1(t, 0)
	resp, err := get(t, h, srv.URL+"/", "X-Id", "first")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // the rest of "first" is still on the wire
	if n := h.idleCount(srv.URL); n != 0 {
		t.Fatalf("%d idle connections after a half-read body, want 0", n)
	}
	resp, err = get(t, h, srv.URL+"/", "X-Id", "second")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp); !strings.HasPrefix(got, "id=second ") {
		t.Fatalf("second request read %.30q: the first response's rest was taken for it", got)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("opened %d connections, want 2: a half-read connection must not be reused", n)
	}
}

// A node that sends bytes nobody asked for (here a whole forged response)
// after a response: the connection must not carry the next request, or the
// forged response would be taken as its answer.
func TestH1UnsolicitedBytesRetireTheConnection(t *testing.T) {
	node := newRawNode(t, func(c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			body := "id=" + req.Header.Get("X-Id")
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\nCANARY-unsolicit")
		}
	})
	h := newTestH1(t, 0)
	resp, err := get(t, h, node.url()+"/", "X-Id", "one")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp); got != "id=one" {
		t.Fatalf("first response %q", got)
	}
	// Let the forged response reach the socket before the next request.
	time.Sleep(50 * time.Millisecond)
	resp, err = get(t, h, node.url()+"/", "X-Id", "two")
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, resp)
	if strings.Contains(got, "CANARY") || got != "id=two" {
		t.Fatalf("second request answered %q: the unsolicited response was taken for it", got)
	}
	if n := node.accepts.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

func TestH1NodeClosedIdleConnection(t *testing.T) {
	// One response per connection, then the node closes it without saying
	// so in the response (no Connection: close).
	node := newRawNode(t, func(c net.Conn, br *bufio.Reader) {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body := "id=" + req.Header.Get("X-Id")
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	})
	h := newTestH1(t, 0)
	for i := range 3 {
		resp, err := get(t, h, node.url()+"/", "X-Id", fmt.Sprint(i))
		if err != nil {
			t.Fatalf("request %d on a node that closes idle connections: %v", i, err)
		}
		if got := readAll(t, resp); got != fmt.Sprintf("id=%d", i) {
			t.Fatalf("request %d answered %q", i, got)
		}
		time.Sleep(20 * time.Millisecond) // the close reaches us
	}
}

// The close arrives between the liveness check and the write: a bodiless
// GET is sent again on a new connection, a POST is not.
func TestH1RetriesOnlyIdempotentRequestsOnStaleConnections(t *testing.T) {
	var posts atomic.Int32
	node := newRawNode(t, func(c net.Conn, br *bufio.Reader) {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		if req.Header.Get("X-Drop") != "" {
			if req.Method == http.MethodPost {
				posts.Add(1)
			}
			return // read the request, answer nothing, close
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		// keep the connection for one more request
		req, err = http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		if req.Method == http.MethodPost {
			posts.Add(1)
		}
		// drop it: a stale connection as seen by the second request
	})
	h := newTestH1(t, 0)
	warm := func() {
		resp, err := get(t, h, node.url()+"/")
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
	}
	warm()
	resp, err := get(t, h, node.url()+"/")
	if err != nil {
		t.Fatalf("GET on a connection the node dropped was not sent again: %v", err)
	}
	if got := readAll(t, resp); got != "ok" {
		t.Fatalf("retried GET answered %q", got)
	}
	warm()
	req, _ := http.NewRequest(http.MethodPost, node.url()+"/_bulk", strings.NewReader("{}\n"))
	if _, err := h.RoundTrip(req); err == nil {
		t.Fatal("a POST on a dropped connection succeeded; it must fail, not be sent twice")
	}
	if n := posts.Load(); n != 1 {
		t.Fatalf("the node saw the POST %d times, want 1", n)
	}
}

func TestH1ConnectionCloseIsHonoured(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		echoID(w, r)
	}))
	defer srv.Close()
	h := newTestH1(t, 0)
	resp, err := get(t, h, srv.URL+"/", "X-Id", "a")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if idle := h.idleCount(srv.URL); idle != 0 {
		t.Fatalf("%d idle connections after Connection: close, want 0", idle)
	}
}

func TestH1ResponseHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	node := newRawNode(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err == nil {
			<-release
		}
	})
	h := newTestH1(t, 100*time.Millisecond)
	_, err := get(t, h, node.url()+"/")
	if err == nil || classify(err) != KindTimeout {
		t.Fatalf("err = %v (kind %s), want a timeout", err, classify(err))
	}
}

func TestH1CancelAbortsTheWait(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	got := make(chan struct{})
	node := newRawNode(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err == nil {
			close(got)
			<-release
		}
	})
	h := newTestH1(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, node.url()+"/", nil)
	go func() { <-got; cancel() }()
	_, err := h.RoundTrip(req) // hangs if cancellation does not reach the socket
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestH1InformationalResponses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n1xx    int
		wantErr bool
	}{
		{"one 100 Continue", 1, false},
		{"five 1xx", maxInformational, false},
		{"endless 1xx", maxInformational + 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := newRawNode(t, func(c net.Conn, br *bufio.Reader) {
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				for range tc.n1xx {
					fmt.Fprintf(c, "HTTP/1.1 100 Continue\r\n\r\n")
				}
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal")
			})
			h := newTestH1(t, 0)
			resp, err := get(t, h, node.url()+"/")
			if tc.wantErr {
				if !errors.Is(err, errTooManyInformational) {
					t.Fatalf("err = %v, want errTooManyInformational", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, resp); resp.StatusCode != 200 || got != "final" {
				t.Fatalf("got %d %q", resp.StatusCode, got)
			}
		})
	}
}

// A node that refuses a body it will not read (413) and closes: the client
// gets the node's answer, not a write error.
func TestH1EarlyResponseBeforeTheBodyWasSent(t *testing.T) {
	node := newRawNode(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 8\r\nConnection: close\r\n\r\ntoo long")
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // reset: our writes fail at once
		}
	})
	h := newTestH1(t, 0)
	body := strings.NewReader(strings.Repeat("a", 64<<20))
	req, _ := http.NewRequest(http.MethodPost, node.url()+"/idx/_bulk", body)
	req.ContentLength = int64(body.Len())
	resp, err := h.RoundTrip(req)
	if err != nil {
		t.Fatalf("err = %v, want the node's 413", err)
	}
	if got := readAll(t, resp); resp.StatusCode != 413 || got != "too long" {
		t.Fatalf("got %d %q", resp.StatusCode, got)
	}
}

func TestH1BodilessResponsesFreeTheConnection(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/empty" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		_, _ = io.WriteString(w, "body")
	}))
	h := newTestH1(t, 0)
	for _, tc := range []struct{ method, path string }{{"HEAD", "/"}, {"GET", "/empty"}, {"GET", "/"}} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := h.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
}

// Many requests at once, some abandoning their response halfway: every
// response read to the end belongs to its own request.
func TestH1ConcurrentResponsesNeverCross(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(echoID))
	defer srv.Close()
	h := newTestH1(t, 0)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := fmt.Sprintf("%d-%d", g, i)
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
				req.Header.Set("X-Id", id)
				resp, err := h.RoundTrip(req)
				if err != nil {
					errs <- err
					return
				}
				if i%7 == 3 { // abandon this one halfway
					_, _ = io.ReadFull(resp.Body, make([]byte, 100))
					_ = resp.Body.Close()
					continue
				}
				b, err := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if err != nil || !strings.HasPrefix(string(b), "id="+id+" ") {
					errs <- fmt.Errorf("request %s answered %.20q (err %v)", id, b, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConnPoolLimitsAndExpiry(t *testing.T) {
	now := time.Unix(1000, 0)
	p := newConnPool(2, time.Minute)
	p.now = func() time.Time { return now }
	defer p.closeIdle(true)
	mk := func() (*h1Conn, net.Conn) {
		a, b := net.Pipe()
		t.Cleanup(func() { _ = b.Close() })
		return newH1Conn(a), b
	}
	closed := func(peer net.Conn) bool {
		_ = peer.SetReadDeadline(time.Now().Add(time.Second))
		_, err := peer.Read(make([]byte, 1))
		return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe)
	}
	c1, p1 := mk()
	c2, _ := mk()
	c3, _ := mk()
	p.put("n:1", c1)
	p.put("n:1", c2)
	p.put("n:1", c3) // over max: the oldest (c1) goes
	if !closed(p1) {
		t.Fatal("the connection beyond max idle was not closed")
	}
	if got := p.get("n:1"); got != c3 {
		t.Fatal("get did not return the newest connection")
	}
	now = now.Add(2 * time.Minute) // c2 expires
	if got := p.get("n:1"); got != nil {
		t.Fatal("an expired connection was handed out")
	}
	if got := p.get("other:1"); got != nil {
		t.Fatal("a connection to another node was handed out")
	}
}

// idleCount returns how many idle connections the pool holds to url's node.
func (t *h1Transport) idleCount(url string) int {
	t.pool.mu.Lock()
	defer t.pool.mu.Unlock()
	return len(t.pool.idle[strings.TrimPrefix(url, "http://")])
}
