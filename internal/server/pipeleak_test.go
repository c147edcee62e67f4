package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// abortingUpstream answers 200 with the first part of an answer and then
// aborts, as httputil.ReverseProxy does when the cluster's connection
// breaks mid-body or the client goes away (it panics http.ErrAbortHandler
// when copying the body fails).
func abortingUpstream(part string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = r.Body.Read(make([]byte, 1<<16))
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(part))
		panic(http.ErrAbortHandler)
	})
}

// serveAborted runs one request through h and returns what it panicked
// with (nil when it did not).
func serveAborted(h http.Handler, req *http.Request) (v any) {
	defer func() { v = recover() }()
	h.ServeHTTP(httptest.NewRecorder(), req)
	return nil
}

// settledGoroutines waits for the goroutine count to come back to base
// and returns the last count seen. It does not measure time: the deadline
// only bounds how long a leak is waited for.
func settledGoroutines(base int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(10 * time.Second); n > base && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// TestAbortedStreamsLeakNoGoroutine: when the cluster's answer breaks off
// (the upstream panics http.ErrAbortHandler), the streaming filters and
// mergers that read it on goroutines of their own end with the request.
func TestAbortedStreamsLeakNoGoroutine(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte("writer:\n  indices:\n    - names: [\"logs-a\"]\n      privileges: [write]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "secret"}}, nil, nil)
	var body strings.Builder
	for i := range 30 {
		idx := "logs-a"
		if i%2 == 1 {
			idx = "secret"
		}
		fmt.Fprintf(&body, "{\"index\":{\"_index\":%q,\"_id\":\"%d\"}}\n{\"f\":\"v\"}\n", idx, i)
	}
	for _, query := range []string{"", "?filter_path=items.*.status"} {
		t.Run("spooled bulk"+query, func(t *testing.T) {
			s, err := New(Options{MaxBodyBytes: 1 << 20, BulkSpool: SpoolOptions{ThresholdBytes: 256, Dir: t.TempDir()}, Log: zap.NewNop(),
				Authenticator: fakeAuthn{p: &authn.Principal{Username: "w", Roles: []string{"writer"}}},
				Authorizer:    authz.NewEvaluator(rs), Metadata: staticMetadata{md}, Auditor: &fakeAuditor{},
				Upstream: abortingUpstream(`{"took":1,"errors":false,"items":[{"index":{"status":201}},`), Readiness: always(true),
				Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
			if err != nil {
				t.Fatal(err)
			}
			h := s.Handler()
			base := runtime.NumGoroutine()
			for range 20 {
				req := httptest.NewRequest("POST", "/_bulk"+query, strings.NewReader(body.String()))
				req.Header.Set("Content-Type", "application/x-ndjson")
				req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
				if v := serveAborted(h, req); !errors.Is(asError(v), http.ErrAbortHandler) {
					t.Fatalf("the broken answer was not aborted: %v", v)
				}
			}
			if n := settledGoroutines(base); n > base {
				buf := make([]byte, 1<<20)
				t.Fatalf("%d goroutines left behind by 20 aborted answers (%d before)\n%s", n-base, base, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

// TestAbortedFilteredAnswersLeakNoGoroutine: the same for the response
// filters chained on pipes (a security filter, the role-query redaction,
// then the client's filter_path), with and without gzip.
func TestAbortedFilteredAnswersLeakNoGoroutine(t *testing.T) {
	fp, reason := takeFilterPath(httptest.NewRequest("GET", "/i/_search?filter_path=hits.hits._source", nil))
	if reason != "" {
		t.Fatal(reason)
	}
	up := abortingUpstream(`{"hits":{"hits":[{"_source":{"a":1}},`)
	filters := map[string]bodyFilter{
		"filter then filter_path":            thenFilterPath(identityFilter, fp),
		"redaction, filter then filter_path": thenFilterPath(redactFilter([]string{"acme"}, identityFilter), fp),
		"redaction then filter_path":         thenFilterPath(redactFilter([]string{"acme"}, nil), fp),
	}
	for name, f := range filters {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, gzip %v", name, gz), func(t *testing.T) {
				base := runtime.NumGoroutine()
				for range 20 {
					v := serveAborted(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						serveFiltered(w, r, up, f, zap.NewNop(), gz)
					}), httptest.NewRequest("GET", "/i/_search", nil))
					if !errors.Is(asError(v), http.ErrAbortHandler) {
						t.Fatalf("the broken answer was not aborted: %v", v)
					}
				}
				if n := settledGoroutines(base); n > base {
					buf := make([]byte, 1<<20)
					t.Fatalf("%d goroutines left behind by 20 aborted answers (%d before)\n%s", n-base, base, buf[:runtime.Stack(buf, true)])
				}
			})
		}
	}
}

// TestPanickingFilterLeaksNoGoroutine: a filter that panics (a bug) is
// turned into an aborted answer (runRecovered); the filter before it in
// the chain, which writes into a pipe nobody reads any more, must end too.
func TestPanickingFilterLeaksNoGoroutine(t *testing.T) {
	fp, reason := takeFilterPath(httptest.NewRequest("GET", "/i/_search?filter_path=hits", nil))
	if reason != "" {
		t.Fatal(reason)
	}
	panicking := func(dst io.Writer, src io.Reader) error {
		_, _ = src.Read(make([]byte, 8))
		panic("filter bug")
	}
	var big strings.Builder
	big.WriteString(`{"hits":{"hits":[`)
	for i := range 5000 {
		if i > 0 {
			big.WriteString(",")
		}
		fmt.Fprintf(&big, `{"_source":{"n":%d}}`, i)
	}
	big.WriteString(`]}}`)
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(big.String()))
	})
	for name, f := range map[string]bodyFilter{
		"redaction, then a panicking filter":              redactFilter([]string{"acme"}, panicking),
		"a panicking filter, then filter_path":            thenFilterPath(panicking, fp),
		"redaction, a panicking filter, then filter_path": thenFilterPath(redactFilter([]string{"acme"}, panicking), fp),
	} {
		t.Run(name, func(t *testing.T) {
			base := runtime.NumGoroutine()
			for range 10 {
				v := serveAborted(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					serveFiltered(w, r, up, f, zap.NewNop(), false)
				}), httptest.NewRequest("GET", "/i/_search", nil))
				if !errors.Is(asError(v), http.ErrAbortHandler) {
					t.Fatalf("the failed answer was not aborted: %v", v)
				}
			}
			if n := settledGoroutines(base); n > base {
				buf := make([]byte, 1<<20)
				t.Fatalf("%d goroutines left behind by 10 failed filters (%d before)\n%s", n-base, base, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

func asError(v any) error {
	err, _ := v.(error)
	return err
}
