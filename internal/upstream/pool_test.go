package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

func TestRoundRobin(t *testing.T) {
	backends := []*backend{newBackend(t, nil), newBackend(t, nil), newBackend(t, nil)}
	var nodes []*url.URL
	for _, b := range backends {
		nodes = append(nodes, b.url(t))
	}
	rec := &recorder{}
	p := newProxy(t, Config{Nodes: nodes}, rec)

	const perNode = 10
	for i := range perNode * len(backends) {
		w := serve(p, httptest.NewRequest(http.MethodGet, "/", nil))
		if w.Code != http.StatusOK {
			t.Fatalf("request %d: status %d", i, w.Code)
		}
		if want := backends[i%len(backends)]; want.count() != i/len(backends)+1 {
			t.Fatalf("request %d did not go to node %d", i, i%len(backends))
		}
	}
	for i, b := range backends {
		if n := b.count(); n != perNode {
			t.Errorf("node %d served %d requests, want %d", i, n, perNode)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.events) != perNode*len(backends) || rec.events[0].Kind != "request" || rec.events[0].Status != 200 || rec.events[0].Node != backends[0].URL {
		t.Errorf("observer events = %+v", rec.events[:min(3, len(rec.events))])
	}
}

// fakeClock is a manually advanced clock for pool unit tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestPool(t *testing.T, n int, clock *fakeClock) *pool {
	t.Helper()
	var nodes []*url.URL
	for i := range n {
		nodes = append(nodes, &url.URL{Scheme: "http", Host: "node" + string(rune('a'+i)) + ":9200"})
	}
	p := newPool(Config{Nodes: nodes, EjectAfterFailures: 2, EjectFor: time.Minute}, NopObserver{}, zap.NewNop())
	p.now = clock.Now
	return p
}

// picks returns the names of the next k picks.
func picks(p *pool, k int) []string {
	var out []string
	for range k {
		if nd := p.pick(nil); nd != nil {
			out = append(out, nd.host)
		} else {
			out = append(out, "-")
		}
	}
	return out
}

func TestPoolEjection(t *testing.T) {
	tests := []struct {
		name  string
		setup func(p *pool, c *fakeClock)
		want  []string
	}{
		{"all available", func(*pool, *fakeClock) {},
			[]string{"nodea:9200", "nodeb:9200", "nodec:9200", "nodea:9200"}},
		{"one failure is tolerated", func(p *pool, c *fakeClock) { p.failure(p.nodes[1]) },
			[]string{"nodea:9200", "nodeb:9200", "nodec:9200", "nodea:9200"}},
		{"ejected after consecutive failures", func(p *pool, c *fakeClock) { p.failure(p.nodes[1]); p.failure(p.nodes[1]) },
			[]string{"nodea:9200", "nodec:9200", "nodec:9200", "nodea:9200"}},
		{"success resets the count", func(p *pool, c *fakeClock) {
			p.failure(p.nodes[1])
			p.success(p.nodes[1], c.Now())
			p.failure(p.nodes[1])
		}, []string{"nodea:9200", "nodeb:9200", "nodec:9200", "nodea:9200"}},
		{"ejection expires", func(p *pool, c *fakeClock) {
			p.failure(p.nodes[1])
			p.failure(p.nodes[1])
			c.Advance(time.Minute)
		}, []string{"nodea:9200", "nodeb:9200", "nodec:9200", "nodea:9200"}},
		{"half-open: one failure after expiry ejects again", func(p *pool, c *fakeClock) {
			p.failure(p.nodes[1])
			p.failure(p.nodes[1])
			c.Advance(time.Minute)
			p.failure(p.nodes[1])
		}, []string{"nodea:9200", "nodec:9200", "nodec:9200", "nodea:9200"}},
		{"active check down", func(p *pool, c *fakeClock) { p.setHealth(p.nodes[0], false, c.Now()) },
			[]string{"nodeb:9200", "nodeb:9200", "nodec:9200", "nodeb:9200"}},
		{"passing check started after ejection ends it", func(p *pool, c *fakeClock) {
			p.failure(p.nodes[1])
			p.failure(p.nodes[1])
			c.Advance(time.Second)
			p.setHealth(p.nodes[1], true, c.Now())
		}, []string{"nodea:9200", "nodeb:9200", "nodec:9200", "nodea:9200"}},
		{"passing check started before ejection does not end it", func(p *pool, c *fakeClock) {
			start := c.Now()
			c.Advance(time.Second)
			p.failure(p.nodes[1])
			p.failure(p.nodes[1])
			p.setHealth(p.nodes[1], true, start)
		}, []string{"nodea:9200", "nodec:9200", "nodec:9200", "nodea:9200"}},
		{"nothing available", func(p *pool, c *fakeClock) {
			for _, nd := range p.nodes {
				p.setHealth(nd, false, c.Now())
			}
		}, []string{"-", "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
			p := newTestPool(t, 3, clock)
			tt.setup(p, clock)
			got := picks(p, len(tt.want))
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Fatalf("picks = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestPoolFallbackPicksLeastRecentlyFailed(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	p := newTestPool(t, 3, clock)
	for _, i := range []int{2, 0, 1} { // node c fails first, b last
		clock.Advance(time.Second)
		p.failure(p.nodes[i])
		p.failure(p.nodes[i])
	}
	if nd := p.pick(nil); nd != nil {
		t.Fatalf("pick = %s, want none available", nd.host)
	}
	if nd := p.fallback(); nd != p.nodes[2] {
		t.Errorf("fallback = %s, want nodec (failed least recently)", nd.host)
	}
}

func TestPassiveEjectionThenActiveRecovery(t *testing.T) {
	healthy := newBackend(t, nil)
	downAddr := closedAddr(t)
	down := "http://" + downAddr
	rec := &recorder{}
	p := newProxy(t, Config{
		Nodes:               []*url.URL{healthy.url(t), mustParse(t, down)},
		EjectAfterFailures:  2,
		EjectFor:            time.Hour, // recovery must come from the active check
		HealthCheckInterval: 20 * time.Millisecond,
	}, rec)

	get := func() {
		t.Helper()
		if w := serve(p, httptest.NewRequest(http.MethodGet, "/", nil)); w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	// Requests alternate; those for the down node are retried on the
	// healthy one, so clients see no failure.
	for range 4 {
		get()
	}
	if st := p.Nodes()[1]; !st.Ejected || st.Available {
		t.Fatalf("down node status = %+v, want ejected", st)
	}
	if got := rec.healthEvents(down); len(got) != 1 || got[0] {
		t.Errorf("NodeHealth events = %v, want [false]", got)
	}
	for range 6 {
		get()
	}
	if errs := rec.errors(down); len(errs) != 2 {
		t.Errorf("ejected node was tried again: errors %v", errs)
	}

	// The node comes back; it stays ejected until an active check passes.
	back := listenOn(t, downAddr, nil)
	get()
	if back.count() != 0 {
		t.Fatal("ejected node received traffic before any health check")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p.Start(ctx)
	eventually(t, "node back in rotation", func() bool { return p.Nodes()[1].Available })
	for range 4 {
		get()
	}
	if n := back.count(); n != 2 {
		t.Errorf("recovered node served %d of 4 requests, want 2", n)
	}
	if got := rec.healthEvents(down); !got[len(got)-1] {
		t.Errorf("last NodeHealth for recovered node = false")
	}
}

func TestAllEjectedFallback(t *testing.T) {
	addrB, addrC := closedAddr(t), closedAddr(t)
	rec := &recorder{}
	p := newProxy(t, Config{
		Nodes:              []*url.URL{mustParse(t, "http://"+addrB), mustParse(t, "http://"+addrC)},
		EjectAfterFailures: 1,
		EjectFor:           time.Hour,
	}, rec)
	get := func() *httptest.ResponseRecorder {
		return serve(p, httptest.NewRequest(http.MethodGet, "/", nil))
	}

	// Both nodes believed healthy: tried in turn, both refuse → 502.
	w := get()
	if w.Code != http.StatusBadGateway || decodeESError(t, w).Error.Type != "connect_exception" {
		t.Fatalf("first request: %d %s", w.Code, w.Body)
	}
	if n := len(rec.errors("")); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	// Both ejected: one attempt on the least recently failed (B) → 503.
	w = get()
	if w.Code != http.StatusServiceUnavailable || decodeESError(t, w).Error.Type != "no_node_available_exception" {
		t.Fatalf("all ejected: %d %s", w.Code, w.Body)
	}
	if errs := rec.errors("http://" + addrB); len(errs) != 2 || len(rec.errors("")) != 3 {
		t.Fatalf("fallback did not make exactly one attempt on B: %v", rec.errors(""))
	}
	if p.Healthy() {
		t.Error("Healthy() = true with every node ejected")
	}
	// C has now failed least recently; once it is back, the fallback
	// attempt succeeds and ends its ejection.
	c := listenOn(t, addrC, nil)
	if w = get(); w.Code != http.StatusOK {
		t.Fatalf("fallback to recovered node: %d %s", w.Code, w.Body)
	}
	if c.count() != 1 || !p.Nodes()[1].Available || p.Nodes()[0].Available {
		t.Errorf("after recovery: count=%d nodes=%+v", c.count(), p.Nodes())
	}
}
