package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

type fakeAuthn struct {
	p   *authn.Principal
	err error
}

func (f fakeAuthn) Authenticate(*http.Request) (*authn.Principal, error) { return f.p, f.err }

type fakeAuthz struct{ allow bool }

func (f fakeAuthz) Decide(req authz.Request) authz.Decision {
	if f.allow {
		return authz.Decision{Allowed: true, Unrestricted: true}
	}
	return authz.Decision{Reason: "action [" + req.Action + "] is unauthorized for user [" + req.User + "] on indices [" + strings.Join(req.Indices, ",") + "]"}
}

type nopObserver struct{ calls int }

func (o *nopObserver) RequestDone(string, string, int, string, time.Duration) { o.calls++ }

// fakeAuditor records events, or fails every Record.
type fakeAuditor struct {
	events []*audit.Event
	fail   bool
}

func (f *fakeAuditor) Record(_ context.Context, evs ...*audit.Event) error {
	if f.fail {
		return errors.New("disk full")
	}
	f.events = append(f.events, evs...)
	return nil
}

func (f *fakeAuditor) EmitRequestBody() bool { return false }

type always bool

func (a always) Healthy() bool { return bool(a) }

func newTestServer(t *testing.T, a authn.Authenticator, z Authorizer, maxBody int64) (*Server, *int) {
	return newAuditedServer(t, a, z, maxBody, &fakeAuditor{})
}

func newAuditedServer(t *testing.T, a authn.Authenticator, z Authorizer, maxBody int64, au Auditor) (*Server, *int) {
	t.Helper()
	forwarded := 0
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forwarded++
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	s, err := New(Options{
		MaxBodyBytes: maxBody, Log: zap.NewNop(), Authenticator: a, Authorizer: z, Auditor: au,
		Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, &forwarded
}

func TestChainDecisions(t *testing.T) {
	user := &authn.Principal{Username: "u", Roles: []string{"r"}}
	tests := []struct {
		name       string
		authn      authn.Authenticator
		authz      Authorizer
		method     string
		path       string
		headers    map[string]string
		body       string
		wantCode   int
		wantInBody string
		forwarded  bool
	}{
		{"allowed", fakeAuthn{p: user}, fakeAuthz{true}, "GET", "/_cluster/health", nil, "", 200, `"ok"`, true},
		{"no credentials", fakeAuthn{err: authn.ErrNoCredentials}, fakeAuthz{true}, "GET", "/a/_search?q=x", nil, "", 401,
			`missing authentication credentials for REST request [/a/_search?q=x]`, false},
		{"bad password", fakeAuthn{err: &authn.AuthError{Username: "bob", Reason: "x"}}, fakeAuthz{true}, "GET", "/", nil, "", 401,
			`unable to authenticate user [bob] for REST request [/]`, false},
		{"nil principal fails closed", fakeAuthn{}, fakeAuthz{true}, "GET", "/", nil, "", 401, `missing authentication credentials`, false},
		{"rate limited", fakeAuthn{err: &authn.RateLimitError{By: "ip", RetryAfter: 30 * time.Second}}, fakeAuthz{true}, "GET", "/", nil, "", 429, `too many failed`, false},
		{"other error", fakeAuthn{err: errors.New("boom")}, fakeAuthz{true}, "GET", "/", nil, "", 401, `unable to authenticate for REST request`, false},
		{"denied", fakeAuthn{p: user}, fakeAuthz{false}, "GET", "/secret/_search", nil, "", 403, `action [indices:data/read/search] is unauthorized for user [u]`, false},
		{"upgrade refused", fakeAuthn{p: user}, fakeAuthz{true}, "GET", "/", map[string]string{"Upgrade": "h2c", "Connection": "Upgrade"}, "", 400, `protocol upgrades`, false},
		{"method override refused", fakeAuthn{p: user}, fakeAuthz{true}, "POST", "/", map[string]string{"X-HTTP-Method-Override": "DELETE"}, "", 400, `X-HTTP-Method-Override`, false},
		{"body too large", fakeAuthn{p: user}, fakeAuthz{true}, "POST", "/i/_doc", nil, strings.Repeat("x", 11), 413, `content_too_long_exception`, false},
		{"unknown endpoint", fakeAuthn{p: user}, fakeAuthz{true}, "GET", "/_no_such_api/x", nil, "", 403, `is not an API the security proxy knows`, false},
		{"unknown endpoint, anonymous", fakeAuthn{err: authn.ErrNoCredentials}, fakeAuthz{true}, "GET", "/_no_such_api/x", nil, "", 401, `missing authentication credentials`, false},
		{"denied endpoint", fakeAuthn{p: user}, fakeAuthz{true}, "POST", "/_nodes/reload_secure_settings", nil, "", 403, `refused by the security proxy`, false},
		{"dot segment", fakeAuthn{p: user}, fakeAuthz{true}, "GET", "/a/%2e%2e/_search", nil, "", 400, `ambiguous or malformed`, false},
		{"duplicate index param", fakeAuthn{p: user}, fakeAuthz{true}, "GET", "/_search?index=a&index=b", nil, "", 400, `ambiguous or malformed`, false},
		{"index in query reaches authz", fakeAuthn{p: user}, fakeAuthz{false}, "GET", "/_search?index=hr-payroll", nil, "", 403, `indices:data/read/search] is unauthorized for user [u] on indices [hr-payroll]`, false},
		{"sniffing refused", fakeAuthn{p: user}, fakeAuthz{true}, "GET", "/_nodes/http", nil, "", 403, `reveal the cluster nodes' addresses`, false},
		{"cat nodes refused", fakeAuthn{p: user}, fakeAuthz{true}, "GET", "/_cat/nodes?h=ip", nil, "", 403, `reveal the cluster nodes' addresses`, false},
		{"authenticate answered locally", fakeAuthn{p: user}, fakeAuthz{true}, "GET", "/_security/_authenticate", nil, "", 200, `"username":"u","roles":["r"]`, false},
		{"TRACE refused", fakeAuthn{p: user}, fakeAuthz{true}, "TRACE", "/", nil, "", 400, `method [TRACE]`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, forwarded := newTestServer(t, tc.authn, tc.authz, 10)
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantInBody) {
				t.Fatalf("got %d %s, want %d containing %q", rec.Code, rec.Body.String(), tc.wantCode, tc.wantInBody)
			}
			if (*forwarded > 0) != tc.forwarded {
				t.Fatalf("forwarded=%d, want %v", *forwarded, tc.forwarded)
			}
			if rec.Header().Get(RequestIDHeader) == "" {
				t.Fatal("no request id header")
			}
			if rec.Code == 401 && rec.Header().Get("WWW-Authenticate") != basicChallenge {
				t.Fatalf("401 without the Basic challenge: %q", rec.Header().Get("WWW-Authenticate"))
			}
			if rec.Code == 429 && rec.Header().Get("Retry-After") != "30" {
				t.Fatalf("429 Retry-After = %q", rec.Header().Get("Retry-After"))
			}
		})
	}
}

// TestPanicIsContained: a panicking stage gives a 500 with an Elastic body.
func TestPanicIsContained(t *testing.T) {
	s, err := New(Options{Log: zap.NewNop(), MaxBodyBytes: 10, Authenticator: fakeAuthn{p: &authn.Principal{Username: "u"}}, Auditor: &fakeAuditor{},
		Authorizer: fakeAuthz{true}, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler(),
		Upstream: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"status":500`) {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := newRequestID()
		if seen[id] || len(id) != 22 {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func TestOpsEndpoints(t *testing.T) {
	for _, tc := range []struct {
		ready bool
		path  string
		code  int
	}{{true, "/healthz", 200}, {false, "/healthz", 200}, {true, "/readyz", 200}, {false, "/readyz", 503}} {
		rec := httptest.NewRecorder()
		opsHandler(http.NotFoundHandler(), always(tc.ready), false).ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != tc.code {
			t.Errorf("%s ready=%v: %d, want %d", tc.path, tc.ready, rec.Code, tc.code)
		}
	}
}

// TestAuditBeforeEffect: every decision is recorded, with Elastic's event
// action, and nothing is forwarded or refused when the record cannot be
// written (503 instead).
func TestAuditBeforeEffect(t *testing.T) {
	user := &authn.Principal{Username: "u", Realm: "default_file", Roles: []string{"r"}}
	tests := []struct {
		name       string
		authn      authn.Authenticator
		authz      Authorizer
		path       string
		wantCode   int
		wantAction string
	}{
		{"granted", fakeAuthn{p: user}, fakeAuthz{true}, "/_cluster/health", 200, audit.AccessGranted},
		{"denied", fakeAuthn{p: user}, fakeAuthz{false}, "/secret/_search", 403, audit.AccessDenied},
		{"anonymous", fakeAuthn{err: authn.ErrNoCredentials}, fakeAuthz{true}, "/", 401, audit.AnonymousAccessDenied},
		{"bad password", fakeAuthn{err: &authn.AuthError{Username: "bob"}}, fakeAuthz{true}, "/", 401, audit.AuthenticationFailed},
		// Credentials were presented and refused, though no user name could
		// be read: a failed authentication, not an anonymous request.
		{"malformed credentials", fakeAuthn{err: &authn.AuthError{Reason: "invalid basic authentication header: not base64"}}, fakeAuthz{true}, "/", 401, audit.AuthenticationFailed},
		{"bad api key", fakeAuthn{err: &authn.AuthError{APIKeyID: "key-1", Reason: "api key: invalid credentials"}}, fakeAuthz{true}, "/", 401, audit.AuthenticationFailed},
		// Locked out: the credentials are refused unchecked, still a failed
		// authentication of the user they name.
		{"rate limited", fakeAuthn{err: &authn.RateLimitError{By: authn.LimitByUsername, RetryAfter: time.Minute, Username: "bob"}}, fakeAuthz{true}, "/", 429, audit.AuthenticationFailed},
		{"tampered", fakeAuthn{p: user}, fakeAuthz{true}, "/a/%2e%2e/_search", 400, audit.TamperedRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			au := &fakeAuditor{}
			s, forwarded := newAuditedServer(t, tc.authn, tc.authz, 100, au)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			if rec.Code != tc.wantCode || len(au.events) != 1 || au.events[0].EventAction != tc.wantAction {
				t.Fatalf("got %d with events %+v", rec.Code, au.events)
			}
			ev := au.events[0]
			if ev.RequestID != rec.Header().Get(RequestIDHeader) || ev.URLPath == "" {
				t.Fatalf("event not tied to the request: %+v", ev)
			}
			wantUser, wantKey := map[string]string{"bad password": "bob", "bad api key": "key-1", "rate limited": "bob"}[tc.name], ""
			if tc.name == "bad api key" {
				wantKey = "key-1"
			}
			if tc.wantAction == audit.AuthenticationFailed && (ev.UserName != wantUser || ev.APIKeyID != wantKey) {
				t.Fatalf("failed login: user.name %q apikey.id %q, want %q %q: %+v", ev.UserName, ev.APIKeyID, wantUser, wantKey, ev)
			}

			failing := &fakeAuditor{fail: true}
			s, forwarded = newAuditedServer(t, tc.authn, tc.authz, 100, failing)
			rec = httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			if rec.Code != 503 || *forwarded != 0 || !strings.Contains(rec.Body.String(), "audit trail cannot be written") {
				t.Fatalf("audit failure: got %d (forwarded %d) %s", rec.Code, *forwarded, rec.Body.String())
			}
		})
	}
}

// TestUnknownLengthBodyIsRead: an HTTP/2 request whose DATA frames come
// without a content-length header reaches the handler with ContentLength -1
// and no Transfer-Encoding. Its body must be read and parsed like any
// other, never forwarded unseen (a terms lookup, an index setting, bulk
// items the proxy never decided on).
func TestUnknownLengthBodyIsRead(t *testing.T) {
	user := &authn.Principal{Username: "u", Roles: []string{"r"}}
	tests := []struct {
		name, method, path, body string
		wantCode                 int
		wantInBody               string
		forwarded                bool
	}{
		{"body on a route without one", "GET", "/_cluster/health", `{"a":1}`, 400, `does not support having a body`, false},
		{"malformed JSON body", "POST", "/a/_search", `{"query":`, 400, `parse_exception`, false},
		{"empty body on a route without one", "GET", "/_cluster/health", "", 200, `"ok"`, true},
		{"JSON body", "POST", "/a/_search", `{"size":1}`, 200, `"ok"`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, forwarded := newTestServer(t, fakeAuthn{p: user}, fakeAuthz{true}, 1<<20)
			req := httptest.NewRequest(tc.method, tc.path, io.NopCloser(strings.NewReader(tc.body)))
			req.ContentLength = -1 // as net/http's HTTP/2 server delivers it
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantInBody) {
				t.Fatalf("got %d %s, want %d containing %q", rec.Code, rec.Body.String(), tc.wantCode, tc.wantInBody)
			}
			if (*forwarded > 0) != tc.forwarded {
				t.Fatalf("forwarded=%d, want %v", *forwarded, tc.forwarded)
			}
		})
	}
}

// ctxAuditor waits for the request's context to end, as the file trail
// does while an fsync hangs, and returns the context's error.
type ctxAuditor struct{}

func (ctxAuditor) Record(ctx context.Context, _ ...*audit.Event) error {
	<-ctx.Done()
	return fmt.Errorf("audit: waiting for fsync: %w", ctx.Err())
}

func (ctxAuditor) EmitRequestBody() bool { return false }

// TestClientGoneWhileAuditing: a client that goes away while its record is
// on the way to disk is not an audit failure (no error log, no 503 written
// for nobody), and its request is still not forwarded; a deadline that runs
// out is one (503, logged as an error).
func TestClientGoneWhileAuditing(t *testing.T) {
	user := &authn.Principal{Username: "u", Roles: []string{"r"}}
	tests := []struct {
		name     string
		authz    Authorizer
		path     string
		canceled bool
		wantCode int
		wantLog  zapcore.Level
		wantMsg  string
	}{
		{"granted, client gone", fakeAuthz{true}, "/_cluster/health", true, 200, zapcore.InfoLevel, "client went away while its audit record was written; request not forwarded"},
		{"denied, client gone", fakeAuthz{false}, "/secret/_search", true, 200, zapcore.InfoLevel, "client went away while its refusal's audit record was written"},
		{"granted, deadline", fakeAuthz{true}, "/_cluster/health", false, 503, zapcore.ErrorLevel, "audit write failed; request refused"},
		{"denied, deadline", fakeAuthz{false}, "/secret/_search", false, 503, zapcore.ErrorLevel, "audit write failed; refusal replaced by 503"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			forwarded := 0
			up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { forwarded++ })
			s, err := New(Options{
				MaxBodyBytes: 100, Log: zap.New(core), Authenticator: fakeAuthn{p: user}, Authorizer: tc.authz, Auditor: ctxAuditor{},
				Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler(),
			})
			if err != nil {
				t.Fatal(err)
			}
			var ctx context.Context
			var cancel context.CancelFunc
			if tc.canceled {
				ctx, cancel = context.WithCancel(context.Background())
				cancel()
			} else {
				ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
			}
			defer cancel()
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil).WithContext(ctx))
			if forwarded != 0 {
				t.Fatalf("forwarded %d requests without their audit record", forwarded)
			}
			if rec.Code != tc.wantCode || (tc.canceled && rec.Body.Len() != 0) {
				t.Fatalf("got %d %q, want %d", rec.Code, rec.Body.String(), tc.wantCode)
			}
			found := logs.FilterMessage(tc.wantMsg).All()
			if len(found) != 1 || found[0].Level != tc.wantLog {
				t.Fatalf("log %q at %v: got %+v", tc.wantMsg, tc.wantLog, logs.All())
			}
			if tc.canceled && logs.FilterLevelExact(zapcore.ErrorLevel).Len() != 0 {
				t.Fatalf("a client that went away was logged as an error: %+v", logs.FilterLevelExact(zapcore.ErrorLevel).All())
			}
		})
	}
}

// TestAuditTraceID: the trace id of a W3C traceparent header is the
// events' trace.id, as in Elasticsearch; anything else is not recorded.
func TestAuditTraceID(t *testing.T) {
	user := &authn.Principal{Username: "u", Realm: "default_file", Roles: []string{"r"}}
	for _, tc := range []struct{ header, want string }{
		{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "0af7651916cd43dd8448eb211c80319c"},
		{"", ""},
		{"00-0af7651916cd43dd8448eb211c80319c", ""},
		{"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", ""},
		{"00-0af7651916cd43dd8448eb211c8031\n\"-b7ad6b7169203331-01", ""},
	} {
		for _, authz := range []fakeAuthz{{true}, {false}} {
			au := &fakeAuditor{}
			s, _ := newAuditedServer(t, fakeAuthn{p: user}, authz, 100, au)
			req := httptest.NewRequest("GET", "/_cluster/health", nil)
			if tc.header != "" {
				req.Header.Set("traceparent", tc.header)
			}
			s.Handler().ServeHTTP(httptest.NewRecorder(), req)
			if len(au.events) != 1 || au.events[0].TraceID != tc.want {
				t.Fatalf("traceparent %q: events %+v, want trace.id %q", tc.header, au.events, tc.want)
			}
		}
	}
}
