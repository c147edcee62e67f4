package upstream

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestRetryOnlyWhatNeverReachedANode(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		body        string
		chunked     bool // body of unknown length (no Content-Length)
		wantStatus  int
		wantRetried bool
	}{
		{"GET", http.MethodGet, "", false, http.StatusOK, true},
		{"HEAD", http.MethodHead, "", false, http.StatusOK, true},
		{"OPTIONS", http.MethodOptions, "", false, http.StatusOK, true},
		{"GET with body (intact)", http.MethodGet, `{"query":{"match_all":{}}}`, false, http.StatusOK, true},
		{"GET with chunked body (intact)", http.MethodGet, `{"query":{"match_all":{}}}`, true, http.StatusOK, true},
		{"POST with body", http.MethodPost, `{"field":"value"}`, false, http.StatusBadGateway, false},
		{"POST chunked body", http.MethodPost, `{"field":"value"}`, true, http.StatusBadGateway, false},
		{"POST without body", http.MethodPost, "", false, http.StatusBadGateway, false},
		{"PUT", http.MethodPut, `{"field":"value"}`, false, http.StatusBadGateway, false},
		{"DELETE", http.MethodDelete, "", false, http.StatusBadGateway, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			second := newBackend(t, nil)
			rec := &recorder{}
			down := "http://" + closedAddr(t)
			p := newProxy(t, Config{Nodes: []*url.URL{mustParse(t, down), second.url(t)}}, rec)

			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
				if tt.chunked {
					body = io.NopCloser(body) // hides the length
				}
			}
			r := httptest.NewRequest(tt.method, "/idx/_search", body)
			if tt.chunked {
				r.ContentLength = -1
			}
			w := serve(p, r) // round robin starts at the first (down) node

			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}
			got := second.received()
			if !tt.wantRetried {
				if len(got) != 0 {
					t.Fatalf("second node saw %d requests, want none", len(got))
				}
				if e := decodeESError(t, w); e.Error.Type != "connect_exception" {
					t.Errorf("error type = %q", e.Error.Type)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("second node saw %d requests, want 1", len(got))
			}
			if string(got[0].Body) != tt.body {
				t.Errorf("retried body = %q, want %q", got[0].Body, tt.body)
			}
			if errs := rec.errors(down); len(errs) != 1 || errs[0] != KindDial {
				t.Errorf("errors reported for the down node = %v, want [dial]", errs)
			}
		})
	}
}

func TestNoRetryAfterRequestReachedNode(t *testing.T) {
	// The first node accepts the request, then drops the connection
	// without answering: the request may have been executed, so even a
	// GET is not replayed elsewhere.
	dropper := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	})
	second := newBackend(t, nil)
	rec := &recorder{}
	p := newProxy(t, Config{Nodes: []*url.URL{dropper.url(t), second.url(t)}}, rec)

	w := serve(p, httptest.NewRequest(http.MethodGet, "/idx/_search", nil))

	if w.Code != http.StatusBadGateway {
		t.Fatalf("status = %d, want 502", w.Code)
	}
	if e := decodeESError(t, w); e.Error.Type != "node_disconnected_exception" {
		t.Errorf("error type = %q", e.Error.Type)
	}
	if n := len(second.received()); n != 0 {
		t.Errorf("second node saw %d requests, want none", n)
	}
	if errs := rec.errors(dropper.URL); len(errs) != 1 || errs[0] != KindReset {
		t.Errorf("errors = %v, want [reset]", errs)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	rec := &recorder{}
	nodes := []*url.URL{
		mustParse(t, "http://"+closedAddr(t)),
		mustParse(t, "http://"+closedAddr(t)),
		mustParse(t, "http://"+closedAddr(t)),
	}
	p := newProxy(t, Config{Nodes: nodes, EjectAfterFailures: -1}, rec)

	w := serve(p, httptest.NewRequest(http.MethodGet, "/", nil))

	if w.Code != http.StatusBadGateway {
		t.Fatalf("status = %d, want 502", w.Code)
	}
	if n := len(rec.errors("")); n != len(nodes) {
		t.Errorf("%d attempts, want one per node (%d)", n, len(nodes))
	}
}

func TestReplayDecision(t *testing.T) {
	getBody := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }
	tests := []struct {
		name    string
		method  string
		body    io.ReadCloser
		getBody func() (io.ReadCloser, error)
		touch   bool // read from the body during the failed attempt
		kind    string
		want    bool
	}{
		{"GET no body dial", http.MethodGet, nil, nil, false, KindDial, true},
		{"GET no body tls", http.MethodGet, http.NoBody, nil, false, KindTLS, true},
		{"GET timeout", http.MethodGet, nil, nil, false, KindTimeout, false},
		{"GET reset", http.MethodGet, nil, nil, false, KindReset, false},
		{"GET other", http.MethodGet, nil, nil, false, KindOther, false},
		{"GET untouched body", http.MethodGet, io.NopCloser(strings.NewReader("x")), nil, false, KindDial, true},
		{"GET touched body", http.MethodGet, io.NopCloser(strings.NewReader("x")), nil, true, KindDial, false},
		{"GET replayable body", http.MethodGet, io.NopCloser(strings.NewReader("x")), getBody, true, KindDial, true},
		{"POST no body", http.MethodPost, nil, nil, false, KindDial, false},
		{"POST replayable body", http.MethodPost, io.NopCloser(strings.NewReader("x")), getBody, false, KindDial, false},
		{"PATCH", http.MethodPatch, nil, nil, false, KindDial, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/", nil)
			req.Body, req.GetBody = tt.body, tt.getBody
			rp := newReplay(req)
			body, err := rp.body(req)
			if err != nil {
				t.Fatal(err)
			}
			if tt.touch && body != nil {
				_, _ = body.Read(make([]byte, 1))
			}
			if got := rp.retryable(tt.kind); got != tt.want {
				t.Errorf("retryable = %v, want %v", got, tt.want)
			}
			if tt.want && tt.getBody != nil {
				next, err := rp.body(req)
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := io.ReadAll(next); string(b) != "x" {
					t.Errorf("replayed body = %q", b)
				}
			}
		})
	}
}
