package server

import "testing"

// TestSessionRefusalsAreAudited: the session cookie's refusals in the
// chain are audited too: a cookie whose session ended (expired, logged
// out, revoked) as anonymous_access_denied (the browser is sent to log
// in; like Kibana, the proxy sees no usable credentials), a request that
// fails the CSRF check as tampered_request of the session's user.
func TestSessionRefusalsAreAudited(t *testing.T) {
	tests := []struct {
		name, method string
		live         bool
		header       map[string]string
		code         int
		action, user string
	}{
		{"ended session, browser", "GET", false, map[string]string{"Accept": "text/html"}, 302, "anonymous_access_denied", ""},
		{"ended session, API call", "GET", false, nil, 401, "anonymous_access_denied", ""},
		{"CSRF", "POST", true, map[string]string{"Content-Type": "application/json"}, 400, "tampered_request", "alice@example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ls := newLoginSite(t, fileTrail(t, nil))
			token := loginCanary
			if tc.live {
				token = ls.newSession(t)
			}
			header := map[string]string{"Cookie": ls.login.CookieName() + "=" + token}
			for k, v := range tc.header {
				header[k] = v
			}
			rec := ls.serve(tc.method, "/logs/_search", "{}", header)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			evs := ls.auditRecords(t)
			if len(evs) != 1 || evs[0]["event.action"] != tc.action || evs[0]["request.id"] != rec.Header().Get(RequestIDHeader) {
				t.Fatalf("audit records %v, want one %s", evs, tc.action)
			}
			if got, _ := evs[0]["user.name"].(string); got != tc.user {
				t.Fatalf("user.name %q, want %q", got, tc.user)
			}
		})
	}
}
