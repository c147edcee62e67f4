package upstream

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"

	"go.uber.org/zap"
)

// Proxy forwards requests to the cluster's nodes. It is an http.Handler and
// is safe for concurrent use. Whatever is mounted in front of it must have
// authenticated and authorized the request already.
type Proxy struct {
	cfg       Config
	log       *zap.Logger
	pool      *pool
	transport *http.Transport // health checks
	h1        *h1Transport    // proxied requests
	rp        *httputil.ReverseProxy
	health    *healthChecker
	started   atomic.Bool
}

// New validates cfg, applies defaults and builds a Proxy. A nil log or obs
// is replaced by a no-op. Active health checks begin with Start.
func New(cfg Config, log *zap.Logger, obs Observer) (*Proxy, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("upstream config: %w", err)
	}
	healthPath, err := parseHealthPath(cfg.HealthCheckPath)
	if err != nil {
		return nil, fmt.Errorf("upstream config: %w", err)
	}
	if log == nil {
		log = zap.NewNop()
	}
	if obs == nil {
		obs = NopObserver{}
	}
	tr, h1, err := newTransports(cfg)
	if err != nil {
		return nil, fmt.Errorf("upstream transport: %w", err)
	}
	if cfg.InsecureSkipVerify {
		log.Warn("TLS certificate verification of upstream nodes is DISABLED; use only for development")
	}
	errLog, err := zap.NewStdLogAt(log.Named("reverseproxy"), zap.WarnLevel)
	if err != nil {
		return nil, fmt.Errorf("upstream error log: %w", err)
	}
	pl := newPool(cfg, obs, log)
	headers := newHeaderPolicy(cfg)
	p := &Proxy{cfg: cfg, log: log, pool: pl, transport: tr, h1: h1}
	p.rp = &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { keepQuery(pr); headers.apply(pr) },
		Transport:     &balancer{pool: pl, next: h1, obs: obs, log: log},
		FlushInterval: cfg.FlushInterval,
		ErrorHandler:  p.handleError,
		ErrorLog:      errLog,
		BufferPool:    &bufferPool{},
	}
	p.health = &healthChecker{
		pool: pl, transport: tr, headers: headers, path: healthPath,
		interval: cfg.HealthCheckInterval, timeout: cfg.HealthCheckTimeout,
		log: log.Named("health"),
	}
	return p, nil
}

// keepQuery undoes httputil.ReverseProxy's query clean-up: before Rewrite
// it re-encodes a query url.ParseQuery rejects (a ';', a bad escape, more
// than 10000 parts), silently dropping those parameters or all of them.
// The cluster must receive the query the request was classified and
// decided on, byte for byte; what the cluster would read differently is
// refused before forwarding (esapi.ParseRawQuery), not rewritten here.
func keepQuery(pr *httputil.ProxyRequest) {
	pr.Out.URL.RawQuery = pr.In.URL.RawQuery
	pr.Out.URL.ForceQuery = pr.In.URL.ForceQuery
}

// parseHealthPath parses the health check path and query ("/",
// "/_cluster/health?local=true"), refusing anything that names a host.
func parseHealthPath(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("health check path: %w", err)
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("health check path %q must be a path with an optional query", s)
	}
	return u, nil
}

// ServeHTTP forwards r to a node and relays the response, streaming bodies
// in both directions. Failures are answered with Elasticsearch-shaped
// errors: 502 (node unreachable), 503 (no node available), 504 (no
// response in time).
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.rp.ServeHTTP(w, r)
}

// Start runs the active health checks in the background until ctx is done,
// then closes idle upstream connections. It returns immediately. Calls
// after the first, and calls when checks are disabled, do nothing.
func (p *Proxy) Start(ctx context.Context) {
	if p.cfg.HealthCheckInterval < 0 || !p.started.CompareAndSwap(false, true) {
		return
	}
	go func() {
		p.health.run(ctx)
		p.transport.CloseIdleConnections()
		p.h1.pool.closeIdle(true)
	}()
}

// Healthy reports whether at least one node is available, for readiness
// probes. With active checks enabled, a node counts only once a check has
// passed, so Healthy is false until Start's first round succeeds somewhere.
func (p *Proxy) Healthy() bool {
	return p.pool.ready(p.cfg.HealthCheckInterval > 0)
}

// Nodes returns the status of every node, in configuration order.
func (p *Proxy) Nodes() []NodeStatus {
	return p.pool.statuses()
}
