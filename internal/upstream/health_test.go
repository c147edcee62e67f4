package upstream

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// healthBackend answers health checks with 200 while up, 503 otherwise,
// and ordinary requests with 200.
func healthBackend(t *testing.T, up *atomic.Bool) *backend {
	return newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") == "portcullis-healthcheck" && !up.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
}

func TestActiveHealthChecks(t *testing.T) {
	var aUp, bUp atomic.Bool
	aUp.Store(true)
	a, b := healthBackend(t, &aUp), healthBackend(t, &bUp)
	rec := &recorder{}
	p := newProxy(t, Config{
		Nodes:               []*url.URL{a.url(t), b.url(t)},
		HealthCheckInterval: 20 * time.Millisecond,
		HealthCheckPath:     "/_cluster/health?local=true",
		Username:            "monitor",
		Password:            "pw",
	}, rec)

	if p.Healthy() {
		t.Fatal("Healthy() before any check passed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.Start(ctx)
	p.Start(ctx) // idempotent

	eventually(t, "first health round", func() bool {
		st := p.Nodes()
		return st[0].Health == HealthUp && st[1].Health == HealthDown
	})
	if !p.Healthy() {
		t.Error("Healthy() = false with one node up")
	}
	for range 6 {
		if w := serve(p, httptest.NewRequest(http.MethodGet, "/", nil)); w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
	}
	if b.count() != 0 {
		t.Errorf("node marked down received %d requests", b.count())
	}

	check := a.received()[0]
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("monitor:pw"))
	if check.Method != http.MethodGet || check.RequestURI != "/_cluster/health?local=true" || check.Header.Get("Authorization") != wantAuth {
		t.Errorf("health check request = %s %s auth=%q", check.Method, check.RequestURI, check.Header.Get("Authorization"))
	}

	bUp.Store(true)
	aUp.Store(false)
	eventually(t, "health flip", func() bool {
		st := p.Nodes()
		return st[0].Health == HealthDown && st[1].Available
	})
	if w := serve(p, httptest.NewRequest(http.MethodGet, "/", nil)); w.Code != http.StatusOK || b.count() != 1 {
		t.Errorf("request after flip: status %d, node b count %d", w.Code, b.count())
	}
	if ev := rec.healthEvents(b.URL); len(ev) < 2 || ev[0] || !ev[len(ev)-1] {
		t.Errorf("NodeHealth events for b = %v, want false … true", ev)
	}

	aUp.Store(false)
	bUp.Store(false)
	eventually(t, "all down", func() bool { return !p.Healthy() })
}

func TestHealthyWithoutActiveChecks(t *testing.T) {
	be := newBackend(t, nil)
	p := newProxy(t, Config{Nodes: []*url.URL{be.url(t)}, HealthCheckInterval: -1}, nil)
	p.Start(context.Background()) // no-op
	if !p.Healthy() {
		t.Error("Healthy() = false with checks disabled and no failures")
	}
	if st := p.Nodes()[0]; st.Health != HealthUnknown || !st.Available {
		t.Errorf("status = %+v", st)
	}
}
