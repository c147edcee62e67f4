package server

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"
)

// handshakeListener terminates TLS itself and hands http.Server only
// connections whose handshake succeeded. http.Server would handshake too,
// but it only logs a failure as text; here the error value reaches
// onFailure, which audits the refusals the proxy's TLS policy made
// (connection_denied). Each handshake runs in its own goroutine, bounded by
// timeout, so a slow client never holds up Accept.
type handshakeListener struct {
	raw       net.Listener
	cfg       *tls.Config
	timeout   time.Duration
	onFailure func(remote net.Addr, err error)

	ready     chan net.Conn
	acceptErr chan error
	done      chan struct{}
	closeOnce sync.Once
}

// newHandshakeListener wraps raw; onFailure is called (in the handshake's
// goroutine, before the connection is closed) for every failed handshake.
func newHandshakeListener(raw net.Listener, cfg *tls.Config, timeout time.Duration, onFailure func(net.Addr, error)) *handshakeListener {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	l := &handshakeListener{
		raw: raw, cfg: cfg, timeout: timeout, onFailure: onFailure,
		ready: make(chan net.Conn), acceptErr: make(chan error, 1), done: make(chan struct{}),
	}
	go l.acceptLoop()
	return l
}

// Accept returns the next connection whose TLS handshake completed.
func (l *handshakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case err := <-l.acceptErr:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting; handshakes in progress end with their connection
// closed.
func (l *handshakeListener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.raw.Close()
	})
	return err
}

// Addr is the listening address.
func (l *handshakeListener) Addr() net.Addr { return l.raw.Addr() }

// acceptLoop accepts raw connections and starts their handshakes. Errors
// other than a closed listener (too many open files…) are retried with a
// growing pause, as http.Server does.
func (l *handshakeListener) acceptLoop() {
	var pause time.Duration
	for {
		c, err := l.raw.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				select {
				case l.acceptErr <- err:
				default:
				}
				return
			}
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(pause):
				continue
			case <-l.done:
				return
			}
		}
		pause = 0
		go l.handshake(c)
	}
}

func (l *handshakeListener) handshake(raw net.Conn) {
	tc := tls.Server(raw, l.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		if l.onFailure != nil {
			l.onFailure(raw.RemoteAddr(), err)
		}
		_ = tc.Close()
		return
	}
	select {
	case l.ready <- tc:
	case <-l.done:
		_ = tc.Close()
	}
}
