package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestAuthenticatorRouteSpellings: security.authentication.routes limit a
// host or a path prefix to some authenticators (here API keys only, no
// passwords). Other spellings of the same host (fully qualified, with a
// trailing dot; other case; a port) and of the same path (a
// percent-encoded letter, which the cluster decodes) used to fall back to
// the default list, so Basic credentials read the locked index. They must
// get the route's 401, and its canary must never come back.
func TestAuthenticatorRouteSpellings(t *testing.T) {
	os_ := openSearchURL(t)
	n := time.Now().UnixNano()
	locked := fmt.Sprintf("e2e-routes-locked-%d", n) // under the path route
	ssoOnly := fmt.Sprintf("e2e-routes-sso-%d", n)   // read on the SSO host (host route)
	const canary = "CANARY-ROUTE-LOCKED-7d41"
	o, su := superuserOpts(t, os_)
	p := startProxyWith(t, o, func(dir string) string {
		return "  api_keys:\n    file: apikeys.json\n" +
			"  authentication:\n    authenticators: [api_key, basic]\n    routes:\n" +
			"      - host: sso.e2e.test\n        path_prefix: /\n        authenticators: [api_key]\n" +
			"      - path_prefix: /" + locked + "\n        authenticators: [api_key]\n"
	})
	p.waitReady()
	c := p.client(nil)
	const open = "open.e2e.test"
	// Seed through the backend itself: Basic may not write to the locked path.
	for _, idx := range []string{locked, ssoOnly} {
		seed := do(t, c, "PUT", os_+"/"+idx+"/_doc/1?refresh=true", "", "", strings.NewReader(`{"k":"`+canary+`"}`), map[string]string{"Content-Type": "application/json"})
		if seed.Status >= 300 {
			t.Fatalf("seed %s: %d %s", idx, seed.Status, seed.Body)
		}
		t.Cleanup(func() { do(t, c, "DELETE", os_+"/"+idx, "", "", nil, nil) })
	}

	// Controls: Basic works where the default list applies; the routes
	// refuse it under their own spelling.
	if r := doHost(t, c, open, "GET", p.URL+"/_security/_authenticate", su.Name, su.Password, ""); r.Status != 200 {
		t.Fatalf("control: Basic on an open host: %d %s", r.Status, r.Body)
	}
	for _, tc := range []struct{ host, path string }{
		{"sso.e2e.test", "/" + ssoOnly + "/_search"},
		{open, "/" + locked + "/_search"},
	} {
		if r := doHost(t, c, tc.host, "GET", p.URL+tc.path, su.Name, su.Password, ""); r.Status != 401 {
			t.Fatalf("control: Basic on %s%s: %d %s", tc.host, tc.path, r.Status, r.Body)
		}
	}

	encoded := "/%" + fmt.Sprintf("%02X", locked[0]) + locked[1:] // "/%65 2e-routes-…": the same index to the cluster
	if u, err := url.PathUnescape(encoded); err != nil || u != "/"+locked {
		t.Fatalf("test bug: %q decodes to %q (%v)", encoded, u, err)
	}
	for _, tc := range []struct{ name, host, path string }{
		{"fully qualified host", "sso.e2e.test.", "/" + ssoOnly + "/_search"},
		{"fully qualified host, other case, port", "SSO.E2E.Test.:443", "/" + ssoOnly + "/_search"},
		{"percent-encoded path", open, encoded + "/_search"},
		{"percent-encoded path, fully qualified host", "sso.e2e.test.", encoded + "/_search"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := doHost(t, c, tc.host, "GET", p.URL+tc.path, su.Name, su.Password, "")
			if strings.Contains(r.Body, canary) {
				t.Fatalf("LEAK: Basic credentials read the API-key-only route through %s%s: %d %s", tc.host, tc.path, r.Status, r.Body)
			}
			if r.Status != 401 {
				t.Fatalf("Basic on %s%s: %d %s, want 401", tc.host, tc.path, r.Status, r.Body)
			}
		})
	}
}
