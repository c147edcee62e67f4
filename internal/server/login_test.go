package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// fakeLogin is a LoginService that answers its endpoints with "login" and
// strips a cookie named sid.
type fakeLogin struct{}

func (fakeLogin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "login endpoint "+r.URL.Path)
}
func (fakeLogin) StripCookies(r *http.Request) {
	if strings.Contains(r.Header.Get("Cookie"), "sid=") {
		r.Header.Set("Cookie", "other=1")
	}
}
func (fakeLogin) CrossSiteRequest(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Cookie"), "sid=") && r.Header.Get("Sec-Fetch-Site") == "cross-site"
}
func (fakeLogin) ForeignOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	return strings.Contains(r.Header.Get("Cookie"), "sid=") && o != "" && o != "https://proxy.example.com"
}

// fakeRoutes is an authenticator that knows its schemes and login page.
type fakeRoutes struct {
	fakeAuthn
	schemes []string
	login   string
}

func (f fakeRoutes) Schemes(*http.Request) []string { return f.schemes }
func (f fakeRoutes) LoginURL(*http.Request) string  { return f.login }

func TestBrowserLoginInTheChain(t *testing.T) {
	user := &authn.Principal{Username: "alice", Realm: "oidc1", RealmType: "oidc"}
	csrf := &authn.CSRFError{Principal: user, Reason: "Request must contain a kbn-xsrf header."}
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml"}
	tests := []struct {
		name       string
		authn      authn.Authenticator
		method     string
		path       string
		headers    map[string]string
		wantCode   int
		wantIn     string // in the body
		wantHeader string // "Name: value" substring of the response headers
		forwarded  bool
		auditEvent string
	}{
		{"browser without session is sent to log in", fakeRoutes{fakeAuthn{err: authn.ErrNoCredentials}, []string{"session", "basic"}, "/_portcullis/login?return=%2Flogs%2F_search"},
			"GET", "/logs/_search", browser, 302, "", "Location: /_portcullis/login?return=%2Flogs%2F_search", false, audit.AnonymousAccessDenied},
		{"API call without session gets 401 with the route's challenges", fakeRoutes{fakeAuthn{err: authn.ErrNoCredentials}, []string{"session", "bearer"}, "/_portcullis/login"},
			"GET", "/logs/_search", map[string]string{"Accept": "application/json"}, 401, "missing authentication credentials", "Www-Authenticate: Bearer realm=\"security\"\n", false, audit.AnonymousAccessDenied},
		{"fetch with kbn-xsrf gets 401", fakeRoutes{fakeAuthn{err: authn.ErrNoCredentials}, []string{"session"}, "/_portcullis/login"},
			"GET", "/logs/_search", map[string]string{"Accept": "text/html", "kbn-xsrf": "1"}, 401, "missing authentication credentials", "", false, audit.AnonymousAccessDenied},
		{"POST from a browser gets 401", fakeRoutes{fakeAuthn{err: authn.ErrNoCredentials}, []string{"session"}, "/_portcullis/login"},
			"POST", "/logs/_doc", browser, 401, "missing authentication credentials", "", false, audit.AnonymousAccessDenied},
		{"route without interactive login", fakeRoutes{fakeAuthn{err: authn.ErrNoCredentials}, []string{"basic"}, ""},
			"GET", "/logs/_search", browser, 401, "missing authentication credentials", "Www-Authenticate: Basic realm=\"security\", charset=\"UTF-8\"\n", false, audit.AnonymousAccessDenied},
		{"refused credentials are not a login redirect", fakeRoutes{fakeAuthn{err: &authn.AuthError{Username: "bob", Reason: "x"}}, []string{"session", "basic"}, "/_portcullis/login"},
			"GET", "/logs/_search", browser, 401, "unable to authenticate user [bob]", "", false, audit.AuthenticationFailed},
		{"CSRF refused and audited with the user", fakeAuthn{err: csrf},
			"POST", "/logs/_doc", nil, 400, "Request must contain a kbn-xsrf header.", "", false, audit.TamperedRequest},
		{"session store down: 503, nothing forwarded", fakeAuthn{err: &authn.UnavailableError{Reason: "the session store is unavailable", Err: errors.New("dial tcp: refused")}},
			"GET", "/logs/_search", browser, 503, "the session store is unavailable", "", false, audit.AnonymousAccessDenied},
		{"login endpoints bypass the chain", fakeAuthn{err: authn.ErrNoCredentials},
			"GET", "/_portcullis/login", nil, 200, "login endpoint /_portcullis/login", "", false, ""},
		{"login endpoints get the framing checks, audited", fakeAuthn{err: authn.ErrNoCredentials},
			"POST", "/_portcullis/logout", map[string]string{"X-HTTP-Method-Override": "DELETE"}, 400, "X-HTTP-Method-Override", "", false, audit.TamperedRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			au := &fakeAuditor{}
			forwarded := 0
			up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { forwarded++ })
			s, err := New(Options{
				MaxBodyBytes: 1 << 20, Log: zap.NewNop(), Authenticator: tc.authn, Authorizer: fakeAuthz{true}, Auditor: au,
				Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler(), Login: fakeLogin{},
			})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(tc.method, tc.path, nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			var headers strings.Builder
			for k, v := range rec.Header() {
				fmt.Fprintf(&headers, "%s: %s\n", k, strings.Join(v, " | "))
			}
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantIn) || !strings.Contains(headers.String(), tc.wantHeader) {
				t.Fatalf("got %d %s\n%s", rec.Code, rec.Body, headers.String())
			}
			if (forwarded > 0) != tc.forwarded {
				t.Fatalf("forwarded = %d", forwarded)
			}
			if tc.auditEvent == "" {
				if len(au.events) != 0 {
					t.Fatalf("unexpected audit events: %+v", au.events[0])
				}
				return
			}
			if len(au.events) != 1 || au.events[0].EventAction != tc.auditEvent {
				t.Fatalf("audit events: %+v", au.events)
			}
			if tc.auditEvent == audit.TamperedRequest && tc.name != "login endpoints get the framing checks, audited" && au.events[0].UserName != "alice" {
				t.Fatalf("CSRF audit without the user: %+v", au.events[0])
			}
		})
	}
}

func TestSessionCookiesNeverReachTheUpstream(t *testing.T) {
	var got string
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("Cookie") })
	s, err := New(Options{
		MaxBodyBytes: 1 << 20, Log: zap.NewNop(), Authenticator: fakeAuthn{p: &authn.Principal{Username: "u"}}, Authorizer: fakeAuthz{true},
		Auditor: &fakeAuditor{}, Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler(), Login: fakeLogin{},
	})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/_cluster/health", nil)
	req.Header.Set("Cookie", "sid=secret; other=1")
	s.Handler().ServeHTTP(httptest.NewRecorder(), req)
	if got != "other=1" {
		t.Fatalf("upstream saw Cookie %q", got)
	}
}

// A cluster with CORS on (allow-origin "*" with allow-credentials: it
// echoes any Origin) must not let another origin read what a browser's
// session cookie authenticated: the upstream's Access-Control-* headers
// are dropped from such responses. Requests without the cookie (an app
// holding its own credentials) and from the site's own origin keep them.
func TestSessionResponsesGrantNoCORSToOtherOrigins(t *testing.T) {
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("access-control-expose-headers", "X-Elastic-Product")
			w.Header().Set("Vary", "Origin")
		}
		io.WriteString(w, `{"hits":{"hits":[{"_source":{"secret":"canary-cors-4411"}}]}}`)
	})
	s, err := New(Options{
		MaxBodyBytes: 1 << 20, Log: zap.NewNop(), Authenticator: fakeAuthn{p: &authn.Principal{Username: "alice"}}, Authorizer: fakeAuthz{true},
		Auditor: &fakeAuditor{}, Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler(), Login: fakeLogin{},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, cookie, origin string
		cors                 bool
	}{
		{"session cookie from a sibling site", "sid=s1", "https://blog.example.com", false},
		{"session cookie from origin null", "sid=s1", "null", false},
		{"session cookie from the site itself", "sid=s1", "https://proxy.example.com", true},
		{"no session cookie", "other=1", "https://app.example.net", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/_search", nil)
			req.Header.Set("Cookie", tc.cookie)
			req.Header.Set("Origin", tc.origin)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "canary-cors-4411") {
				t.Fatalf("got %d %s", rec.Code, rec.Body)
			}
			var cors []string
			for k := range rec.Header() {
				if strings.HasPrefix(strings.ToLower(k), "access-control-") {
					cors = append(cors, k)
				}
			}
			if got := len(cors) > 0; got != tc.cors {
				t.Fatalf("CORS headers %v, want present=%v", cors, tc.cors)
			}
			if tc.cors && rec.Header().Get("Access-Control-Allow-Origin") != tc.origin {
				t.Fatalf("allow-origin %q", rec.Header().Get("Access-Control-Allow-Origin"))
			}
		})
	}
}

// Elasticsearch serves a few changing actions on GET (flush, refresh…),
// which the session cookie's CSRF check lets through as a safe method: a
// link on another site made a logged-in browser flush every index it may
// maintain. Such a GET sent by another site is refused as a forged
// request; reads, and the same GET typed by the user, go through.
func TestCrossSiteGETsThatChangeTheClusterAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name, path, site string
		forwarded        bool
	}{
		{"flush from another site", "/logs/_flush", "cross-site", false},
		{"refresh from another site", "/_refresh", "cross-site", false},
		{"search from another site", "/logs/_search", "cross-site", true},
		{"flush typed by the user", "/logs/_flush", "none", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			au := &fakeAuditor{}
			forwarded := 0
			up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { forwarded++ })
			s, err := New(Options{
				MaxBodyBytes: 1 << 20, Log: zap.NewNop(), Authenticator: fakeAuthn{p: &authn.Principal{Username: "alice", Realm: "oidc1", RealmType: "oidc"}},
				Authorizer: fakeAuthz{true}, Auditor: au, Upstream: up, Readiness: always(true), Observer: &nopObserver{},
				MetricsHandler: http.NotFoundHandler(), Login: fakeLogin{},
			})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("GET", tc.path, nil)
			req.Header.Set("Cookie", "sid=s1")
			req.Header.Set("Sec-Fetch-Site", tc.site)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if (forwarded > 0) != tc.forwarded {
				t.Fatalf("forwarded %d, want %v: %d %s", forwarded, tc.forwarded, rec.Code, rec.Body)
			}
			if tc.forwarded {
				return
			}
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "sent by another site") {
				t.Fatalf("got %d %s", rec.Code, rec.Body)
			}
			if len(au.events) != 1 || au.events[0].EventAction != audit.TamperedRequest || au.events[0].UserName != "alice" {
				t.Fatalf("audit events: %+v", au.events)
			}
		})
	}
}
