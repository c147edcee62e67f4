package browser

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
)

// TestBrowserLoginThroughDex: a browser without a session asking for a
// page is sent to Dex, logs in there, comes back to the page it asked for
// and sees the cluster's data through the proxy. The session cookie is
// small, opaque, HttpOnly, SameSite=Lax, invisible to scripts and never
// forwarded upstream. Logout deletes the session: the cookie, replayed,
// no longer works, and the page asks for a login again.
func TestBrowserLoginThroughDex(t *testing.T) {
	e := getEnv(t)
	up := newUpstream(t)
	p := startProxy(t, proxyConfig{Port: 18451, Issuer: e.issuer, Upstream: up.URL})
	b := newBrowser(t, e)

	page := p.URL + "/logs-web/_search?q=message:e2e"
	b.open(page)
	if !b.onDexLogin() {
		t.Fatalf("not sent to Dex: at %s: %s", b.location(), b.bodyText())
	}
	text := b.dexLogin("alice@example.com")
	if b.location() != page || !strings.Contains(text, marker) {
		t.Fatalf("after login: at %s, page %q", b.location(), text)
	}

	c := b.cookie(p.URL, "portcullis_session")
	if c == nil || !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || !c.Session || len(c.Value) != 43 {
		t.Fatalf("session cookie: %+v", c)
	}
	if b.cookie(p.URL, "portcullis_login") != nil {
		t.Fatal("pre-login cookie left behind")
	}
	if js := b.eval(`document.cookie`); strings.Contains(js, c.Value) {
		t.Fatalf("session token visible to scripts: %q", js)
	}
	for _, r := range up.requests() {
		if strings.Contains(r.Cookie, c.Value) || strings.Contains(r.Cookie, "portcullis_") {
			t.Fatalf("session cookie reached the upstream: %+v", r)
		}
	}
	// The login is audited before the redirect back: Elasticsearch's
	// oidc/authenticate action, granted to the session's user.
	if auditLine(t, p, `"event.action":"access_granted"`, `"action":"cluster:admin/xpack/security/oidc/authenticate"`,
		`"user.name":"alice@example.com"`, `"user.realm":"oidc1"`, `"url.path":"/_portcullis/oidc/callback"`) == "" {
		t.Fatalf("login not audited:\n%s", readFile(t, filepath.Join(p.Dir, "audit.json")))
	}
	info := b.open(p.URL + "/_portcullis/session")
	if !strings.Contains(info, `"username":"alice@example.com"`) || !strings.Contains(info, `"roles":["logs_user"]`) ||
		!strings.Contains(info, `"authentication_realm":{"name":"oidc1","type":"oidc"}`) || strings.Contains(info, "eyJ") {
		t.Fatalf("session info: %s", info)
	}
	if who := b.open(p.URL + "/_security/_authenticate"); !strings.Contains(who, `"username":"alice@example.com"`) {
		t.Fatalf("_authenticate with the session: %s", who)
	}

	// Logout: back to the logged-out page (Dex has no end_session_endpoint).
	if text := b.open(p.URL + "/_portcullis/logout"); !strings.Contains(text, "You are logged out.") || !strings.HasSuffix(b.location(), "/_portcullis/logged_out") {
		t.Fatalf("logout: at %s: %s", b.location(), text)
	}
	if b.cookie(p.URL, "portcullis_session") != nil {
		t.Fatal("session cookie still in the browser after logout")
	}
	if auditLine(t, p, `"event.action":"access_granted"`, `"action":"cluster:admin/xpack/security/oidc/logout"`,
		`"user.name":"alice@example.com"`, `"url.path":"/_portcullis/logout"`) == "" {
		t.Fatal("logout not audited")
	}
	// Neither the authorization code nor the session token reaches the audit.
	if log := readFile(t, filepath.Join(p.Dir, "audit.json")); strings.Contains(log, "code=") || strings.Contains(log, c.Value) {
		t.Fatalf("a secret reached the audit log:\n%s", log)
	}
	status, body, _ := get(t, noRedirects(), "GET", page, map[string]string{"Cookie": "portcullis_session=" + c.Value})
	if status != http.StatusUnauthorized || !strings.Contains(body, "missing authentication credentials") {
		t.Fatalf("replayed cookie after logout: %d %s", status, body)
	}
	b.open(page)
	if !b.onDexLogin() {
		t.Fatalf("after logout the page did not ask for a login: at %s", b.location())
	}
}

// TestBrowserLoginHTTPS: on https the cookie is __Host- prefixed and
// Secure (no Domain, Path=/), so no sibling site can set or read it.
func TestBrowserLoginHTTPS(t *testing.T) {
	e := getEnv(t)
	up := newUpstream(t)
	p := startProxy(t, proxyConfig{Port: 18454, TLS: true, Issuer: e.issuer, Upstream: up.URL})
	b := newBrowser(t, e)
	b.open(p.URL + "/logs-web/_search")
	if !b.onDexLogin() {
		t.Fatalf("not sent to Dex: at %s", b.location())
	}
	if text := b.dexLogin("alice@example.com"); !strings.Contains(text, marker) {
		t.Fatalf("after login: at %s: %s", b.location(), text)
	}
	c := b.cookie(p.URL, "__Host-portcullis_session")
	if c == nil || !c.Secure || !c.HTTPOnly || c.Path != "/" || c.Domain != "127.0.0.1" || c.SameSite != network.CookieSameSiteLax {
		t.Fatalf("https session cookie: %+v", c)
	}
	if b.cookie(p.URL, "portcullis_session") != nil {
		t.Fatal("unprefixed cookie on https")
	}
}
