package browser

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// attackerPage serves, on host (a loopback address), a page that submits
// a form POST to target with the browser's cookies, as a CSRF attack would.
func attackerPage(t *testing.T, host, target string) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!DOCTYPE html><html><body>
<form id="f" method="POST" action="%s" enctype="text/plain"><input name='{"message":"forged","x":"' value='"}'></form>
<script>document.getElementById("f").submit()</script></body></html>`, target)
	}))
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// TestCSRFRefused: a page of another origin on the same site (another port
// of 127.0.0.1, so the SameSite=Lax cookie is sent) makes the logged-in
// browser POST to the proxy: refused with 400 before anything reaches the
// cluster. From another site (127.0.0.2) the Lax cookie is not even sent.
// The proxy's own pages (same origin) and API clients sending kbn-xsrf
// are served.
func TestCSRFRefused(t *testing.T) {
	e := getEnv(t)
	up := newUpstream(t)
	p := startProxy(t, proxyConfig{Port: 18451, Issuer: e.issuer, Upstream: up.URL})
	b := newBrowser(t, e)
	b.open(p.URL + "/logs-web/_search")
	b.dexLogin("alice@example.com")
	token := b.cookie(p.URL, "portcullis_session").Value

	sameSite := attackerPage(t, "127.0.0.1", p.URL+"/logs-web/_doc")
	b.open(sameSite.URL)
	if !eventually(10*time.Second, func() bool { return strings.HasPrefix(b.location(), p.URL) }) {
		t.Fatalf("the forged form did not submit: at %s", b.location())
	}
	text := b.bodyText()
	if !strings.Contains(text, `"status":400`) || !strings.Contains(text, "Request must contain a kbn-xsrf header") {
		t.Fatalf("same-site forged POST: %s", text)
	}
	crossSite := attackerPage(t, "127.0.0.2", p.URL+"/logs-web/_doc")
	b.open(crossSite.URL)
	// The cookie is not sent cross-site: the POST arrives anonymous and
	// gets 401 (whose Basic challenge headless Chromium shows as an error
	// page, so the proof is in the audit log).
	if !eventually(10*time.Second, func() bool {
		return auditLine(t, p, `"event.action":"anonymous_access_denied"`, `"url.path":"/logs-web/_doc"`) != ""
	}) {
		t.Fatalf("cross-site forged POST not refused as anonymous:\n%s", readFile(t, p.Dir+"/audit.json"))
	}
	if n := up.count("POST", "/_doc"); n != 0 {
		t.Fatalf("%d forged POSTs reached the cluster", n)
	}

	// Same origin: the proxy's own page may POST (Origin matches).
	b.open(p.URL + "/logs-web/_search")
	status := b.eval(`fetch("/logs-web/_doc", {method: "POST", headers: {"Content-Type": "application/json"}, body: '{"message":"mine"}'}).then(r => String(r.status))`)
	if status != "201" {
		t.Fatalf("same-origin POST: %s", status)
	}
	// A client with the cookie: kbn-xsrf passes, nothing else does.
	for _, tc := range []struct {
		header map[string]string
		want   int
	}{
		{map[string]string{}, 400},
		{map[string]string{"Origin": "http://evil.example"}, 400},
		{map[string]string{"kbn-xsrf": "reporting"}, 201},
	} {
		tc.header["Cookie"] = "portcullis_session=" + token
		tc.header["Content-Type"] = "application/json"
		req, _ := http.NewRequest("POST", p.URL+"/logs-web/_doc", strings.NewReader(`{"message":"api"}`))
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		resp, err := noRedirects().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Fatalf("POST with %v: %d %s", tc.header, resp.StatusCode, body)
		}
	}
	if n := up.count("POST", "/_doc"); n != 2 {
		t.Fatalf("%d POSTs reached the cluster, want 2 (same origin, kbn-xsrf)", n)
	}
	if auditLine(t, p, `"event.action":"tampered_request"`, `"user.name":"alice@example.com"`, `"url.path":"/logs-web/_doc"`) == "" {
		t.Fatalf("CSRF refusals not audited:\n%s", readFile(t, p.Dir+"/audit.json"))
	}
}
