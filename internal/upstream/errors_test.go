package upstream

import (
	"context"
	"io"
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

// TestStalledResponseBodyIsAborted: a node that sends its headers and part
// of a body, then nothing, used to hold the request for ever (the
// transport's timeouts end with the headers). After ResponseHeaderTimeout
// without data the read fails and the answer is aborted; a node that is
// merely slow between chunks, and a client slow to read, are not cut.
func TestStalledResponseBodyIsAborted(t *testing.T) {
	release, cut := make(chan struct{}), make(chan bool, 1)
	defer close(release)
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"hits":[`))
		w.(http.Flusher).Flush()
		if r.URL.Path == "/slow" {
			for range 3 {
				time.Sleep(150 * time.Millisecond)
				_, _ = w.Write([]byte(`1,`))
				w.(http.Flusher).Flush()
			}
			_, _ = w.Write([]byte(`2]}`))
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
			cut <- true
		}
	})
	p := newProxy(t, Config{Nodes: []*url.URL{be.url(t)}, ResponseHeaderTimeout: 300 * time.Millisecond}, nil)
	// (Under a real server ReverseProxy then aborts the connection with
	// http.ErrAbortHandler; with a recorder it logs the copy error.) The
	// node is released only when the test ends: an answer that ends
	// before that was cut by the proxy, which the node sees as its
	// request's cancellation.
	w := serve(p, httptest.NewRequest(http.MethodGet, "/stalled", nil))
	if w.Body.String() != `{"hits":[` || !<-cut {
		t.Errorf("stalled body: ended with %q, want the copy cut and the node's request canceled", w.Body)
	}
	// A node slow between chunks (each gap under the timeout) is relayed.
	if w := serve(p, httptest.NewRequest(http.MethodGet, "/slow", nil)); w.Code != 200 || w.Body.String() != `{"hits":[1,1,1,2]}` {
		t.Errorf("slow node: %d %s", w.Code, w.Body)
	}
	// Internal requests (Send) are guarded too, and a consumer slower than
	// the timeout between reads is not a stall.
	resp, err := p.Send(context.Background(), http.MethodGet, "/slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || string(b) != `{"hits":[1,1,1,2]}` {
		t.Errorf("slow consumer: %q, %v", b, err)
	}
}
