package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// orderAuditor records events and how many requests had reached the
// upstream when each Record call happened.
type orderAuditor struct {
	events    []*audit.Event
	forwarded *int
	early     []int // upstream calls seen at each Record
}

func (o *orderAuditor) Record(_ context.Context, evs ...*audit.Event) error {
	o.early = append(o.early, *o.forwarded)
	o.events = append(o.events, evs...)
	return nil
}

func (o *orderAuditor) EmitRequestBody() bool { return true }

// describe renders an event as "event.action action request.name [indices]".
func describe(ev *audit.Event) string {
	return fmt.Sprintf("%s %s %s [%s]", ev.EventAction, ev.Action, ev.RequestName, strings.Join(ev.Indices, ","))
}

// TestPerItemAuditEvents: the items of _bulk, _mget and _msearch get their
// own events in Elasticsearch's shapes, sharing the request's request.id,
// recorded before anything reaches the cluster.
func TestPerItemAuditEvents(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
logs_reader:
  indices:
    - names: ["logs-*"]
      privileges: [read]
writer:
  indices:
    - names: ["logs-a"]
      privileges: [write]
admin:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [all]
      allow_restricted_indices: true
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "logs-b"}, {Name: "secret"}}, nil, nil)
	alice := &authn.Principal{Username: "alice", Realm: "default_file", Roles: []string{"logs_reader", "writer"}}
	root := &authn.Principal{Username: "root", Realm: "default_file", Roles: []string{"admin"}}
	tests := []struct {
		name, target, body string
		user               *authn.Principal
		wantCode           int
		want               []string // every event, the request's first
	}{
		{name: "bulk, one item refused", target: "/_bulk", user: alice, wantCode: 200,
			body: "{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n{\"f\":1}\n" +
				"{\"index\":{\"_index\":\"logs-a\"}}\n{\"f\":2}\n{\"index\":{\"_index\":\"logs-a\",\"_id\":\"2\"}}\n{\"f\":3}\n",
			want: []string{
				"access_granted indices:data/write/bulk  []",
				"access_denied indices:data/write/delete BulkItemRequest [secret]",
				"access_granted indices:data/write/bulk[s] BulkShardRequest [logs-a]",
				"access_granted indices:data/write/index:op_type/index BulkItemRequest [logs-a]",
				"access_granted indices:data/write/index:op_type/create BulkItemRequest [logs-a]",
			}},
		{name: "bulk, every item refused", target: "/logs-b/_bulk", user: alice, wantCode: 200,
			body: "{\"delete\":{\"_id\":\"1\"}}\n{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n",
			want: []string{
				"access_denied indices:data/write/bulk  [logs-b]",
				"access_denied indices:data/write/delete BulkItemRequest [logs-b]",
				"access_denied indices:data/write/delete BulkItemRequest [secret]",
			}},
		{name: "bulk by a user with full access", target: "/logs-b/_bulk", user: root, wantCode: 200,
			body: "{\"index\":{\"_id\":\"1\"}}\n{\"f\":1}\n{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n",
			want: []string{
				"access_granted indices:data/write/bulk  [logs-b]",
				"access_granted indices:data/write/bulk[s] BulkShardRequest [logs-b]",
				"access_granted indices:data/write/index:op_type/index BulkItemRequest [logs-b]",
				"access_granted indices:data/write/bulk[s] BulkShardRequest [secret]",
				"access_granted indices:data/write/delete BulkItemRequest [secret]",
			}},
		{name: "mget, one index refused", target: "/_mget", user: alice, wantCode: 200,
			body: `{"docs":[{"_index":"logs-a","_id":"1"},{"_index":"secret","_id":"2"},{"_index":"secret","_id":"3"}]}`,
			want: []string{
				"access_granted indices:data/read/mget  []",
				"access_granted indices:data/read/mget[shard] MultiGetShardRequest [logs-a]",
				"access_denied indices:data/read/mget[shard] MultiGetShardRequest [secret]",
			}},
		{name: "mget, every document refused", target: "/_mget", user: alice, wantCode: 200,
			body: `{"docs":[{"_index":"secret","_id":"2"},{"_index":"secret","_id":"3"}]}`,
			want: []string{
				"access_denied indices:data/read/mget  []",
				"access_denied indices:data/read/mget[shard] MultiGetShardRequest [secret]",
			}},
		{name: "mtermvectors, one index refused", target: "/logs-a/_mtermvectors", user: alice, wantCode: 200,
			body: `{"docs":[{"_id":"1"},{"_index":"secret","_id":"2"}]}`,
			want: []string{
				"access_granted indices:data/read/mtv  [logs-a]",
				"access_granted indices:data/read/mtv[shard] MultiTermVectorsShardRequest [logs-a]",
				"access_denied indices:data/read/mtv[shard] MultiTermVectorsShardRequest [secret]",
			}},
		{name: "mtermvectors by a user with full access", target: "/_mtermvectors", user: root, wantCode: 200,
			body: `{"docs":[{"_index":"logs-a","_id":"1"},{"_index":"secret","_id":"2"}]}`,
			want: []string{
				"access_granted indices:data/read/mtv  []",
				"access_granted indices:data/read/mtv[shard] MultiTermVectorsShardRequest [logs-a]",
				"access_granted indices:data/read/mtv[shard] MultiTermVectorsShardRequest [secret]",
			}},
		{name: "mget allowed", target: "/logs-b/_mget", user: alice, wantCode: 200,
			body: `{"docs":[{"_id":"1"},{"_index":"logs-a","_id":"3"},{"_id":"2"}]}`,
			want: []string{
				"access_granted indices:data/read/mget  [logs-b]",
				"access_granted indices:data/read/mget[shard] MultiGetShardRequest [logs-b]",
				"access_granted indices:data/read/mget[shard] MultiGetShardRequest [logs-a]",
			}},
		{name: "msearch, one search refused, one narrowed", target: "/_msearch", user: alice, wantCode: 200,
			body: "{\"index\":\"secret\"}\n{}\n{\"index\":\"logs-*\"}\n{}\n",
			want: []string{
				"access_granted indices:data/read/msearch  []",
				"access_denied indices:data/read/search SearchRequest [secret]",
				"access_granted indices:data/read/search SearchRequest [logs-a,logs-b]",
			}},
		{name: "plain search has no item events", target: "/logs-a/_search", user: alice, wantCode: 200, body: `{}`,
			want: []string{"access_granted indices:data/read/search  [logs-a]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forwarded := 0
			up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				forwarded++
				body, _ := io.ReadAll(r.Body)
				switch {
				case strings.HasSuffix(r.URL.Path, "/_bulk"):
					n := strings.Count(string(body), `{"index"`) + strings.Count(string(body), `{"delete"`)
					items := strings.Repeat(`{"index":{"status":201}},`, n)
					_, _ = fmt.Fprintf(w, `{"took":1,"errors":false,"items":[%s]}`, strings.TrimSuffix(items, ","))
				case strings.HasSuffix(r.URL.Path, "/_mget") || strings.HasSuffix(r.URL.Path, "/_mtermvectors"):
					n := strings.Count(string(body), `"_id"`) + strings.Count(string(body), `"ids"`)
					_, _ = fmt.Fprintf(w, `{"docs":[%s]}`, strings.TrimSuffix(strings.Repeat(`{"found":false},`, n), ","))
				case r.URL.Path == "/_msearch":
					_, _ = w.Write([]byte(`{"took":1,"responses":[{"status":200}]}`))
				default:
					_, _ = w.Write([]byte(`{}`))
				}
			})
			au := &orderAuditor{forwarded: &forwarded}
			s, err := New(Options{MaxBodyBytes: 1 << 20, Log: zap.NewNop(), Authenticator: fakeAuthn{p: tc.user},
				Authorizer: authz.NewEvaluator(rs), Metadata: staticMetadata{md}, Auditor: au,
				Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("POST", tc.target, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			if strings.Contains(tc.target, "_bulk") || strings.Contains(tc.target, "_msearch") {
				req.Header.Set("Content-Type", "application/x-ndjson")
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantCode, rec.Body.String())
			}
			var got []string
			for _, ev := range au.events {
				got = append(got, describe(ev))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if len(au.early) != 1 || au.early[0] != 0 {
				t.Fatalf("events must be recorded in one call before forwarding; upstream calls at each Record: %v", au.early)
			}
			id := rec.Header().Get(RequestIDHeader)
			for i, ev := range au.events {
				if ev.RequestID == "" || ev.RequestID != id {
					t.Fatalf("event %d has request.id %q, response has %q", i, ev.RequestID, id)
				}
				if i > 0 && (ev.RequestBody != "" || ev.UserName != tc.user.Username || ev.EventType != audit.TypeTransport) {
					t.Fatalf("item event %d: body %q user %q type %q", i, ev.RequestBody, ev.UserName, ev.EventType)
				}
			}
		})
	}
}

// TestPerItemAuditFailure: when the item events cannot be written, nothing
// is forwarded and the client gets 503.
func TestPerItemAuditFailure(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte("writer:\n  indices:\n    - names: [\"logs-a\"]\n      privileges: [write]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "secret"}}, nil, nil)
	forwarded := 0
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { forwarded++ })
	s, err := New(Options{MaxBodyBytes: 1 << 20, Log: zap.NewNop(),
		Authenticator: fakeAuthn{p: &authn.Principal{Username: "w", Roles: []string{"writer"}}},
		Authorizer:    authz.NewEvaluator(rs), Metadata: staticMetadata{md}, Auditor: &fakeAuditor{fail: true},
		Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		"{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n{\"delete\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n",
		"{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n",
	} {
		req := httptest.NewRequest("POST", "/_bulk", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-ndjson")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "audit trail cannot be written") || forwarded != 0 {
			t.Fatalf("status %d, forwarded %d: %s", rec.Code, forwarded, rec.Body.String())
		}
	}
}
