package upstream

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"
)

// healthChecker runs the active health checks: GET HealthCheckPath on every
// node each interval; 2xx means up, anything else (including a timeout or a
// redirect) means down.
type healthChecker struct {
	pool      *pool
	transport http.RoundTripper
	headers   *headerPolicy
	path      *url.URL
	interval  time.Duration
	timeout   time.Duration
	log       *zap.Logger
}

// maxHealthBody bounds how much of a health check response is read.
const maxHealthBody = 64 << 10

// run checks all nodes immediately, then every interval until ctx is done.
func (h *healthChecker) run(ctx context.Context) {
	h.checkAll(ctx)
	t := time.NewTicker(h.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.checkAll(ctx)
		}
	}
}

// checkAll checks every node concurrently and waits for all results.
func (h *healthChecker) checkAll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, nd := range h.pool.nodes {
		wg.Go(func() { h.check(ctx, nd) })
	}
	wg.Wait()
}

// check probes one node and records the result.
func (h *healthChecker) check(ctx context.Context, nd *node) {
	start := h.pool.now()
	err := h.probe(ctx, nd)
	if ctx.Err() != nil {
		return // shutting down: the result says nothing about the node
	}
	if err != nil {
		h.log.Debug("upstream health check failed", zap.String("node", nd.name), zap.Error(err))
	}
	h.pool.setHealth(nd, err == nil, start)
}

// probe sends one health check request to nd.
func (h *healthChecker) probe(ctx context.Context, nd *node) error {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, nd.target(h.path).String(), nil)
	if err != nil {
		return fmt.Errorf("building health check request: %w", err)
	}
	req.Host = nd.host
	req.Header.Set("User-Agent", "portcullis-healthcheck")
	h.headers.injectCredentials(req)
	resp, err := h.transport.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxHealthBody))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("health check: status %d", resp.StatusCode)
	}
	return nil
}
