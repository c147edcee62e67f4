package explain_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/explain"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
	"github.com/portcullis-proxy/portcullis/internal/server"
)

// parityRoles grant without DLS/FLS, so that the real chain can decide
// every case without a restriction stage or a cluster.
const parityRoles = `writer:
  indices:
    - names: ["logs-*"]
      privileges: [read, write]
monitor_only:
  cluster: [monitor]
`

type principal struct{ p *authn.Principal }

func (a principal) Authenticate(*http.Request) (*authn.Principal, error) { return a.p, nil }

type nopAuditor struct{}

func (nopAuditor) Record(context.Context, ...*audit.Event) error { return nil }
func (nopAuditor) EmitRequestBody() bool                         { return false }

type nopObserver struct{}

func (nopObserver) RequestDone(string, string, int, string, time.Duration) {}

type ready struct{}

func (ready) Healthy() bool { return true }

// serveOnce sends the request through the proxy's real middleware chain
// in front of a recording upstream, and returns the answer and whether
// anything was forwarded, and what.
func serveOnce(t *testing.T, az server.Authorizer, user string, roles []string, method, target string, body []byte) (*httptest.ResponseRecorder, bool, string) {
	t.Helper()
	forwarded, sent := false, ""
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forwarded = true
		b, _ := io.ReadAll(r.Body)
		sent = string(b)
		if strings.HasSuffix(r.URL.Path, "/_bulk") {
			_, _ = w.Write([]byte(`{"took":1,"errors":false,"items":[{"index":{"_index":"logs-1","_id":"1","status":201}}]}`))
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/_msearch"):
			_, _ = w.Write([]byte(`{"took":1,"responses":[{"hits":{"hits":[]},"status":200}]}`))
		case strings.HasSuffix(r.URL.Path, "/_mget"):
			_, _ = w.Write([]byte(`{"docs":[{"_index":"logs-1","_id":"1","found":false}]}`))
		default:
			_, _ = w.Write([]byte(`{"ok":true}`))
		}
	})
	s, err := server.New(server.Options{Log: zap.NewNop(), MaxBodyBytes: 1 << 20,
		Authenticator: principal{&authn.Principal{Username: user, Realm: "default_file", RealmType: "file", Roles: roles}},
		Authorizer:    az, Auditor: nopAuditor{}, Upstream: up, Readiness: ready{}, Observer: nopObserver{},
		MetricsHandler: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != nil {
		ct := "application/json"
		if strings.Contains(target, "_bulk") || strings.Contains(target, "_msearch") {
			ct = "application/x-ndjson"
		}
		req.Header.Set("Content-Type", ct)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w, forwarded, sent
}

// TestParityWithServer explains requests and sends the same requests
// through the server's chain: a refusal must be the same status and the
// same body, byte for byte, and nothing explained as allowed may be
// refused (or the reverse).
func TestParityWithServer(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(parityRoles))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	az := authz.NewEvaluator(rs)
	bulk := []byte("{\"index\":{\"_index\":\"logs-1\",\"_id\":\"1\"}}\n{\"a\":1}\n{\"index\":{\"_index\":\"hr-payroll\",\"_id\":\"2\"}}\n{\"a\":\"CANARY\"}\n")
	tests := []struct {
		name, user    string
		roles         []string
		method, path  string
		body          []byte
		outcome       explain.Outcome
		deniedItemIdx int // -1: none
	}{
		{name: "superuser", user: "root", roles: []string{"superuser"}, method: "GET", path: "/hr-payroll/_search", outcome: explain.Allow, deniedItemIdx: -1},
		{name: "granted", user: "w", roles: []string{"writer"}, method: "GET", path: "/logs-1/_search", outcome: explain.Allow, deniedItemIdx: -1},
		{name: "no privilege", user: "m", roles: []string{"monitor_only"}, method: "GET", path: "/logs-1/_search", outcome: explain.Deny, deniedItemIdx: -1},
		{name: "missing role", user: "m", roles: []string{"ghost"}, method: "DELETE", path: "/logs-1", outcome: explain.Deny, deniedItemIdx: -1},
		{name: "refused endpoint", user: "root", roles: []string{"superuser"}, method: "GET", path: "/_internal/desired_balance", outcome: explain.Deny, deniedItemIdx: -1},
		{name: "unknown endpoint", user: "root", roles: []string{"superuser"}, method: "GET", path: "/_nope/a/b/c", outcome: explain.Deny, deniedItemIdx: -1},
		{name: "duplicate key", user: "w", roles: []string{"writer"}, method: "POST", path: "/logs-1/_search", body: []byte(`{"size":1,"size":2}`), outcome: explain.Deny, deniedItemIdx: -1},
		{name: "msearch, one search refused", user: "w", roles: []string{"writer"}, method: "POST", path: "/_msearch",
			body: []byte("{\"index\":\"logs-1\"}\n{}\n{\"index\":\"hr-payroll\"}\n{\"query\":{\"term\":{\"x\":\"CANARY\"}}}\n"), outcome: explain.Narrow, deniedItemIdx: 1},
		{name: "mget, one document refused", user: "w", roles: []string{"writer"}, method: "POST", path: "/_mget",
			body: []byte(`{"docs":[{"_index":"logs-1","_id":"1"},{"_index":"hr-payroll","_id":"CANARY"}]}`), outcome: explain.Narrow, deniedItemIdx: 1},
		{name: "reindex out of reach", user: "w", roles: []string{"writer"}, method: "POST", path: "/_reindex",
			body: []byte(`{"source":{"index":"hr-payroll"},"dest":{"index":"logs-copy"}}`), outcome: explain.Deny, deniedItemIdx: -1},
		{name: "bulk, one item refused", user: "w", roles: []string{"writer"}, method: "POST", path: "/_bulk", body: bulk, outcome: explain.Narrow, deniedItemIdx: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := explain.Explain(explain.Input{Method: tt.method, Target: tt.path, Body: tt.body, MaxBodyBytes: 1 << 20,
				User: dls.User{Username: tt.user, Roles: tt.roles}, Authorizer: az})
			if rep.Outcome != tt.outcome {
				t.Fatalf("explained %s, want %s: %+v", rep.Outcome, tt.outcome, rep)
			}
			w, forwarded, sent := serveOnce(t, az, tt.user, tt.roles, tt.method, tt.path, tt.body)
			if (rep.Outcome == explain.Deny) == forwarded {
				t.Fatalf("explained %s but the server forwarded=%v (status %d %s)", rep.Outcome, forwarded, w.Code, w.Body)
			}
			if rep.Outcome == explain.Deny && (w.Code != rep.Status || w.Body.String() != string(rep.Error)) {
				t.Errorf("server answered %d %s\nexplained %d %s", w.Code, w.Body, rep.Status, rep.Error)
			}
			if tt.deniedItemIdx >= 0 {
				it := rep.Items[tt.deniedItemIdx]
				if it.Outcome != explain.Deny || !strings.Contains(w.Body.String(), it.Reason) {
					t.Errorf("item %d explained %+v; server answered %s", tt.deniedItemIdx, it, w.Body)
				}
			}
			if strings.Contains(sent, "CANARY") {
				t.Error("the refused item's document reached the cluster")
			}
		})
	}
}
