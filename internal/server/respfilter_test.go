package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// TestPrepareRewrittenRequestResponseFormat: whatever the client asks for,
// a request whose answer is filtered reaches the cluster asking for JSON
// (or is refused): the format parameter, Accept, and the Content-Type of a
// request without a body, which the cluster also answers in.
func TestPrepareRewrittenRequestResponseFormat(t *testing.T) {
	for _, tc := range []struct {
		name, target, body string
		hdr                map[string]string
		refused            bool
		wantContentType    string
	}{
		{name: "plain", target: "/i/_doc/1"},
		{name: "format yaml", target: "/i/_doc/1?format=yaml", refused: true},
		{name: "format JSON", target: "/i/_doc/1?format=JSON"},
		{name: "accept smile", target: "/i/_doc/1", hdr: map[string]string{"Accept": "application/smile"}, refused: true},
		{name: "accept json or yaml", target: "/i/_doc/1", hdr: map[string]string{"Accept": "application/json, application/yaml"}},
		{name: "content-type yaml without a body", target: "/i/_doc/1", hdr: map[string]string{"Content-Type": "application/yaml"}},
		{name: "content-type cbor without a body", target: "/i/_search", hdr: map[string]string{"Content-Type": "application/cbor"}},
		{name: "json body keeps its type", target: "/i/_search", body: `{}`, hdr: map[string]string{"Content-Type": "application/json"}, wantContentType: "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.target, strings.NewReader(tc.body))
			if tc.body == "" {
				r = httptest.NewRequest(http.MethodGet, tc.target, nil)
			}
			for k, v := range tc.hdr {
				r.Header.Set(k, v)
			}
			r.Header.Set("Accept-Encoding", "gzip")
			_, reason := prepareRewrittenRequest(r, filterPathApply)
			if (reason != "") != tc.refused {
				t.Fatalf("refused = %q, want refused %v", reason, tc.refused)
			}
			if tc.refused {
				return
			}
			if got := r.Header.Get("Content-Type"); got != tc.wantContentType {
				t.Errorf("Content-Type forwarded %q, want %q", got, tc.wantContentType)
			}
			if r.Header.Get("Accept") != "" || r.Header.Get("Accept-Encoding") != "" {
				t.Errorf("Accept %q / Accept-Encoding %q forwarded", r.Header.Get("Accept"), r.Header.Get("Accept-Encoding"))
			}
		})
	}
}

// TestFilterPanicAbortsResponse: a panic in a streaming response filter,
// which runs on a goroutine of its own where withRecover cannot catch it,
// used to end the whole process (every client's requests with it). It now
// aborts this response only, as any other filter failure does, and the
// unfiltered bytes never reach the client.
func TestFilterPanicAbortsResponse(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"secret":"CANARY-PANIC-1"}`))
	})
	filter := func(dst io.Writer, src io.Reader) error {
		_, _ = dst.Write([]byte(`{`))
		var one [1]byte
		_, _ = src.Read(one[:])
		var m map[string]int
		m["x"]++ // a nil map write: the kind of bug a filter may hide
		return nil
	}
	rec := httptest.NewRecorder()
	aborted := func() (v any) {
		defer func() { v = recover() }()
		serveFiltered(rec, httptest.NewRequest("GET", "/i/_search", nil), next, filter, zap.NewNop(), false)
		return nil
	}()
	if aborted != http.ErrAbortHandler {
		t.Fatalf("serveFiltered ended with %v, want the response aborted", aborted)
	}
	if strings.Contains(rec.Body.String(), "CANARY-PANIC-1") {
		t.Fatalf("unfiltered body reached the client: %s", rec.Body)
	}
	err := runRecovered(func() error { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Errorf("runRecovered: %v", err)
	}
}
