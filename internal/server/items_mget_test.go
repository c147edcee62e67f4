package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// docsCanary is in the source of every document of the index the user may
// not read, as the fake cluster serves it: it must never reach a client.
const docsCanary = "CANARY-MGET-SECRET"

// fakeDocsCluster answers _mget and _mtermvectors as the cluster would:
// one document per requested one, in order, each found, with a source that
// names its index (and the canary for "secret").
func fakeDocsCluster(calls *[]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		*calls = append(*calls, r.URL.Path+" "+string(body))
		urlIndex, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if strings.HasPrefix(urlIndex, "_") {
			urlIndex = ""
		}
		var req struct {
			Docs []struct {
				Index string          `json:"_index"`
				ID    json.RawMessage `json:"_id"`
			} `json:"docs"`
			IDs []json.RawMessage `json:"ids"`
		}
		_ = json.Unmarshal(body, &req)
		var docs []string
		answer := func(index string, id json.RawMessage) {
			src := `{"owner":"` + index + `"}`
			if index == "secret" {
				src = `{"owner":"` + docsCanary + `"}`
			}
			docs = append(docs, fmt.Sprintf(`{"_index":%q,"_id":%s,"found":true,"_source":%s}`, index, id, src))
		}
		for _, d := range req.Docs {
			answer(cmpOr(d.Index, urlIndex), d.ID)
		}
		for _, id := range req.IDs {
			answer(urlIndex, id)
		}
		_, _ = fmt.Fprintf(w, `{"docs":[%s]}`, strings.Join(docs, ","))
	})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// docOutcome renders one answered document as "found index/id" or
// "error index/id: reason".
func docOutcome(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var d struct {
		Index string `json:"_index"`
		ID    string `json:"_id"`
		Found bool   `json:"found"`
		Error *struct {
			RootCause []struct{ Type, Reason string } `json:"root_cause"`
			Type      string                          `json:"type"`
			Reason    string                          `json:"reason"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("document %s: %v", raw, err)
	}
	if d.Error == nil {
		return fmt.Sprintf("found %s/%s", d.Index, d.ID)
	}
	e := d.Error
	if e.Type != "security_exception" || len(e.RootCause) != 1 || e.RootCause[0].Type != e.Type || e.RootCause[0].Reason != e.Reason {
		t.Fatalf("error not in Elasticsearch's shape: %s", raw)
	}
	return fmt.Sprintf("error %s/%s: %s", d.Index, d.ID, e.Reason)
}

const (
	mgetDenied = "action [indices:data/read/mget[shard]] is unauthorized for user [alice] with effective roles [dls_reader,logs_reader] on indices [secret], this action is granted by the index privileges [read,all]"
	mtvDenied  = "action [indices:data/read/mtv[shard]] is unauthorized for user [alice] with effective roles [dls_reader,logs_reader] on indices [secret], this action is granted by the index privileges [read,all]"
)

// TestMultiDocumentItems: documents of _mget and _mtermvectors on indices
// the user may not read come back as per-item 403s in Elasticsearch's
// shape, at their places; the others are forwarded alone; nothing of the
// forbidden index is ever asked of the cluster.
func TestMultiDocumentItems(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte(`
logs_reader:
  indices:
    - names: ["logs-*"]
      privileges: [read]
dls_reader:
  indices:
    - names: ["dls-a"]
      privileges: [read]
      query: '{"term":{"public":true}}'
`))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "logs-b"}, {Name: "secret"}, {Name: "dls-a"}},
		[]authz.Alias{{Name: "logs-one", Indices: []string{"logs-a"}}, {Name: "pub", Indices: []string{"secret"}}}, nil)
	alice := &authn.Principal{Username: "alice", Realm: "default_file", Roles: []string{"logs_reader", "dls_reader"}}
	tests := []struct {
		name, target, body string
		wantCode           int
		wantForwarded      []string // "path body" the cluster saw
		wantDocs           []string // docOutcome of each answered document
	}{
		{name: "mget: refused documents in their places", target: "/_mget",
			body:          `{"docs":[{"_index":"logs-a","_id":"1"},{"_index":"secret","_id":"1"},{"_index":"logs-a","_id":"2"},{"_index":"secret","_id":"3"}]}`,
			wantCode:      200,
			wantForwarded: []string{`/_mget {"docs":[{"_index":"logs-a","_id":"1"},{"_index":"logs-a","_id":"2"}]}`},
			wantDocs:      []string{"found logs-a/1", "error secret/1: " + mgetDenied, "found logs-a/2", "error secret/3: " + mgetDenied}},
		{name: "mget: forbidden URL index, allowed document elsewhere", target: "/secret/_mget?realtime=false&routing=r1",
			body:          `{"docs":[{"_id":"1","_source":["owner"]},{"_index":"logs-b","_id":"2","stored_fields":["owner"]}]}`,
			wantCode:      200,
			wantForwarded: []string{`/secret/_mget {"docs":[{"_index":"logs-b","_id":"2","stored_fields":["owner"]}]}`},
			wantDocs:      []string{"error secret/1: " + mgetDenied, "found logs-b/2"}},
		{name: "mget: ids on a forbidden index, nothing forwarded", target: "/secret/_mget",
			body:     `{"ids":["1",2]}`,
			wantCode: 200,
			wantDocs: []string{"error secret/1: " + mgetDenied, "error secret/2: " + mgetDenied}},
		{name: "mget: ids on an allowed index go through unchanged", target: "/logs-b/_mget",
			body:          `{"ids":["1","2"]}`,
			wantCode:      200,
			wantForwarded: []string{`/logs-b/_mget {"ids":["1","2"]}`},
			wantDocs:      []string{"found logs-b/1", "found logs-b/2"}},
		{name: "mget: every document refused", target: "/_mget",
			body:     `{"docs":[{"_index":"secret","_id":"1"}]}`,
			wantCode: 200,
			wantDocs: []string{"error secret/1: " + mgetDenied}},
		{name: "mget: a wildcard is no concrete index", target: "/_mget",
			body:          `{"docs":[{"_index":"logs-*","_id":"1"},{"_index":"logs-a","_id":"1"}]}`,
			wantCode:      200,
			wantForwarded: []string{`/_mget {"docs":[{"_index":"logs-a","_id":"1"}]}`},
			wantDocs: []string{"error logs-*/1: action [indices:data/read/mget[shard]] is unauthorized for user [alice]: item index [logs-*] must name one index, alias or data stream",
				"found logs-a/1"}},
		{name: "mget: aliases are decided as named", target: "/_mget",
			body:          `{"docs":[{"_index":"pub","_id":"1"},{"_index":"logs-one","_id":"1"}]}`,
			wantCode:      200,
			wantForwarded: []string{`/_mget {"docs":[{"_index":"logs-one","_id":"1"}]}`},
			wantDocs:      []string{"error pub/1: " + strings.ReplaceAll(mgetDenied, "[secret]", "[pub]"), "found logs-one/1"}},
		{name: "mget: document-level security without a restriction stage", target: "/_mget",
			body:          `{"docs":[{"_index":"dls-a","_id":"1"},{"_index":"logs-a","_id":"1"}]}`,
			wantCode:      200,
			wantForwarded: []string{`/_mget {"docs":[{"_index":"logs-a","_id":"1"}]}`},
			wantDocs: []string{"error dls-a/1: action [indices:data/read/mget[shard]] is unauthorized for user [alice] on indices [dls-a]: document- or field-level security applies and is not enforced by the security proxy",
				"found logs-a/1"}},
		{name: "mget: a document without any index refuses the request", target: "/_mget",
			body: `{"docs":[{"_id":"1"},{"_index":"logs-a","_id":"1"}]}`, wantCode: 400},
		{name: "mtermvectors: refused documents in their places", target: "/_mtermvectors",
			body:          `{"docs":[{"_index":"secret","_id":"1","term_statistics":true},{"_index":"logs-a","_id":"1","fields":["owner"]},{"_index":"secret","doc":{"owner":"x"}}]}`,
			wantCode:      200,
			wantForwarded: []string{`/_mtermvectors {"docs":[{"_index":"logs-a","_id":"1","fields":["owner"]}]}`},
			wantDocs:      []string{"error secret/1: " + mtvDenied, "found logs-a/1", "error secret/: " + mtvDenied}},
		{name: "mtermvectors: ids on a forbidden index, nothing forwarded", target: "/secret/_mtermvectors",
			body:     `{"ids":["1"],"parameters":{"fields":["owner"],"term_statistics":true}}`,
			wantCode: 200,
			wantDocs: []string{"error secret/1: " + mtvDenied}},
		{name: "mtermvectors: allowed ids go through unchanged", target: "/logs-a/_mtermvectors",
			body:          `{"ids":["1"],"parameters":{"fields":"owner"}}`,
			wantCode:      200,
			wantForwarded: []string{`/logs-a/_mtermvectors {"ids":["1"],"parameters":{"fields":"owner"}}`},
			wantDocs:      []string{"found logs-a/1"}},
		{name: "mtermvectors: document-level security refuses the document", target: "/_mtermvectors",
			body:     `{"docs":[{"_index":"dls-a","_id":"1","term_statistics":true}]}`,
			wantCode: 200,
			wantDocs: []string{"error dls-a/1: action [indices:data/read/mtv[shard]] is unauthorized for user [alice] on indices [dls-a]: document- or field-level security applies and is not enforced by the security proxy"}},
		{name: "mtermvectors: parameters may not name an index", target: "/logs-a/_mtermvectors",
			body: `{"ids":["1"],"parameters":{"_index":"secret"}}`, wantCode: 400},
		{name: "mtermvectors: docs and ids together", target: "/logs-a/_mtermvectors",
			body: `{"ids":["1"],"docs":[{"_index":"secret","_id":"1"}]}`, wantCode: 400},
		{name: "mtermvectors: unknown document field", target: "/_mtermvectors",
			body: `{"docs":[{"_index":"logs-a","_id":"1","x":{"_index":"secret"}}]}`, wantCode: 400},
		{name: "mtermvectors: an artificial document may not reference another", target: "/_mtermvectors",
			body: `{"docs":[{"_index":"logs-a","doc":{"q":{"terms":{"f":{"index":"secret","id":"1","path":"p"}}}}}]}`, wantCode: 400},
		{name: "mtermvectors: ids in the URL", target: "/secret/_mtermvectors?ids=1",
			body: `{"docs":[{"_index":"logs-a","_id":"1"}]}`, wantCode: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			s, err := New(Options{MaxBodyBytes: 1 << 20, Log: zap.NewNop(), Authenticator: fakeAuthn{p: alice},
				Authorizer: authz.NewEvaluator(rs), Metadata: staticMetadata{md}, Auditor: &fakeAuditor{},
				Upstream: fakeDocsCluster(&calls), Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("POST", tc.target, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantCode, rec.Body.String())
			}
			if strings.Contains(rec.Body.String(), docsCanary) {
				t.Fatalf("the forbidden index's data leaked: %s", rec.Body.String())
			}
			if !slices.Equal(calls, tc.wantForwarded) {
				t.Fatalf("cluster saw %q, want %q", calls, tc.wantForwarded)
			}
			if tc.wantCode != 200 {
				return
			}
			var resp map[string]json.RawMessage
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("response %q: %v", rec.Body.String(), err)
			}
			if _, ok := resp["took"]; ok || len(resp) != 1 {
				t.Fatalf("response is not {\"docs\":[…]}: %s", rec.Body.String())
			}
			var docs []json.RawMessage
			if err := json.Unmarshal(resp["docs"], &docs); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range docs {
				got = append(got, docOutcome(t, d))
			}
			if !slices.Equal(got, tc.wantDocs) {
				t.Fatalf("documents:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.wantDocs, "\n  "))
			}
		})
	}
}

// BenchmarkMgetItems measures a 100-document _mget of which half is
// refused one by one: decision, body rewrite and merge.
func BenchmarkMgetItems(b *testing.B) {
	rs, probs := authz.ParseRoles("roles.yml", []byte("logs_reader:\n  indices:\n    - names: [\"logs-*\"]\n      privileges: [read]\n"))
	if probs.HasErrors() {
		b.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "secret"}}, nil, nil)
	alice := &authn.Principal{Username: "alice", Realm: "default_file", Roles: []string{"logs_reader"}}
	var calls []string
	s, err := New(Options{MaxBodyBytes: 1 << 20, Log: zap.NewNop(), Authenticator: fakeAuthn{p: alice},
		Authorizer: authz.NewEvaluator(rs), Metadata: staticMetadata{md}, Auditor: &fakeAuditor{},
		Upstream: fakeDocsCluster(&calls), Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
	if err != nil {
		b.Fatal(err)
	}
	docs := make([]string, 100)
	for i := range docs {
		idx := "logs-a"
		if i%2 == 1 {
			idx = "secret"
		}
		docs[i] = fmt.Sprintf(`{"_index":%q,"_id":"%d"}`, idx, i)
	}
	body := `{"docs":[` + strings.Join(docs, ",") + `]}`
	b.ReportAllocs()
	for b.Loop() {
		calls = calls[:0]
		req := httptest.NewRequest("POST", "/_mget", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}
