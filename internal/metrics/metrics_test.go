package metrics

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestExposition(t *testing.T) {
	m := New()
	m.RequestDone("search", "GET", 200, "allow", 3*time.Millisecond)
	m.UpstreamRequest("http://n1", 200, time.Millisecond)
	m.NodeHealth("http://n1", true)
	m.CacheHit("default_file")
	m.CacheMiss("default_file")
	m.LoginFailed("default_file", "invalid_credentials")
	m.RateLimited("ip")
	m.Reloaded("roles", errors.New("x"))
	m.Committed(8, 4096, 2*time.Millisecond)
	m.AppendFailed("io")
	m.Unaudited("access_granted")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`portcullis_requests_total{code="200",decision="allow",method="GET",route="search"} 1`,
		`portcullis_upstream_node_healthy{node="http://n1"} 1`,
		`portcullis_auth_cache_hits_total{realm="default_file"} 1`,
		`portcullis_failed_logins_total{realm="default_file",reason="invalid_credentials"} 1`,
		`portcullis_login_rate_limited_total{by="ip"} 1`,
		`portcullis_reloads_total{result="error",what="roles"} 1`,
		`portcullis_audit_records_total 8`,
		`portcullis_audit_append_failures_total{reason="io"} 1`,
		`portcullis_audit_unaudited_total{action="access_granted"} 1`,
		`portcullis_request_duration_seconds_bucket{decision="allow",route="search",le="0.005"} 1`,
		`go_goroutines`, `process_resident_memory_bytes`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}

// TestRequestChildrenAreNotShared checks the memoised children: repeated
// label sets add up on one series, and a label set differing in any one
// label (the status code is an int in the key) gets its own.
func TestRequestChildrenAreNotShared(t *testing.T) {
	m := New()
	for range 3 {
		m.RequestDone("search", "GET", 200, "allow", time.Millisecond)
	}
	m.RequestDone("search", "GET", 403, "deny", time.Millisecond)
	m.RequestDone("search", "POST", 200, "allow", time.Millisecond)
	m.RequestDone("bulk", "GET", 200, "allow", time.Millisecond)
	m.CacheHit("file1")
	m.CacheHit("file1")
	m.CacheHit("file2")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`portcullis_requests_total{code="200",decision="allow",method="GET",route="search"} 3`,
		`portcullis_requests_total{code="403",decision="deny",method="GET",route="search"} 1`,
		`portcullis_requests_total{code="200",decision="allow",method="POST",route="search"} 1`,
		`portcullis_requests_total{code="200",decision="allow",method="GET",route="bulk"} 1`,
		`portcullis_request_duration_seconds_count{decision="allow",route="search"} 4`,
		`portcullis_request_duration_seconds_count{decision="deny",route="search"} 1`,
		`portcullis_auth_cache_hits_total{realm="file1"} 2`,
		`portcullis_auth_cache_hits_total{realm="file2"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}
