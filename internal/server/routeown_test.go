package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// stubLogin answers every request it gets with 299.
type stubLogin struct{}

func (stubLogin) ServeHTTP(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(299) }
func (stubLogin) StripCookies(*http.Request)                       {}
func (stubLogin) ForeignOrigin(*http.Request) bool                 { return false }
func (stubLogin) CrossSiteRequest(*http.Request) bool              { return false }

// Only the escaped path under the reserved prefix, exactly as written,
// reaches the proxy's own endpoints; every other spelling goes to the
// cluster chain (where it is classified, and refused if unknown), so no
// path the cluster would serve can be answered by the login, and no
// login path can slip past it to the cluster.
func TestRouteOwnPaths(t *testing.T) {
	cluster := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(298) })
	h := routeOwnPaths(stubLogin{}, &fakeAuditor{}, cluster)
	tests := []struct {
		target string
		own    bool
	}{
		{"/_portcullis/login", true},
		{"/_portcullis/callback?code=x", true},
		{"/_portcullis", false},
		{"/_portcullisx/login", false},
		{"/%5Fportcullis/login", false},
		{"/_PORTCULLIS/login", false},
		{"//_portcullis/login", false},
		{"/logs/_search", false},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, withState(httptest.NewRequest("GET", tc.target, nil), stateOf(httptest.NewRequest("GET", "/", nil))))
		if got := rec.Code == 299; got != tc.own {
			t.Errorf("%s: served by the login = %v, want %v (status %d)", tc.target, got, tc.own, rec.Code)
		}
	}
	// Without browser login the prefix is nothing special: the cluster
	// chain classifies it like any path.
	rec := httptest.NewRecorder()
	routeOwnPaths(nil, &fakeAuditor{}, cluster).ServeHTTP(rec, httptest.NewRequest("GET", "/_portcullis/login", nil))
	if rec.Code != 298 {
		t.Fatalf("without a login service, /_portcullis/login went elsewhere than the cluster chain: %d", rec.Code)
	}
}
