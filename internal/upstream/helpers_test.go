package upstream

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// seen is one request as an upstream node received it.
type seen struct {
	Method     string
	RequestURI string
	Host       string
	Header     http.Header
	Trailer    http.Header
	Body       []byte
}

// backend is a recording upstream node.
type backend struct {
	*httptest.Server
	mu       sync.Mutex
	requests []seen
	handler  http.HandlerFunc // optional; default answers 200 {"ok":true}
}

// newBackend starts a recording upstream node on loopback.
func newBackend(t testing.TB, h http.HandlerFunc) *backend {
	t.Helper()
	b := &backend{handler: h}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.Close)
	return b
}

func (b *backend) serve(w http.ResponseWriter, r *http.Request) {
	s := seen{Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone()}
	if b.handler == nil {
		s.Body, _ = io.ReadAll(r.Body)
		s.Trailer = r.Trailer.Clone()
	}
	b.mu.Lock()
	b.requests = append(b.requests, s)
	b.mu.Unlock()
	if b.handler != nil {
		b.handler(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// received returns a copy of the requests the node saw.
func (b *backend) received() []seen {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]seen(nil), b.requests...)
}

// count returns how many requests the node saw, excluding health checks.
func (b *backend) count() int {
	n := 0
	for _, s := range b.received() {
		if s.Header.Get("User-Agent") != "portcullis-healthcheck" {
			n++
		}
	}
	return n
}

func (b *backend) url(t testing.TB) *url.URL { return mustParse(t, b.URL) }

func mustParse(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// closedAddr returns a loopback address where nothing listens (connection
// refused).
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// listenOn starts a recording backend on a specific address (to bring a
// "down" node back).
func listenOn(t testing.TB, addr string, h http.HandlerFunc) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("re-listening on %s: %v", addr, err)
	}
	b := &backend{handler: h}
	b.Server = httptest.NewUnstartedServer(http.HandlerFunc(b.serve))
	_ = b.Listener.Close()
	b.Listener = ln
	b.Start()
	t.Cleanup(b.Close)
	return b
}

// event is one Observer call.
type event struct {
	Kind    string // "request", "health", "error"
	Node    string
	Status  int
	Healthy bool
	Error   string
}

// recorder is an Observer that records every call.
type recorder struct {
	mu     sync.Mutex
	events []event
}

func (r *recorder) add(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) UpstreamRequest(node string, status int, _ time.Duration) {
	r.add(event{Kind: "request", Node: node, Status: status})
}

func (r *recorder) NodeHealth(node string, healthy bool) {
	r.add(event{Kind: "health", Node: node, Healthy: healthy})
}

func (r *recorder) UpstreamError(node, kind string) {
	r.add(event{Kind: "error", Node: node, Error: kind})
}

// errors returns the UpstreamError kinds reported for node ("" = any).
func (r *recorder) errors(node string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if e.Kind == "error" && (node == "" || e.Node == node) {
			out = append(out, e.Error)
		}
	}
	return out
}

// healthEvents returns the NodeHealth values reported for node.
func (r *recorder) healthEvents(node string) []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []bool
	for _, e := range r.events {
		if e.Kind == "health" && e.Node == node {
			out = append(out, e.Healthy)
		}
	}
	return out
}

// newProxy builds a Proxy with a test logger; health checks are disabled
// unless cfg sets an interval.
func newProxy(t testing.TB, cfg Config, obs Observer) *Proxy {
	t.Helper()
	if cfg.HealthCheckInterval == 0 {
		cfg.HealthCheckInterval = -1
	}
	p, err := New(cfg, zaptest.NewLogger(t), obs)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

// serve runs a request through p in-process and returns the recorder.
func serve(p *Proxy, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	return w
}

// esError is the Elasticsearch error body shape.
type esError struct {
	Error struct {
		RootCause []struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"root_cause"`
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
	Status int `json:"status"`
}

// decodeESError checks that w holds an Elasticsearch-shaped error and
// returns it.
func decodeESError(t testing.TB, w *httptest.ResponseRecorder) esError {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=UTF-8" {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	var e esError
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, w.Body)
	}
	if e.Status != w.Code {
		t.Errorf("body status %d != HTTP status %d", e.Status, w.Code)
	}
	if len(e.Error.RootCause) != 1 || e.Error.RootCause[0].Type != e.Error.Type || e.Error.Reason == "" {
		t.Errorf("malformed Elasticsearch error: %s", w.Body)
	}
	return e
}

// eventually polls cond until it holds or a generous deadline passes. It is
// for waiting on background health checks, never for asserting durations.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
