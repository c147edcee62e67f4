package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// memoryLog is an audit.Log that keeps the records it is given.
type memoryLog struct {
	mu     sync.Mutex
	events []*audit.Event
}

func (m *memoryLog) Append(_ context.Context, ev *audit.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, ev)
	return nil
}

// With access_granted excluded from the real audit trail, the chain skips
// building the request's access_granted event, and records exactly what
// the trail would have kept anyway: the refused items' access_denied
// events, and nothing for a plain granted request.
func TestExcludedGrantIsNotBuiltButDeniedItemsAreKept(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte("writer:\n  indices:\n    - names: [\"logs-a\"]\n      privileges: [write, read]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "secret"}}, nil, nil)
	alice := &authn.Principal{Username: "alice", Realm: "default_file", Roles: []string{"writer"}}
	tests := []struct {
		name, target, ctype, body string
		want                      []string
	}{
		{"bulk with a refused item", "/_bulk", "application/x-ndjson",
			"{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n{\"a\":1}\n{\"index\":{\"_index\":\"secret\",\"_id\":\"2\"}}\n{\"a\":1}\n",
			[]string{"access_denied indices:data/write/index:op_type/index BulkItemRequest [secret]"}},
		{"granted search", "/logs-a/_search", "application/json", `{}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := &memoryLog{}
			trail, err := audit.NewWithLog(audit.Config{Exclude: []string{audit.AccessGranted}}, mem, audit.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if recordsAction(trail, audit.AccessGranted) || !recordsAction(trail, audit.AccessDenied) {
				t.Fatal("the trail's action filter is not what the chain consults")
			}
			up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/_bulk") {
					_, _ = w.Write([]byte(`{"took":1,"errors":false,"items":[{"index":{"status":201}}]}`))
					return
				}
				_, _ = w.Write([]byte(`{}`))
			})
			s := chainServer(t, Options{Authenticator: fakeAuthn{p: alice}, Authorizer: authz.NewEvaluator(rs),
				Metadata: staticMetadata{md}, Auditor: trail, Upstream: up})
			req := httptest.NewRequest("POST", tc.target, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
			var got []string
			for _, ev := range mem.events {
				got = append(got, describe(ev))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("recorded:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// chainServer builds a Server for tests of the whole chain: o's
// authenticator, authorizer, auditor and the like, with quiet logs, no
// metrics and a body limit of 1 MiB unless o sets one; the upstream answers
// {} unless o has one.
func chainServer(t *testing.T, o Options) *Server {
	t.Helper()
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.Upstream == nil {
		o.Upstream = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{}`)) })
	}
	o.Log, o.Readiness, o.Observer, o.MetricsHandler = zap.NewNop(), always(true), &nopObserver{}, http.NotFoundHandler()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
