package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// TestInFlightBodiesBounded: while one request holds 600 of the 1,000
// in-flight body bytes, another of 600 is refused with Elasticsearch's
// circuit_breaking_exception (429, audited, not forwarded), whether its
// length is announced or only found while its body is read; once the
// first is done, the bytes are free again.
func TestInFlightBodiesBounded(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	forwarded := 0
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forwarded++
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Query().Get("hold") == "true" {
			entered <- struct{}{}
			<-release
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	au := &fakeAuditor{}
	s, err := New(Options{
		MaxBodyBytes: 1 << 20, InFlight: NewInFlightLimit(1000), Log: zap.NewNop(),
		Authenticator: fakeAuthn{p: &authn.Principal{Username: "u", Roles: []string{"r"}}}, Authorizer: fakeAuthz{allow: true}, Auditor: au,
		Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler(),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	body := `{"query":{"match":{"message":"` + strings.Repeat("x", 560) + `"}}}`
	search := func(hold, chunked bool) *httptest.ResponseRecorder {
		path := "/logs/_search"
		if hold {
			path += "?hold=true"
		}
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if chunked {
			req.ContentLength = -1
			req.Body = io.NopCloser(strings.NewReader(body))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- search(true, false) }()
	<-entered
	for _, chunked := range []bool{false, true} {
		rec := search(false, chunked)
		if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), `"type":"circuit_breaking_exception"`) || !strings.Contains(rec.Body.String(), "[in_flight_requests]") {
			t.Fatalf("chunked %v, a second body while the first holds the bytes: %d %s, want 429 circuit_breaking_exception", chunked, rec.Code, rec.Body.String())
		}
	}
	if forwarded != 1 {
		t.Fatalf("%d requests forwarded, want only the first", forwarded)
	}
	refusals := 0
	for _, ev := range au.events {
		if ev.EventAction == audit.TamperedRequest {
			refusals++
		}
	}
	if refusals != 2 {
		t.Fatalf("%d refusals audited, want 2", refusals)
	}
	close(release)
	if rec := <-done; rec.Code != 200 {
		t.Fatalf("the first request: %d %s", rec.Code, rec.Body.String())
	}
	for _, chunked := range []bool{false, true} {
		if rec := search(false, chunked); rec.Code != 200 {
			t.Fatalf("chunked %v, once the bytes are free: %d %s", chunked, rec.Code, rec.Body.String())
		}
	}
}
