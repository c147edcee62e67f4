package browser

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// opLogin logs the browser in at the test provider's form.
func opLogin(t *testing.T, b *browser, op *testOP, page, user string) {
	t.Helper()
	b.open(page)
	if !strings.HasPrefix(b.location(), op.issuer()+"/authorize") {
		t.Fatalf("not sent to the provider: at %s", b.location())
	}
	b.do("provider login form", chromedp.SendKeys(chromedp.CSS("#user"), user), chromedp.Click(chromedp.CSS("#go")))
	if !eventually(10*time.Second, func() bool { return b.location() == page }) || !strings.Contains(b.bodyText(), marker) {
		t.Fatalf("after the provider's login: at %s: %s", b.location(), b.bodyText())
	}
}

// TestBackchannelAndRPInitiatedLogout, with a provider that has both
// (Dex has neither): a logout token naming a provider session (sid) ends
// that browser's session and no other; one naming the user (sub) ends all
// of the user's sessions; invalid logout tokens end nothing. Logout at the
// proxy goes on to the provider's end_session_endpoint with the ID token
// as hint (a POST by the proxy's self-submitting form, which Chromium runs
// under the page's CSP) and comes back to the logged-out page.
func TestBackchannelAndRPInitiatedLogout(t *testing.T) {
	e := getEnv(t)
	op := newTestOP(t)
	up := newUpstream(t)
	p := startProxy(t, proxyConfig{Port: 18455, Issuer: op.issuer(), ClientSecret: testOPSecret, Upstream: up.URL})
	page := p.URL + "/logs-web/_search"
	first, second := newBrowser(t, e), newBrowser(t, e)
	opLogin(t, first, op, page, "alice")
	opLogin(t, second, op, page, "alice")
	sid1 := claimsOf(t, op.issued()[0])["sid"].(string)

	for name, mutate := range map[string]func(map[string]any){
		"with a nonce":        func(c map[string]any) { c["sid"] = sid1; c["nonce"] = "x" },
		"without the event":   func(c map[string]any) { c["sid"] = sid1; delete(c, "events") },
		"for another client":  func(c map[string]any) { c["sid"] = sid1; c["aud"] = "someone-else" },
		"old":                 func(c map[string]any) { c["sid"] = sid1; c["iat"] = time.Now().Add(-time.Hour).Unix() },
		"neither sub nor sid": func(c map[string]any) {},
	} {
		if status, body := op.sendLogout(p.URL, mutate); status != 400 || !strings.Contains(body, "invalid_request") {
			t.Fatalf("logout token %s: %d %s", name, status, body)
		}
	}
	if text := first.open(page); !strings.Contains(text, marker) {
		t.Fatalf("an invalid logout token ended a session: %s", text)
	}
	refused := 0
	for _, line := range strings.Split(readFile(t, filepath.Join(p.Dir, "audit.json")), "\n") {
		if strings.Contains(line, `"event.action":"authentication_failed"`) && strings.Contains(line, `"url.path":"/_portcullis/oidc/backchannel_logout"`) {
			refused++
		}
	}
	if refused != 5 {
		t.Fatalf("%d refused logout tokens audited, want 5", refused)
	}

	if status, body := op.sendLogout(p.URL, func(c map[string]any) { c["sid"] = sid1 }); status != 200 {
		t.Fatalf("back-channel logout by sid: %d %s", status, body)
	}
	if first.open(page); !strings.HasPrefix(first.location(), op.issuer()+"/authorize") {
		t.Fatalf("session of the logged-out provider session still valid: at %s", first.location())
	}
	if auditLine(t, p, `"event.action":"access_granted"`, `"action":"cluster:admin/xpack/security/oidc/logout"`,
		`"url.path":"/_portcullis/oidc/backchannel_logout"`, `"url.query":"sid=`+url.QueryEscape(sid1)+`"`) == "" {
		t.Fatal("back-channel logout by sid not audited")
	}
	if text := second.open(page); !strings.Contains(text, marker) {
		t.Fatalf("logout by sid ended another provider session: at %s", second.location())
	}
	if status, body := op.sendLogout(p.URL, func(c map[string]any) { c["sub"] = "sub-alice" }); status != 200 {
		t.Fatalf("back-channel logout by sub: %d %s", status, body)
	}
	if second.open(page); !strings.HasPrefix(second.location(), op.issuer()+"/authorize") {
		t.Fatalf("logout by sub left a session: at %s", second.location())
	}
	if auditLine(t, p, `"event.action":"access_granted"`, `"user.name":"sub-alice"`, `"action":"cluster:admin/xpack/security/oidc/logout"`,
		`"url.path":"/_portcullis/oidc/backchannel_logout"`, `"url.query":"sub=sub-alice"`) == "" {
		t.Fatal("back-channel logout by sub not audited")
	}

	// RP-initiated logout.
	opLogin(t, first, op, page, "alice")
	issued := op.issued()
	last := issued[len(issued)-1]
	text := first.open(p.URL + "/_portcullis/logout")
	if first.location() != p.URL+"/_portcullis/logged_out" || !strings.Contains(text, "You are logged out.") {
		t.Fatalf("after RP-initiated logout: at %s: %s", first.location(), text)
	}
	op.mu.Lock()
	hint, post, endReq := op.lastHint, op.lastPost, op.lastEndSession
	op.mu.Unlock()
	// The browser went there by the proxy's self-submitting form: a POST,
	// the ID token in no URL (history, access logs).
	if !strings.HasPrefix(endReq, "POST ") || strings.Contains(endReq, "id_token_hint") {
		t.Fatalf("end_session request %q: want a POST without the hint in its URL", endReq)
	}
	if auditLine(t, p, `"event.action":"access_granted"`, `"user.name":"alice@example.com"`, `"action":"cluster:admin/xpack/security/oidc/logout"`,
		`"url.path":"/_portcullis/logout"`) == "" {
		t.Fatal("RP-initiated logout not audited")
	}
	if log := readFile(t, filepath.Join(p.Dir, "audit.json")); strings.Contains(log, last) || strings.Contains(log, "logout_token") {
		t.Fatal("a token reached the audit log")
	}
	if hint != last || post != p.URL+"/_portcullis/logged_out" {
		t.Fatalf("end_session request: id_token_hint is the login's ID token %v, post_logout_redirect_uri %q", hint == last, post)
	}
	if first.open(page); !strings.HasPrefix(first.location(), op.issuer()+"/authorize") {
		t.Fatalf("session still valid after logout: at %s", first.location())
	}
}
