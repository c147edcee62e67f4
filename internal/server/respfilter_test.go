package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
			reason := prepareRewrittenRequest(r, false)
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
