package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// echoUpstream is a local stand-in for a cluster node that records what
// reaches it, for tests that must see exactly what the proxy forwards.
type echoUpstream struct {
	*httptest.Server
	count atomic.Int64
	mu    sync.Mutex
	last  *http.Request
	// handler, when set, answers instead of the default Elasticsearch-like body.
	handler http.HandlerFunc
}

func newEchoUpstream(t *testing.T) *echoUpstream {
	t.Helper()
	e := &echoUpstream{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ua := r.Header.Get("User-Agent"); ua == "portcullis-healthcheck" || ua == "portcullis-internal" {
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			switch {
			case strings.HasSuffix(r.URL.Path, "/_mapping"):
				// The proxy's own look at mappings: no such index.
				_, _ = w.Write([]byte(`{}`))
			case strings.HasPrefix(r.URL.Path, "/_index_template/_simulate_index/"):
				// The templates a new index would get: none.
				_, _ = w.Write([]byte(`{"template":{"settings":{},"mappings":{},"aliases":{}}}`))
			default:
				_, _ = w.Write([]byte(`{"name":"echo"}`))
			}
			return
		}
		e.count.Add(1)
		e.mu.Lock()
		e.last = r.Clone(r.Context())
		h := e.handler
		e.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.Header().Set("X-elastic-product", "Elasticsearch")
		_, _ = w.Write([]byte(`{"name":"echo","cluster_name":"echo","version":{"number":"7.17.0"},"tagline":"You Know, for Search"}`))
	}))
	t.Cleanup(e.Close)
	return e
}

// Count is the number of requests (other than health checks) that reached
// the upstream.
func (e *echoUpstream) Count() int64 { return e.count.Load() }

// Last returns the last request that reached the upstream.
func (e *echoUpstream) Last() *http.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last
}

func (e *echoUpstream) setHandler(h http.HandlerFunc) {
	e.mu.Lock()
	e.handler = h
	e.mu.Unlock()
}
