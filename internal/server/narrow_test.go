package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

type staticMetadata struct{ md *authz.Metadata }

func (s staticMetadata) Snapshot() *authz.Metadata { return s.md }

// TestAuthorizationRewrites runs the real evaluator behind the chain and
// checks what reaches the cluster: narrowed paths, narrowed _msearch items,
// and nothing at all for refusals.
func TestAuthorizationRewrites(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
logs_reader:
  indices:
    - names: ["logs-*"]
      privileges: [read]
writer:
  indices:
    - names: ["logs-a"]
      privileges: [write]
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "logs-b"}, {Name: "secret"}}, nil, nil)
	alice := &authn.Principal{Username: "alice", Realm: "default_file", Roles: []string{"logs_reader", "writer"}}
	tests := []struct {
		name, method, target, body string
		wantCode                   int
		wantPath, wantBody         string // what the upstream saw ("" = nothing forwarded)
	}{
		{"implicit all narrowed", "GET", "/_search", "", 200, "/logs-a,logs-b/_search", ""},
		{"wildcard narrowed", "POST", "/*/_count", `{"query":{"match_all":{}}}`, 200, "/logs-a,logs-b/_count", `{"query":{"match_all":{}}}`},
		{"explicit forbidden", "GET", "/secret/_search", "", 403, "", ""},
		{"forbidden dropped with ignore_unavailable", "GET", "/logs-a,secret/_search?ignore_unavailable=true", "", 200, "/logs-a/_search", ""},
		{"nothing visible", "GET", "/secret*/_search", "", 200, "/*,-*/_search", ""},
		{"index query parameter", "GET", "/_search?index=secret", "", 403, "", ""},
		{"pit in body refused", "POST", "/_search", `{"pit":{"id":"abc"}}`, 403, "", ""},
		{"terms lookup on another index refused", "POST", "/logs-a/_search", `{"query":{"terms":{"user":{"index":"secret","id":"1","path":"users"}}}}`, 403, "", ""},
		{"more_like_this by id refused", "POST", "/logs-a/_search", `{"query":{"more_like_this":{"fields":["t"],"like":[{"_index":"secret","_id":"1"}]}}}`, 403, "", ""},
		{"terms lookup inside msearch refused", "POST", "/_msearch", "{\"index\":\"logs-a\"}\n{\"query\":{\"terms\":{\"u\":{\"index\":\"secret\",\"id\":\"1\",\"path\":\"p\"}}}}\n", 403, "", ""},
		{"search template refused", "POST", "/logs-a/_search/template", `{"id":"t1","params":{}}`, 403, "", ""},
		{"ingest pipeline refused", "PUT", "/logs-a/_doc/1?pipeline=enrich-secret", `{"f":1}`, 403, "", ""},
		{"field named index is fine", "POST", "/logs-a/_search", `{"query":{"match":{"index":"x"}}}`, 200, "/logs-a/_search", ""},
		{"body in the source parameter is parsed", "GET", "/logs-a/_search?source=%7B%22query%22%3A%7B%7D%2C%22query%22%3A%7B%7D%7D&source_content_type=application/json", "", 400, "", ""},
		{"duplicate keys refused", "POST", "/logs-a/_search", `{"query":{},"query":{}}`, 400, "", ""},
		{"msearch item narrowed", "POST", "/_msearch", "{\"index\":\"logs-*\"}\n{}\n", 200, "/_msearch", "{\"index\":[\"logs-a\",\"logs-b\"]}\n{}\n"},
		{"msearch forbidden item refused alone", "POST", "/_msearch", "{\"index\":\"secret\"}\n{}\n{\"index\":\"logs-a\"}\n{}\n", 200, "/_msearch", "{\"index\":\"logs-a\"}\n{}\n"},
		{"bulk allowed", "POST", "/_bulk", "{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n{\"f\":1}\n", 200, "/_bulk", "{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n{\"f\":1}\n"},
		{"bulk forbidden item refused alone", "POST", "/_bulk", "{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n{\"f\":1}\n", 200, "/_bulk", "{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n{\"f\":1}\n"},
		// The merger reads the cluster's JSON "items": a response it cannot
		// read would come back as 502 after the allowed items were written.
		// A filter_path is taken off and applied to the merged answer.
		{"filter_path applied to a bulk with a refused item", "POST", "/_bulk?filter_path=errors,items.*.status", "{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n{\"f\":1}\n", 200, "/_bulk", "{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n{\"f\":1}\n"},
		{"format=yaml refused on a bulk with a refused item", "POST", "/_bulk?format=yaml", "{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n{\"index\":{\"_index\":\"logs-a\",\"_id\":\"1\"}}\n{\"f\":1}\n", 400, "", ""},
		{"filter_path applied to an mget with a refused doc", "POST", "/_mget?filter_path=docs._id", `{"docs":[{"_index":"secret","_id":"2"},{"_index":"logs-a","_id":"1"}]}`, 200, "/_mget", `{"docs":[{"_index":"logs-a","_id":"1"}]}`},
		{"filter_path applied when every bulk item is refused", "POST", "/_bulk?filter_path=errors", "{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n", 200, "", ""},
		{"bulk all items forbidden", "POST", "/_bulk", "{\"delete\":{\"_index\":\"secret\",\"_id\":\"1\"}}\n", 200, "", ""},
		{"mget forbidden doc refused alone", "POST", "/_mget", `{"docs":[{"_index":"secret","_id":"2"},{"_index":"logs-a","_id":"1"}]}`, 200, "/_mget", `{"docs":[{"_index":"logs-a","_id":"1"}]}`},
		{"mget allowed", "POST", "/logs-b/_mget", `{"ids":["1","2"]}`, 200, "/logs-b/_mget", `{"ids":["1","2"]}`},
		{"resolve index narrowed in its {name} segment", "GET", "/_resolve/index/*", "", 200, "/_resolve/index/logs-a,logs-b", ""},
		{"terms lookup inside a wrapper query refused", "POST", "/logs-a/_search", `{"query":{"wrapper":{"query":"eyJ0ZXJtcyI6eyJ1Ijp7ImluZGV4Ijoic2VjcmV0IiwiaWQiOiIxIiwicGF0aCI6InAifX19"}}}`, 403, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gotPath, gotBody string
			up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotPath = r.URL.EscapedPath()
				if r.URL.Query().Has("filter_path") {
					t.Errorf("filter_path forwarded: the merger needs the whole item list: %s", r.URL.RawQuery)
				}
				b, _ := io.ReadAll(r.Body)
				gotBody = string(b)
				if r.URL.Path == "/_msearch" && strings.Count(gotBody, "\n") == 2 {
					_, _ = w.Write([]byte(`{"took":2,"responses":[{"hits":{"total":{"value":0}},"status":200}]}`))
					return
				}
				if r.URL.Path == "/_mget" {
					_, _ = w.Write([]byte(`{"docs":[{"_index":"logs-a","_id":"1","found":false}]}`))
					return
				}
				if r.URL.Path == "/_bulk" {
					_, _ = w.Write([]byte(`{"took":3,"errors":false,"items":[{"index":{"_index":"logs-a","_id":"1","status":201}}]}`))
					return
				}
				_, _ = w.Write([]byte(`{}`))
			})
			s, err := New(Options{MaxBodyBytes: 1 << 20, Log: zap.NewNop(), Authenticator: fakeAuthn{p: alice},
				Authorizer: authz.NewEvaluator(rs), Metadata: staticMetadata{md}, Auditor: &fakeAuditor{},
				Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.body != "" {
				ct := "application/json"
				if strings.Contains(tc.target, "_msearch") || strings.Contains(tc.target, "_bulk") {
					ct = "application/x-ndjson"
				}
				req.Header.Set("Content-Type", ct)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if tc.name == "msearch forbidden item refused alone" {
				want := `"responses":[{"error":{"reason":"action [indices:data/read/search] is unauthorized for user [alice]`
				if !strings.Contains(rec.Body.String(), want) || !strings.Contains(rec.Body.String(), `"status":403},{"hits"`) {
					t.Fatalf("msearch merge: %s", rec.Body.String())
				}
			}
			if tc.name == "mget forbidden doc refused alone" {
				want := `{"docs":[{"_index":"secret","_id":"2","error":{"root_cause":[{"type":"security_exception","reason":"action [indices:data/read/mget[shard]] is unauthorized for user [alice]`
				if !strings.HasPrefix(rec.Body.String(), want) || !strings.HasSuffix(rec.Body.String(), `},{"_index":"logs-a","_id":"1","found":false}]}`) {
					t.Fatalf("mget merge: %s", rec.Body.String())
				}
			}
			wantCut := map[string]string{
				"filter_path applied to a bulk with a refused item":   `{"errors":true,"items":[{"delete":{"status":403}},{"index":{"status":201}}]}`,
				"filter_path applied to an mget with a refused doc":   `{"docs":[{"_id":"2"},{"_id":"1"}]}`,
				"filter_path applied when every bulk item is refused": `{"errors":true}`,
			}[tc.name]
			if got := strings.TrimSpace(rec.Body.String()); wantCut != "" && got != wantCut {
				t.Fatalf("merged answer cut by filter_path: got %s, want %s", got, wantCut)
			}
			if strings.HasPrefix(tc.name, "bulk") && strings.Contains(tc.body, "secret") {
				want := `{"delete":{"_id":"1","_index":"secret","error":{"reason":"action [indices:data/write/delete] is unauthorized for user [alice]`
				if !strings.Contains(rec.Body.String(), `"errors":true,"items":[`+want) {
					t.Fatalf("refused item not first in Elasticsearch's shape: %s", rec.Body.String())
				}
				if strings.Contains(tc.body, "logs-a") && !strings.Contains(rec.Body.String(), `{"index":{"_index":"logs-a","_id":"1","status":201}}]`) {
					t.Fatalf("forwarded item missing after the refused one: %s", rec.Body.String())
				}
			}
			if rec.Code != tc.wantCode || gotPath != tc.wantPath || (tc.wantBody != "" && gotBody != tc.wantBody) {
				t.Fatalf("got %d, upstream saw %q %q; want %d %q %q\n%s", rec.Code, gotPath, gotBody, tc.wantCode, tc.wantPath, tc.wantBody, rec.Body.String())
			}
		})
	}
}

// TestNarrowQueryIndexEscaping: names written into ?index= are escaped for
// the query string, where the cluster reads '+' as a space; a name with a
// '+' (legal in index names) must reach it as written.
func TestNarrowQueryIndexEscaping(t *testing.T) {
	r := httptest.NewRequest("GET", "/_search?index=logs-*&size=1", nil)
	c, err := esapi.ClassifyURL(r.Method, r.URL.EscapedPath(), r.URL.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	if err := narrow(r, c, authz.Decision{Allowed: true, Indices: []string{"logs-a+b", "logs-c"}}); err != nil {
		t.Fatal(err)
	}
	if r.URL.RawQuery != "index=logs-a%2Bb,logs-c&size=1" {
		t.Errorf("narrowed query %q", r.URL.RawQuery)
	}
}
