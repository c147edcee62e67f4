package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditQuerySourceSecrets: a body sent in the `source` query parameter
// (a new user's password) never reaches the audit log, including the events
// of requests refused before their body was read (failed authentication,
// no credentials, an unknown endpoint), whose url.query is the client's.
func TestAuditQuerySourceSecrets(t *testing.T) {
	up := newEchoUpstream(t)
	o, u := superuserOpts(t, up.URL)
	p := startProxyWith(t, o, func(string) string { return "  native_users: native_users.json\n" })
	c := p.client(nil)
	const canary = "CANARY-QUERY-PASSWORD-6b1f"
	q := "source=" + url.QueryEscape(`{"password":"`+canary+`","roles":["superuser"]}`) + "&source_content_type=application/json"
	cases := []struct {
		name, method, path, user, pass string
		want                           int
	}{
		{"granted", "PUT", "/_security/user/bob", u.Name, u.Password, 200},
		{"wrong password", "PUT", "/_security/user/bob2", u.Name, "wrong", 401},
		{"no credentials", "PUT", "/_security/user/bob3", "", "", 401},
		{"unknown endpoint", "PUT", "/_security/user/bob4/_nonexistent", u.Name, u.Password, 400},
	}
	for _, tc := range cases {
		r := do(t, c, tc.method, p.URL+tc.path+"?"+q, tc.user, tc.pass, nil, nil)
		if r.Status != tc.want && !(tc.want == 400 && r.Status == 403) {
			t.Fatalf("%s: status %d, want %d: %s", tc.name, r.Status, tc.want, r.Body)
		}
	}
	audit, err := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(audit), canary) || strings.Contains(string(audit), url.QueryEscape(canary)) {
		t.Fatalf("the password sent in the source parameter is in the audit log:\n%s", audit)
	}
	if n := strings.Count(string(audit), `"url.query":"source=`); n < len(cases)-1 {
		t.Fatalf("%d events keep the (redacted) source parameter, want at least %d:\n%s", n, len(cases)-1, audit)
	}
	if strings.Contains(p.logs.String(), canary) {
		t.Fatal("the password sent in the source parameter is in the proxy's log")
	}
}
