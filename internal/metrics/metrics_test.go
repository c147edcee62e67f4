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
		`portcullis_requests_total{code="200",decision="allow",method="GET",route="search",site=""} 1`,
		`portcullis_upstream_node_healthy{node="http://n1"} 1`,
		`portcullis_auth_cache_hits_total{realm="default_file"} 1`,
		`portcullis_failed_logins_total{realm="default_file",reason="invalid_credentials",site=""} 1`,
		`portcullis_login_rate_limited_total{by="ip"} 1`,
		`portcullis_reloads_total{result="error",site="",what="roles"} 1`,
		`portcullis_audit_records_total{site=""} 8`,
		`portcullis_audit_append_failures_total{reason="io",site=""} 1`,
		`portcullis_audit_unaudited_total{action="access_granted",site=""} 1`,
		`portcullis_request_duration_seconds_bucket{decision="allow",route="search",site="",le="0.005"} 1`,
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
		`portcullis_requests_total{code="200",decision="allow",method="GET",route="search",site=""} 3`,
		`portcullis_requests_total{code="403",decision="deny",method="GET",route="search",site=""} 1`,
		`portcullis_requests_total{code="200",decision="allow",method="POST",route="search",site=""} 1`,
		`portcullis_requests_total{code="200",decision="allow",method="GET",route="bulk",site=""} 1`,
		`portcullis_request_duration_seconds_count{decision="allow",route="search",site=""} 4`,
		`portcullis_request_duration_seconds_count{decision="deny",route="search",site=""} 1`,
		`portcullis_auth_cache_hits_total{realm="file1"} 2`,
		`portcullis_auth_cache_hits_total{realm="file2"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}

// TestSiteLabels: a site's Metrics share the collectors and label its
// requests, logins, reloads and audit records with its name; the default
// site's carry an empty site label.
func TestSiteLabels(t *testing.T) {
	m := New()
	a := m.ForSite("tenant-a")
	m.RequestDone("search", "GET", 200, "allow", time.Millisecond)
	a.RequestDone("search", "GET", 200, "allow", time.Millisecond)
	a.RequestDone("search", "GET", 200, "allow", time.Millisecond)
	a.LoginFailed("default_file", "invalid_credentials")
	a.Reloaded("users", nil)
	a.Committed(5, 100, time.Millisecond)
	m.Committed(2, 100, time.Millisecond)
	a.AppendFailed("io")
	a.Rotated()
	a.Shipped("stdout", 3)
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`portcullis_requests_total{code="200",decision="allow",method="GET",route="search",site=""} 1`,
		`portcullis_requests_total{code="200",decision="allow",method="GET",route="search",site="tenant-a"} 2`,
		`portcullis_failed_logins_total{realm="default_file",reason="invalid_credentials",site="tenant-a"} 1`,
		`portcullis_reloads_total{result="ok",site="tenant-a",what="users"} 1`,
		`portcullis_audit_records_total{site="tenant-a"} 5`,
		`portcullis_audit_records_total{site=""} 2`,
		`portcullis_audit_group_size_count{site="tenant-a"} 1`,
		`portcullis_audit_append_failures_total{reason="io",site="tenant-a"} 1`,
		`portcullis_audit_rotations_total{site="tenant-a"} 1`,
		`portcullis_audit_shipped_total{sink="stdout",site="tenant-a"} 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}
