package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestErrorResponses(t *testing.T) {
	slow := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers; released when the proxy gives up
	})
	tests := []struct {
		name       string
		cfg        func(t *testing.T) Config
		prepare    func(p *Proxy) // requests made before the one checked
		wantStatus int
		wantType   string
	}{
		{
			name: "connection refused",
			cfg: func(t *testing.T) Config {
				return Config{Nodes: []*url.URL{mustParse(t, "http://"+closedAddr(t))}}
			},
			wantStatus: http.StatusBadGateway,
			wantType:   "connect_exception",
		},
		{
			name: "no node available",
			cfg: func(t *testing.T) Config {
				return Config{Nodes: []*url.URL{mustParse(t, "http://"+closedAddr(t))}, EjectAfterFailures: 1}
			},
			prepare: func(p *Proxy) {
				serve(p, httptest.NewRequest(http.MethodGet, "/", nil))
			},
			wantStatus: http.StatusServiceUnavailable,
			wantType:   "no_node_available_exception",
		},
		{
			name: "response header timeout",
			cfg: func(t *testing.T) Config {
				return Config{Nodes: []*url.URL{slow.url(t)}, ResponseHeaderTimeout: 50 * time.Millisecond, EjectAfterFailures: 1}
			},
			wantStatus: http.StatusGatewayTimeout,
			wantType:   "timeout_exception",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg(t)
			p := newProxy(t, cfg, nil)
			if tt.prepare != nil {
				tt.prepare(p)
			}
			r := httptest.NewRequest(http.MethodGet, "/secret-index/_search?q=secret-term", nil)
			w := serve(p, r)

			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}
			e := decodeESError(t, w)
			if e.Error.Type != tt.wantType {
				t.Errorf("type = %q, want %q", e.Error.Type, tt.wantType)
			}
			body := w.Body.String()
			for _, leak := range []string{"127.0.0.1", cfg.Nodes[0].Host, "secret", "dial", "tcp", "net/http"} {
				if strings.Contains(body, leak) {
					t.Errorf("error body leaks %q: %s", leak, body)
				}
			}
			if tt.wantType == "timeout_exception" && p.Nodes()[0].ConsecutiveFailures != 0 {
				t.Error("a slow response counted toward ejection")
			}
		})
	}
}

func TestClientCancellationIsNotANodeFailure(t *testing.T) {
	started := make(chan struct{})
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	})
	rec := &recorder{}
	p := newProxy(t, Config{Nodes: []*url.URL{be.url(t)}, EjectAfterFailures: 1}, rec)

	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	w := serve(p, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))

	if w.Code != StatusClientClosedRequest {
		t.Errorf("status = %d, want %d", w.Code, StatusClientClosedRequest)
	}
	if errs := rec.errors(""); len(errs) != 0 {
		t.Errorf("client cancellation reported as upstream errors %v", errs)
	}
	if st := p.Nodes()[0]; !st.Available || st.ConsecutiveFailures != 0 {
		t.Errorf("node status after cancellation = %+v", st)
	}
}
