package upstream

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// stallGuard bounds how long one read of a node's response body may wait
// for data: a node that sent its headers and then stops in the middle of
// the body (a hung node, a half-open connection) would otherwise hold the
// request, its client and, for filtered answers, the filter's goroutine for
// ever, since the transport's timeouts end with the headers. Only the time
// spent inside Read counts: a client reading slowly does not make the node
// look stalled. Past the bound the request's context is canceled, which
// aborts the read, and Read fails (the proxy then aborts the answer).
type stallGuard struct {
	body    io.ReadCloser
	timeout time.Duration
	timer   *time.Timer
	cancel  context.CancelFunc
	stalled atomic.Bool
}

func newStallGuard(body io.ReadCloser, timeout time.Duration, cancel context.CancelFunc) *stallGuard {
	g := &stallGuard{body: body, timeout: timeout, cancel: cancel}
	g.timer = time.AfterFunc(timeout, func() {
		g.stalled.Store(true)
		cancel()
	})
	g.timer.Stop()
	return g
}

func (g *stallGuard) Read(p []byte) (int, error) {
	if g.stalled.Load() {
		return 0, g.err()
	}
	g.timer.Reset(g.timeout)
	n, err := g.body.Read(p)
	g.timer.Stop()
	if err != nil && err != io.EOF && g.stalled.Load() {
		return n, g.err()
	}
	return n, err
}

func (g *stallGuard) err() error {
	return fmt.Errorf("the cluster sent nothing for %v in the middle of a response body", g.timeout)
}

// Close closes the body and releases the request's context.
func (g *stallGuard) Close() error {
	g.timer.Stop()
	err := g.body.Close()
	g.cancel()
	return err
}
