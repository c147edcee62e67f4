package upstream

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// forbiddenHeaders must never reach the cluster; the value is sent by the
// client in the end-to-end test.
var forbiddenHeaders = []string{
	"Authorization",
	"Proxy-Authorization",
	"Es-Security-Runas-User",
	"es_security_runas_user", // underscore spelling
	"Es-Secondary-Authorization",
	"ES-Client-Authentication", // JWT realm shared secret
	"X-Forwarded-User",
	"X-Forwarded-Email",
	"X-Forwarded-Preferred-Username",
	"X-Forwarded-Groups",
	"X-Forwarded-Access-Token",
	"X_Forwarded_User",
	"X-Forwarded-Port",
	"X-Forwarded-Client-Cert",
	"X-Auth-Request-User",
	"X-Auth-Request-Email",
	"X-Proxy-User",
	"X-Proxy-Roles",
	"X-Remote-User",
	"Remote-User",
	"X-User",
	"X-User-Id",
	"X-Email",
	"X-Roles",
	"X-Webauth-User",
	"X-Real-Ip",
	"True-Client-Ip",
	"Cf-Connecting-Ip",
	"Securitytenant",
	"Security_tenant",
	"_opendistro_security_user",
	"_xpack_security_authentication",
	"X-Elastic-Internal-Origin",
	"X-Amzn-Oidc-Identity",
	"X-Goog-Authenticated-User-Email",
	"Cf-Access-Jwt-Assertion",
	"X-Ms-Client-Principal-Name",
	"X-Ssl-Client-Cert",
	"X-Client-Cert",
	"X-Http-Method-Override",
	"X-Original-Url",
	"X-Api-Key",
	"X-Amz-Security-Token",
	"Upgrade",
}

// keptHeaders must reach the cluster unchanged.
var keptHeaders = map[string]string{
	"X-Opaque-Id":              "opaque-1",
	"Traceparent":              "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	"Tracestate":               "vendor=1",
	"Content-Type":             "application/json",
	"Accept":                   "application/json",
	"Accept-Encoding":          "gzip",
	"Cookie":                   "kibana=1",
	"X-Elastic-Product-Origin": "kibana",
	"Elastic-Api-Version":      "2023-10-31",
	"User-Agent":               "test-client/1.0",
}

func TestHeaderPolicyStripTable(t *testing.T) {
	tests := []struct {
		header    string
		passAuth  bool
		wantStrip bool
	}{
		{"Authorization", false, true},
		{"authorization", false, true},
		{"Authorization", true, false},
		{"Proxy-Authorization", true, true},
		{"Es-Security-Runas-User", false, true},
		{"ES_SECURITY_RUNAS_USER", false, true},
		{"X-Forwarded-For", false, true},
		{"X-Forwarded-Anything-New", false, true},
		{"Forwarded", false, true},
		{"X-Auth-Request-Access-Token", false, true},
		{"X-Proxy-Ext-Anything", false, true},
		{"Securitytenant", false, true},
		{"_opendistro_security_impersonate_as", false, true},
		{"_opensearch_security_user", false, true},
		{"Connection", false, true},
		{"Transfer_Encoding", false, true},
		{"X-Opaque-Id", false, false},
		{"Traceparent", false, false},
		{"Cookie", false, false},
		{"X-Elastic-Product-Origin", false, false},
		{"Content-Type", false, false},
		{"X-Userland", false, false}, // prefix rules end with '-'
		{"Forwarded-Something", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			h := newHeaderPolicy(Config{PassAuthorization: tt.passAuth})
			if got := h.stripped(tt.header); got != tt.wantStrip {
				t.Errorf("stripped(%q) with PassAuthorization=%v = %v, want %v", tt.header, tt.passAuth, got, tt.wantStrip)
			}
		})
	}
}

func TestHeaderHygieneEndToEnd(t *testing.T) {
	be := newBackend(t, nil)
	p := newProxy(t, Config{Nodes: []*url.URL{be.url(t)}}, nil)

	// Absolute-form request line with userinfo: must not turn into
	// credentials upstream either.
	r := httptest.NewRequest(http.MethodGet, "http://attacker:attacker-value@proxy.example/idx/_search", nil)
	r.RemoteAddr = "192.0.2.7:40000"
	for _, h := range forbiddenHeaders {
		r.Header[h] = []string{"attacker-value"}
	}
	for k, v := range keptHeaders {
		r.Header.Set(k, v)
	}
	r.Header.Set("X-Forwarded-For", "10.6.6.6")
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Forwarded-Host", "spoofed.example")
	r.Header.Set("Forwarded", "for=10.6.6.6")
	r.Header.Set("Connection", "keep-alive, X-Hop-Secret")
	r.Header.Set("X-Hop-Secret", "attacker-value")

	w := serve(p, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := be.received()[0]

	for k, vs := range got.Header {
		for _, v := range vs {
			if strings.Contains(v, "attacker-value") || strings.Contains(v, "10.6.6.6") || strings.Contains(v, "spoofed") {
				t.Errorf("upstream received %s: %q", k, v)
			}
		}
	}
	for _, h := range forbiddenHeaders {
		if _, ok := got.Header[http.CanonicalHeaderKey(h)]; ok {
			t.Errorf("upstream received forbidden header %s", h)
		}
	}
	for k, v := range keptHeaders {
		if g := got.Header.Get(k); g != v {
			t.Errorf("kept header %s = %q, want %q", k, g, v)
		}
	}
	wantSet := map[string]string{
		"X-Forwarded-For":   "192.0.2.7",
		"X-Forwarded-Proto": "http",
		"X-Forwarded-Host":  "proxy.example",
		"Forwarded":         "for=192.0.2.7;proto=http",
	}
	for k, v := range wantSet {
		if g := got.Header.Values(k); len(g) != 1 || g[0] != v {
			t.Errorf("%s = %q, want exactly %q", k, g, v)
		}
	}
	if got.Host != be.Listener.Addr().String() {
		t.Errorf("Host = %q, want the node's host %q", got.Host, be.Listener.Addr())
	}
}

func TestRequestTrailersAreDropped(t *testing.T) {
	be := newBackend(t, nil)
	p := newProxy(t, Config{Nodes: []*url.URL{be.url(t)}}, nil)

	r := httptest.NewRequest(http.MethodPost, "/idx/_doc", io.NopCloser(strings.NewReader(`{"a":1}`)))
	r.ContentLength = -1 // chunked, so trailers could follow
	r.Trailer = http.Header{"Authorization": {"Basic c21ndWdnbGVkOnRyYWlsZXI="}, "X-Forwarded-User": {"admin"}}
	if w := serve(p, r); w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	got := be.received()[0]
	if len(got.Trailer) != 0 {
		t.Errorf("upstream received trailers %v", got.Trailer)
	}
	if string(got.Body) != `{"a":1}` {
		t.Errorf("body = %q", got.Body)
	}
}

func TestUpstreamCredentials(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("portcullis:s3cret-pw"))
	tests := []struct {
		name       string
		cfg        Config
		clientAuth string
		wantAuth   string // "" = no Authorization upstream
		secret     string // must never appear in logs
	}{
		{"none", Config{}, "Basic Y2xpZW50OnB3", "", ""},
		{"basic", Config{Username: "portcullis", Password: "s3cret-pw"}, "Basic Y2xpZW50OnB3", basic, "s3cret-pw"},
		{"api key", Config{APIKey: "aWQ6a2V5LXNlY3JldA=="}, "Bearer client-token", "ApiKey aWQ6a2V5LXNlY3JldA==", "aWQ6a2V5LXNlY3JldA=="},
		{"api key with scheme", Config{APIKey: "apikey aWQ6a2V5LXNlY3JldA=="}, "", "ApiKey aWQ6a2V5LXNlY3JldA==", "aWQ6a2V5LXNlY3JldA=="},
		{"pass-through", Config{PassAuthorization: true}, "Bearer client-token", "Bearer client-token", ""},
		{"injected even without client auth", Config{Username: "portcullis", Password: "s3cret-pw"}, "", basic, "s3cret-pw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := newBackend(t, nil)
			core, logs := observer.New(zap.DebugLevel)
			cfg := tt.cfg
			cfg.Nodes = []*url.URL{be.url(t), mustParse(t, "http://"+closedAddr(t))}
			cfg.HealthCheckInterval = -1
			p, err := New(cfg, zap.New(core), nil)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second request fails on the closed node: errors get logged
				r := httptest.NewRequest(http.MethodPost, "/idx/_search", strings.NewReader("{}"))
				if tt.clientAuth != "" {
					r.Header.Set("Authorization", tt.clientAuth)
				}
				serve(p, r)
			}
			got := be.received()[0].Header.Values("Authorization")
			switch {
			case tt.wantAuth == "" && len(got) != 0:
				t.Errorf("upstream Authorization = %q, want none", got)
			case tt.wantAuth != "" && (len(got) != 1 || got[0] != tt.wantAuth):
				t.Errorf("upstream Authorization = %q, want %q", got, tt.wantAuth)
			}
			if logs.Len() == 0 {
				t.Fatal("expected the failed request to be logged")
			}
			for _, e := range logs.All() {
				line := e.Message
				for k, v := range e.ContextMap() {
					line += " " + k + "=" + toString(v)
				}
				for _, s := range []string{tt.secret, "Y2xpZW50OnB3", "client-token"} {
					if s != "" && strings.Contains(line, s) {
						t.Errorf("log leaks a credential: %s", line)
					}
				}
			}
		})
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return ""
}
