// Package metrics holds Portcullis's Prometheus collectors. Other packages
// report through small observer interfaces that *Metrics implements, so they
// never import Prometheus themselves.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of collectors of one proxy process, as seen by one
// site: ForSite returns a Metrics sharing the collectors whose requests,
// logins, reloads and audit records carry another site label.
type Metrics struct {
	registry *prometheus.Registry
	// site is the value of the "site" label: a tenant's name (sites:), or
	// empty for the default (top-level) site.
	site string

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	upstreamDur     *prometheus.HistogramVec
	upstreamErrors  *prometheus.CounterVec
	nodeHealthy     *prometheus.GaugeVec
	cacheHits       *prometheus.CounterVec
	cacheMisses     *prometheus.CounterVec
	failedLogins    *prometheus.CounterVec
	rateLimited     *prometheus.CounterVec
	reloads         *prometheus.CounterVec

	// Bound children of the collectors updated on every request.
	requestChildren  *children[requestLabels, requestChild]
	cacheHitsByRealm *children[string, prometheus.Counter]

	auditRecords   *prometheus.CounterVec
	auditFsync     *prometheus.HistogramVec
	auditGroup     *prometheus.HistogramVec
	auditFailures  *prometheus.CounterVec
	auditUnaudited *prometheus.CounterVec
	auditRotations *prometheus.CounterVec
	auditShipped   *prometheus.CounterVec
	auditShipFail  *prometheus.CounterVec
	auditShipLag   *prometheus.GaugeVec
}

// latencyBuckets spans 100µs to 30s: the proxy's own overhead sits at the low end.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New creates the collectors on a fresh registry (with Go and process collectors).
func New() *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "portcullis", Name: "requests_total",
		Help: "Client requests by route class, method, status code and authorization decision.",
	}, []string{"site", "route", "method", "code", "decision"})
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "portcullis", Name: "request_duration_seconds", Buckets: latencyBuckets,
		Help: "Whole-request latency as the proxy sees it, from headers read to response written.",
	}, []string{"site", "route", "decision"})
	m.upstreamDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "portcullis", Name: "upstream_duration_seconds", Buckets: latencyBuckets,
		Help: "Time from sending a request to a node until its response headers arrived.",
	}, []string{"node"})
	m.upstreamErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "portcullis", Name: "upstream_errors_total", Help: "Failed attempts to reach a node, by kind.",
	}, []string{"node", "kind"})
	m.nodeHealthy = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "portcullis", Name: "upstream_node_healthy", Help: "1 when the node is in rotation, 0 when ejected.",
	}, []string{"node"})
	m.cacheHits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "portcullis", Name: "auth_cache_hits_total", Help: "Credential cache hits by realm.",
	}, []string{"realm"})
	m.cacheMisses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "portcullis", Name: "auth_cache_misses_total", Help: "Credential cache misses by realm.",
	}, []string{"realm"})
	m.failedLogins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "portcullis", Name: "failed_logins_total", Help: "Refused credentials by realm and reason.",
	}, []string{"site", "realm", "reason"})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "portcullis", Name: "login_rate_limited_total", Help: "Logins refused by the failed-login limiter, by key kind.",
	}, []string{"by"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "portcullis", Name: "reloads_total", Help: "Reloads of security files and certificates by what and result.",
	}, []string{"site", "what", "result"})
	m.requestChildren = newChildren(func(l requestLabels) requestChild {
		return requestChild{
			count:    m.requests.WithLabelValues(l.site, l.route, l.method, strconv.Itoa(l.code), l.decision),
			duration: m.requestDuration.WithLabelValues(l.site, l.route, l.decision),
		}
	})
	m.cacheHitsByRealm = newChildren(func(realm string) prometheus.Counter { return m.cacheHits.WithLabelValues(realm) })
	m.newAuditCollectors()
	m.registry.MustRegister(m.requests, m.requestDuration, m.upstreamDur, m.upstreamErrors, m.nodeHealthy,
		m.cacheHits, m.cacheMisses, m.failedLogins, m.rateLimited, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ForSite returns the Metrics of a tenant site: the same collectors, with
// the site label set to name.
func (m *Metrics) ForSite(name string) *Metrics {
	s := *m
	s.site = name
	return &s
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// requestLabels are the labels of one finished request's collectors.
type requestLabels struct {
	site, route, method string
	code                int
	decision            string
}

// requestChild is the pair of collectors a finished request updates.
type requestChild struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// RequestDone records one finished client request.
func (m *Metrics) RequestDone(route, method string, code int, decision string, d time.Duration) {
	c := m.requestChildren.get(requestLabels{site: m.site, route: route, method: method, code: code, decision: decision})
	c.count.Inc()
	c.duration.Observe(d.Seconds())
}

// UpstreamRequest records the upstream part of a request.
func (m *Metrics) UpstreamRequest(node string, status int, d time.Duration) {
	m.upstreamDur.WithLabelValues(node).Observe(d.Seconds())
}

// UpstreamError records a failed attempt to reach a node.
func (m *Metrics) UpstreamError(node, kind string) {
	m.upstreamErrors.WithLabelValues(node, kind).Inc()
}

// NodeHealth records whether a node is in rotation.
func (m *Metrics) NodeHealth(node string, healthy bool) {
	v := 0.0
	if healthy {
		v = 1
	}
	m.nodeHealthy.WithLabelValues(node).Set(v)
}

// CacheHit records a credential cache hit.
func (m *Metrics) CacheHit(realm string) { m.cacheHitsByRealm.get(realm).Inc() }

// CacheMiss records a credential cache miss.
func (m *Metrics) CacheMiss(realm string) { m.cacheMisses.WithLabelValues(realm).Inc() }

// LoginFailed records refused credentials.
func (m *Metrics) LoginFailed(realm, reason string) {
	m.failedLogins.WithLabelValues(m.site, realm, reason).Inc()
}

// RateLimited records a login refused by the limiter.
func (m *Metrics) RateLimited(by string) { m.rateLimited.WithLabelValues(by).Inc() }

// Reloaded records a reload attempt of "users", "roles", "certificate"….
func (m *Metrics) Reloaded(what string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.reloads.WithLabelValues(m.site, what, result).Inc()
}
