package upstream

import (
	"bufio"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// h1Conn is one keep-alive HTTP/1.1 connection to a node.
type h1Conn struct {
	conn net.Conn      // what requests are written to (TLS or TCP)
	raw  net.Conn      // the TCP connection under conn, for the liveness check
	br   *bufio.Reader // responses are read through it
	bw   *bufio.Writer // requests are written through it
}

// h1BufferSize is the size of each connection's read and write buffers,
// net/http's own default.
const h1BufferSize = 4 << 10

func newH1Conn(c net.Conn) *h1Conn {
	raw := c
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok { // *tls.Conn
		raw = nc.NetConn()
	}
	return &h1Conn{conn: c, raw: raw, br: bufio.NewReaderSize(c, h1BufferSize), bw: bufio.NewWriterSize(c, h1BufferSize)}
}

func (c *h1Conn) close() { _ = c.conn.Close() }

// idle reports whether the connection can carry a new request: nothing is
// buffered and the node has sent nothing since the last response ended.
// Bytes arriving on an idle connection (an unsolicited response, a TLS
// alert) or its end (the node closed it) make it unusable: a response
// read later from such a connection could belong to no request, or to
// another request than ours. net/http's Transport watches idle
// connections with a reading goroutine for the same reason; a
// non-blocking peek at reuse does it without one.
func (c *h1Conn) idle() bool {
	if c.br.Buffered() > 0 {
		return false
	}
	sc, ok := c.raw.(syscall.Conn)
	if !ok {
		return true // not a socket (tests): nothing to peek at
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		_ = n // data (an unsolicited response, a TLS alert) or 0 (closed): not idle
		alive = errors.Is(rerr, syscall.EAGAIN)
		return true // never wait for readiness: this is a poll, not a read
	})
	return err == nil && alive
}

// pooledConn is an idle connection and when it became idle.
type pooledConn struct {
	c     *h1Conn
	since time.Time
}

// connPool keeps idle keep-alive connections per node address, newest on
// top: the most recently used connection is the least likely to have
// been closed by the node. It closes connections idle longer than
// timeout, and beyond max per address the oldest.
type connPool struct {
	max     int
	timeout time.Duration
	now     func() time.Time

	mu      sync.Mutex
	idle    map[string][]pooledConn
	closed  bool
	reaping bool // a reaper goroutine is running
}

func newConnPool(max int, timeout time.Duration) *connPool {
	return &connPool{max: max, timeout: timeout, now: time.Now, idle: make(map[string][]pooledConn)}
}

// get returns an idle connection to addr that passes the liveness check,
// or nil. Connections that fail it are closed.
func (p *connPool) get(addr string) *h1Conn {
	for {
		p.mu.Lock()
		stack := p.idle[addr]
		if len(stack) == 0 {
			p.mu.Unlock()
			return nil
		}
		top := stack[len(stack)-1]
		stack[len(stack)-1] = pooledConn{}
		p.idle[addr] = stack[:len(stack)-1]
		p.mu.Unlock()
		if p.now().Sub(top.since) < p.timeout && top.c.idle() {
			return top.c
		}
		top.c.close()
	}
}

// put makes c available for the next request to addr.
func (p *connPool) put(addr string, c *h1Conn) {
	now := p.now()
	p.mu.Lock()
	if p.closed || p.max <= 0 {
		p.mu.Unlock()
		c.close()
		return
	}
	stack := append(p.idle[addr], pooledConn{c: c, since: now})
	var evicted []*h1Conn
	for len(stack) > p.max || (len(stack) > 0 && now.Sub(stack[0].since) >= p.timeout) {
		evicted = append(evicted, stack[0].c)
		stack = stack[1:]
	}
	p.idle[addr] = stack
	startReaper := !p.reaping
	p.reaping = true
	p.mu.Unlock()
	for _, e := range evicted {
		e.close()
	}
	if startReaper {
		go p.reap()
	}
}

// reap closes connections that stayed idle past the timeout even when no
// request comes to push them out, and ends once no connection is idle.
func (p *connPool) reap() {
	tick := max(p.timeout/2, 10*time.Millisecond)
	for {
		time.Sleep(tick)
		now := p.now()
		var expired []*h1Conn
		p.mu.Lock()
		left := 0
		for addr, stack := range p.idle {
			for len(stack) > 0 && now.Sub(stack[0].since) >= p.timeout {
				expired = append(expired, stack[0].c)
				stack = stack[1:]
			}
			if len(stack) == 0 {
				delete(p.idle, addr)
			} else {
				p.idle[addr] = stack
			}
			left += len(stack)
		}
		done := left == 0 || p.closed
		if done {
			p.reaping = false
		}
		p.mu.Unlock()
		for _, c := range expired {
			c.close()
		}
		if done {
			return
		}
	}
}

// closeIdle closes every idle connection; with stop, connections handed
// back later are closed too.
func (p *connPool) closeIdle(stop bool) {
	p.mu.Lock()
	all := p.idle
	p.idle = make(map[string][]pooledConn)
	if stop {
		p.closed = true
	}
	p.mu.Unlock()
	for _, stack := range all {
		for _, pc := range stack {
			pc.c.close()
		}
	}
}
