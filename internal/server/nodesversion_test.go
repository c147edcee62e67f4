package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// TestNodesVersionOnly: Kibana's version check is forwarded with the
// address entries taken out of its filter_path; every other nodes-info
// request (no filter_path, another entry, a wildcard or exclusion, a
// repeated parameter, _cat/nodes, nodes stats) is refused before the
// cluster sees it.
func TestNodesVersionOnly(t *testing.T) {
	user := &authn.Principal{Username: "kibana", Roles: []string{"r"}}
	for _, tc := range []struct {
		target    string
		wantQuery string // forwarded query; "" means refused
	}{
		{"/_nodes?filter_path=nodes.*.version%2Cnodes.*.http.publish_address%2Cnodes.*.ip", "filter_path=nodes.*.version"},
		{"/_nodes?filter_path=nodes.*.version,nodes.*.ip", "filter_path=nodes.*.version"},
		{"/_nodes?filter_path=nodes.*.version", "filter_path=nodes.*.version"},
		{"/_nodes?pretty&filter_path=nodes.*.version,nodes.*.ip&timeout=30s", "pretty&filter_path=nodes.*.version&timeout=30s"},
		{"/_nodes?filter%5Fpath=nodes.%2A.version", "filter_path=nodes.*.version"},
		{"/_nodes/_local/http?filter_path=nodes.*.version", "filter_path=nodes.*.version"},
		{"/_nodes", ""},
		{"/_nodes/http", ""},
		{"/_nodes?filter_path=nodes.*.ip", ""},
		{"/_nodes?filter_path=nodes.*.http.publish_address", ""},
		{"/_nodes?filter_path=nodes.*.version,nodes.*.http", ""},
		{"/_nodes?filter_path=nodes.*.version,nodes.**", ""},
		{"/_nodes?filter_path=nodes.*.version,-nodes.*.name", ""},
		{"/_nodes?filter_path=nodes.*.version,%20nodes.*.host", ""},
		{"/_nodes?filter_path=**.version", ""},
		{"/_nodes?filter_path=nodes.*.version&filter_path=nodes.*.http", ""},
		{"/_cat/nodes?filter_path=nodes.*.version", ""},
		{"/_nodes/stats?filter_path=nodes.*.version", ""},
		{"/_cluster/state?filter_path=nodes.*.version", ""},
	} {
		t.Run(tc.target, func(t *testing.T) {
			forwarded := "(not forwarded)"
			up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				forwarded = r.URL.RawQuery
				_, _ = w.Write([]byte(`{"nodes":{}}`))
			})
			s, err := New(Options{
				MaxBodyBytes: 10, Log: zap.NewNop(), Authenticator: fakeAuthn{p: user}, Authorizer: fakeAuthz{true}, Auditor: &fakeAuditor{},
				Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler(),
			})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", tc.target, nil))
			if tc.wantQuery == "" {
				if rec.Code != 403 && rec.Code != 400 || forwarded != "(not forwarded)" {
					t.Fatalf("want refused, got %d %s (forwarded %q)", rec.Code, rec.Body.String(), forwarded)
				}
				if rec.Code == 403 && !strings.Contains(rec.Body.String(), "reveal the cluster nodes' addresses") {
					t.Fatalf("refused for another reason: %s", rec.Body.String())
				}
				return
			}
			if rec.Code != 200 || forwarded != tc.wantQuery {
				t.Fatalf("got %d %s, forwarded query %q, want %q", rec.Code, rec.Body.String(), forwarded, tc.wantQuery)
			}
		})
	}
}
