package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// h1Transport is the http.RoundTripper that carries proxied requests to
// the nodes over HTTP/1.1 keep-alive connections.
//
// Why not net/http's Transport: it hands every request to a writing
// goroutine and takes the response from a reading goroutine of its
// connection, and those hand-offs (channel operations, wake-ups, the
// reader parked on each idle connection) cost about 18 µs of CPU per
// request on the reference machine, as much as all of Portcullis's own
// checks. h1Transport writes the request and reads the response head on
// the caller's goroutine. The wire format stays the standard library's:
// requests are written by (*http.Request).Write and responses parsed by
// http.ReadResponse, which also frames the body (Content-Length, chunked,
// until close), so where one response ends is decided by net/http's code.
//
// What it adds is the connection's life: a connection goes back to the
// pool only after its response body was read to the end, neither side
// asked to close, and the request was not canceled; before reuse it must
// pass the liveness check (h1Conn.idle). Health checks and metadata
// lookups keep using net/http's Transport.
type h1Transport struct {
	dial, dialTLS         func(ctx context.Context, network, addr string) (net.Conn, error)
	pool                  *connPool
	responseHeaderTimeout time.Duration
	// bodyStall bounds each wait for response body data; 0 leaves it
	// unbounded. A node that sent its headers and then stops in the middle
	// of the body (a hung node, a half-open connection) would otherwise
	// hold the request, its client and, for filtered answers, the filter's
	// goroutine for ever. Only the time spent inside a read counts: each
	// read sets its own deadline, so a client reading slowly does not make
	// the node look stalled. Past the bound the read fails, the
	// connection is closed (the node sees its request canceled) and the
	// proxy aborts the answer.
	bodyStall time.Duration
}

// maxInformational bounds the 1xx responses skipped before the final one.
const maxInformational = 5

// earlyResponseWait is how long a request whose body could not be written
// waits for the response the node may have sent before closing (a 413):
// net/http's Transport waits as long.
const earlyResponseWait = 50 * time.Millisecond

// errTooManyInformational is returned when a node sends 1xx responses
// without end.
var errTooManyInformational = errors.New("too many 1xx informational responses")

// RoundTrip implements http.RoundTripper. It closes req.Body, as the
// interface requires, on every path (the balancer's trackedBody ignores
// the close while untouched, so a failed dial leaves it replayable).
func (t *h1Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	addr, tls, err := h1Address(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			closeBody(req)
			return nil, err
		}
		c, reused := t.pool.get(addr), true
		if c == nil {
			reused = false
			if c, err = t.connect(ctx, addr, tls); err != nil {
				closeBody(req) // untouched: a trackedBody stays replayable
				return nil, err
			}
		}
		resp, err := t.exchange(ctx, c, req, addr)
		if err == nil {
			return resp, nil
		}
		// A reused connection the node closed between the liveness check
		// and our write fails before any byte of a response arrived: send
		// a bodiless, idempotent request again on a new connection, as
		// net/http's Transport does. Anything else is the caller's to
		// decide (the balancer).
		if !reused || attempt > 0 || !replayableOnNewConn(req) || !nothingReceived(err) {
			closeBody(req)
			return nil, err
		}
	}
}

// connect dials a new connection to addr.
func (t *h1Transport) connect(ctx context.Context, addr string, tls bool) (*h1Conn, error) {
	dial := t.dial
	if tls {
		dial = t.dialTLS
	}
	c, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return newH1Conn(c), nil
}

// exchange writes req on c and reads the response head. On success the
// response body owns c; on error c is closed.
func (t *h1Transport) exchange(ctx context.Context, c *h1Conn, req *http.Request, addr string) (*http.Response, error) {
	// Cancellation interrupts the connection's blocked reads and writes.
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*http.Response, error) {
		stop()
		c.close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return nil, err
	}
	werr := req.Write(c.bw)
	if werr == nil {
		werr = c.bw.Flush()
	}
	if werr != nil {
		// The node may have answered before it stopped reading (413):
		// its response is worth more than the write error.
		_ = c.conn.SetReadDeadline(time.Now().Add(earlyResponseWait))
		if resp, err := t.readHead(c, req); err == nil {
			resp.Close = true
			resp.Body = &h1Body{rc: resp.Body, c: c, pool: t.pool, addr: addr, stop: stop, reuse: false}
			_ = c.conn.SetReadDeadline(time.Time{})
			return resp, nil
		}
		return fail(werr)
	}
	switch {
	case t.responseHeaderTimeout > 0:
		_ = c.conn.SetReadDeadline(time.Now().Add(t.responseHeaderTimeout))
	case t.bodyStall > 0:
		_ = c.conn.SetReadDeadline(time.Time{}) // the last body read's
	}
	resp, err := t.readHead(c, req)
	if err != nil {
		return fail(err)
	}
	if t.responseHeaderTimeout > 0 && t.bodyStall <= 0 {
		_ = c.conn.SetReadDeadline(time.Time{}) // each body read sets its own (h1Body.Read)
	}
	reuse := !resp.Close && !req.Close && resp.StatusCode != http.StatusSwitchingProtocols
	if resp.Body == http.NoBody {
		// Nothing to read (HEAD, 204, 304, Content-Length: 0): the
		// connection is free now.
		if stop() && reuse {
			t.pool.put(addr, c)
		} else {
			c.close()
		}
		return resp, nil
	}
	resp.Body = &h1Body{rc: resp.Body, c: c, pool: t.pool, addr: addr, stop: stop, reuse: reuse, stall: t.bodyStall}
	return resp, nil
}

// readHead reads the final response head, skipping informational ones.
func (t *h1Transport) readHead(c *h1Conn, req *http.Request) (*http.Response, error) {
	// ReadResponse reports a stream that ended before the status line as
	// io.ErrUnexpectedEOF; the peek keeps the plain io.EOF that tells a
	// connection the node had closed (nothingReceived).
	if _, err := c.br.Peek(1); err != nil {
		return nil, err
	}
	for range maxInformational + 1 {
		resp, err := http.ReadResponse(c.br, req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols || resp.StatusCode < 100 {
			return resp, nil
		}
	}
	return nil, errTooManyInformational
}

// h1Body is a response body that hands its connection back to the pool
// once read to the end, and closes it otherwise.
type h1Body struct {
	rc    io.ReadCloser
	c     *h1Conn
	pool  *connPool
	addr  string
	stop  func() bool // stops the cancellation hook; false once it ran
	reuse bool
	stall time.Duration // see h1Transport.bodyStall

	mu   sync.Mutex
	done bool // the connection was released or closed
}

// Read reads the body; at its end the connection is released.
func (b *h1Body) Read(p []byte) (int, error) {
	if b.stall > 0 {
		_ = b.c.conn.SetReadDeadline(time.Now().Add(b.stall))
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.release(true)
	case err != nil:
		b.release(false)
		if isTimeout(err) {
			err = fmt.Errorf("the cluster sent nothing for %v in the middle of a response body: %w", b.stall, err)
		}
	}
	return n, err
}

// Close closes the body; a body not read to the end closes its connection
// (what is left of the response must not be read as the next one).
func (b *h1Body) Close() error {
	b.release(false)
	return nil
}

func (b *h1Body) release(atEOF bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	if b.stop() && atEOF && b.reuse {
		b.pool.put(b.addr, b.c)
		return
	}
	b.c.close()
}

// h1Address returns the dial address of req's node and whether it speaks
// TLS.
func h1Address(req *http.Request) (addr string, tls bool, err error) {
	u := req.URL
	port := u.Port()
	if port != "" && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" {
		return u.Host, u.Scheme == "https", nil // the nodes' usual form: no new string
	}
	switch u.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		tls = true
		if port == "" {
			port = "443"
		}
	default:
		return "", false, fmt.Errorf("unsupported scheme %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return "", false, errors.New("request has no host")
	}
	return net.JoinHostPort(u.Hostname(), port), tls, nil
}

// replayableOnNewConn reports whether req may be sent again after a
// reused connection failed: an idempotent method and no body.
func replayableOnNewConn(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return req.Body == nil || req.Body == http.NoBody
	}
	return false
}

// nothingReceived reports whether err shows a connection the node had
// closed: a failed write, or the end of the stream before any byte of a
// response.
func nothingReceived(err error) bool {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// closeBody closes a request body the transport will not send.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
