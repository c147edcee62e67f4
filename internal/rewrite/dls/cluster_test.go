package dls

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// The tests below run the rewritten requests against a real cluster and
// check that only the documents DLS allows shape the responses. They need
// an unsecured node and are skipped without one:
//
//	OPENSEARCH_PORT=9251 scripts/opensearch.sh start
//	PORTCULLIS_TEST_OPENSEARCH=http://127.0.0.1:9251 go test ./internal/rewrite/dls/
//
// PORTCULLIS_TEST_ELASTICSEARCH runs the same tests against an
// Elasticsearch node (scripts/elasticsearch.sh, 7.17).

// clusterURL returns the node to test against, or skips.
func clusterURL(t *testing.T) string {
	t.Helper()
	for _, env := range []string{"PORTCULLIS_TEST_OPENSEARCH", "PORTCULLIS_TEST_ELASTICSEARCH"} {
		if u := os.Getenv(env); u != "" {
			parsed, err := url.Parse(u)
			if err != nil || !strings.HasPrefix(parsed.Hostname(), "127.") && parsed.Hostname() != "localhost" {
				t.Fatalf("%s=%s: only a loopback node may be used", env, u)
			}
			return strings.TrimSuffix(u, "/")
		}
	}
	t.Skip("no cluster: set PORTCULLIS_TEST_OPENSEARCH (or PORTCULLIS_TEST_ELASTICSEARCH) to an unsecured loopback node")
	return ""
}

type cluster struct {
	t    *testing.T
	base string
	http *http.Client
}

// do sends a request and returns the status and body.
func (c *cluster) do(method, path string, body []byte) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		ct := "application/json"
		if strings.Contains(path, "_bulk") {
			ct = "application/x-ndjson"
		}
		req.Header.Set("Content-Type", ct)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// must sends a request that must succeed.
func (c *cluster) must(method, path, body string) []byte {
	c.t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	status, resp := c.do(method, path, b)
	if status >= 300 {
		c.t.Fatalf("%s %s: %d %s", method, path, status, resp)
	}
	return resp
}

// fixture names for one run; a random prefix keeps runs (and engineers)
// apart on a shared node.
type fixture struct {
	a, b, c, join, alias string
}

const canary = "CANARY"

func newFixture(t *testing.T, c *cluster) fixture {
	var r [4]byte
	_, _ = rand.Read(r[:])
	p := "dlstest-" + hex.EncodeToString(r[:]) + "-"
	f := fixture{a: p + "a", b: p + "b", c: p + "c", join: p + "join", alias: p + "all"}
	t.Cleanup(func() { c.do("DELETE", "/"+p+"*", nil) })
	mapping := `{"settings":{"number_of_shards":1,"number_of_replicas":0},"mappings":{"properties":{
		"tenant":{"type":"keyword"},"owner":{"type":"keyword"},"group":{"type":"keyword"},"msg":{"type":"text"}}}}`
	for _, ix := range []string{f.a, f.b, f.c} {
		c.must("PUT", "/"+ix, mapping)
	}
	c.must("PUT", "/"+f.join, `{"settings":{"number_of_shards":1,"number_of_replicas":0},"mappings":{"properties":{
		"tenant":{"type":"keyword"},"msg":{"type":"text"},"rel":{"type":"join","relations":{"question":"answer"}}}}}`)
	docs := []struct{ index, id, routing, doc string }{
		{f.a, "a1", "", `{"tenant":"acme","owner":"alice","group":"g1","msg":"hello visible a1"}`},
		{f.a, "a2", "", `{"tenant":"acme","owner":"bob","group":"g2","msg":"hello visible a2"}`},
		{f.a, "a3", "", `{"tenant":"globex","owner":"alice","group":"g1","msg":"CANARY-A3 secret hello"}`},
		{f.b, "b1", "", `{"tenant":"acme","owner":"alice","group":"g1","msg":"hello visible b1"}`},
		{f.b, "b2", "", `{"tenant":"acme","owner":"bob","group":"g3","msg":"CANARY-B2 secret hello"}`},
		{f.c, "c1", "", `{"tenant":"acme","owner":"alice","group":"g1","msg":"CANARY-C1 unknown index"}`},
		{f.join, "q1", "", `{"tenant":"acme","msg":"visible question","rel":"question"}`},
		{f.join, "q2", "", `{"tenant":"globex","msg":"CANARY-Q2 hidden question","rel":"question"}`},
		{f.join, "ans1", "q1", `{"tenant":"globex","msg":"zebraquark CANARY-ANS1","rel":{"name":"answer","parent":"q1"}}`},
		{f.join, "ans2", "q2", `{"tenant":"acme","msg":"visible answer","rel":{"name":"answer","parent":"q2"}}`},
		{f.join, "ans3", "q1", `{"tenant":"acme","msg":"another visible answer","rel":{"name":"answer","parent":"q1"}}`},
	}
	var bulk strings.Builder
	for _, d := range docs {
		meta := map[string]any{"_index": d.index, "_id": d.id}
		if d.routing != "" {
			meta["routing"] = d.routing
		}
		line, _ := json.Marshal(map[string]any{"index": meta})
		bulk.Write(line)
		bulk.WriteString("\n" + d.doc + "\n")
	}
	if resp := c.must("POST", "/_bulk?refresh=true", bulk.String()); bytes.Contains(resp, []byte(`"errors":true`)) {
		t.Fatalf("bulk: %s", resp)
	}
	c.must("POST", "/_aliases", `{"actions":[{"add":{"index":"`+f.a+`","alias":"`+f.alias+`"}},{"add":{"index":"`+f.b+`","alias":"`+f.alias+`"}}]}`)
	return f
}

// roles are alice's DLS: tenant acme on a and join, her own documents on
// b (a template), nothing known about c.
func (f fixture) decision(indices ...string) []IndexDLS {
	queries := map[string][]string{
		f.a:    {`{"term":{"tenant":"acme"}}`},
		f.b:    {`{"template":{"source":{"term":{"owner":"{{_user.username}}"}}}}`},
		f.join: {`"{\"term\": {\"tenant\": \"acme\"}}"`},
	}
	out := make([]IndexDLS, len(indices))
	for i, ix := range indices {
		out[i] = IndexDLS{Index: ix, Queries: raws(queries[ix]...)}
	}
	return out
}

type searchResult struct {
	Hits struct {
		Total struct{ Value int } `json:"total"`
		Hits  []struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		} `json:"hits"`
	} `json:"hits"`
	Count   int  `json:"count"`
	Matched bool `json:"matched"`
	Valid   bool `json:"valid"`
	Deleted int  `json:"deleted"`
}

func ids(r searchResult) []string {
	var out []string
	for _, h := range r.Hits.Hits {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out
}

func TestClusterDLS(t *testing.T) {
	c := &cluster{t: t, base: clusterURL(t), http: &http.Client{Timeout: 30 * time.Second}}
	f := newFixture(t, c)
	cache := NewCache(64)
	alice := User{Username: "alice", Roles: []string{"reader"}}

	// The control: without the proxy's rewriting every canary is there.
	if raw := c.must("POST", "/"+f.alias+","+f.join+"/_search?size=50", `{"query":{"match_all":{}}}`); bytes.Count(raw, []byte(canary)) < 4 {
		t.Fatalf("fixture is missing its hidden documents: %s", raw)
	}

	tests := []struct {
		name     string
		kind     BodyKind
		method   string
		path     string // index part and API, with query string
		body     string
		decision []string
		check    func(t *testing.T, r searchResult, raw []byte)
	}{
		{
			name: "per-index DLS through an alias", kind: Search, method: "POST",
			path: "/" + f.alias + "/_search?size=50", body: `{"query":{"match_all":{}}}`, decision: []string{f.a, f.b},
			check: func(t *testing.T, r searchResult, _ []byte) {
				if got := ids(r); !slices.Equal(got, []string{"a1", "a2", "b1"}) || r.Hits.Total.Value != 3 {
					t.Fatalf("hits = %v (total %d), want a1 a2 b1", got, r.Hits.Total.Value)
				}
			},
		},
		{
			name: "should with minimum_should_match cannot widen", kind: Search, method: "POST",
			path: "/" + f.alias + "/_search", body: `{"query":{"bool":{"should":[{"term":{"tenant":"globex"}},{"term":{"owner":"bob"}}],"minimum_should_match":1}}}`, decision: []string{f.a, f.b},
			check: func(t *testing.T, r searchResult, _ []byte) {
				if got := ids(r); !slices.Equal(got, []string{"a2"}) {
					t.Fatalf("hits = %v, want a2", got)
				}
			},
		},
		{
			name: "q in the URL is moved under the wrapper", kind: Search, method: "POST",
			path: "/" + f.alias + "/_search?q=msg:secret", body: `{"query":{"match_none":{}}}`, decision: []string{f.a, f.b},
			check: func(t *testing.T, r searchResult, _ []byte) {
				if r.Hits.Total.Value != 0 {
					t.Fatalf("total = %d, want 0", r.Hits.Total.Value)
				}
			},
		},
		{
			name: "an index the decision did not know matches nothing", kind: Search, method: "POST",
			path: "/" + f.a + "," + f.b + "," + f.c + "/_search?size=50", body: ``, decision: []string{f.a},
			check: func(t *testing.T, r searchResult, _ []byte) {
				if got := ids(r); !slices.Equal(got, []string{"a1", "a2"}) {
					t.Fatalf("hits = %v, want a1 a2", got)
				}
			},
		},
		{
			name: "terms aggregations and totals", kind: Search, method: "POST",
			path: "/" + f.alias + "/_search", body: `{"size":0,"track_total_hits":true,"aggs":{"t":{"terms":{"field":"tenant"}},"g":{"terms":{"field":"group","size":50}},"o":{"terms":{"field":"owner"}}}}`, decision: []string{f.a, f.b},
			check: func(t *testing.T, r searchResult, raw []byte) {
				if r.Hits.Total.Value != 3 || bytes.Contains(raw, []byte("globex")) || bytes.Contains(raw, []byte(`"g3"`)) {
					t.Fatalf("aggregations leak: %s", raw)
				}
			},
		},
		{
			name: "significant_terms background is scoped", kind: Search, method: "POST",
			path: "/" + f.alias + "/_search", body: `{"size":0,"query":{"term":{"owner":"alice"}},"aggs":{"s":{"significant_terms":{"field":"group","min_doc_count":1}}}}`, decision: []string{f.a, f.b},
			check: func(t *testing.T, r searchResult, raw []byte) {
				var agg struct {
					Aggregations struct {
						S struct {
							BgCount int `json:"bg_count"`
						} `json:"s"`
					} `json:"aggregations"`
				}
				if err := json.Unmarshal(raw, &agg); err != nil || agg.Aggregations.S.BgCount > 3 || bytes.Contains(raw, []byte(`"g3"`)) {
					t.Fatalf("background set counts hidden documents: %s", raw)
				}
			},
		},
		{
			name: "collapse inner_hits, highlight, post_filter, sort", kind: Search, method: "POST",
			path: "/" + f.alias + "/_search", body: `{"query":{"match":{"msg":"hello secret"}},"collapse":{"field":"group","inner_hits":{"name":"all","size":10}},
				"highlight":{"fields":{"msg":{}},"highlight_query":{"match":{"msg":"secret"}}},"post_filter":{"match_all":{}},"sort":["_score",{"owner":"asc"}]}`, decision: []string{f.a, f.b},
			check: func(t *testing.T, r searchResult, raw []byte) {
				// One hit per visible group (g1: a1 or b1, g2: a2); g3 (b2) is hidden.
				if len(r.Hits.Hits) != 2 || bytes.Contains(raw, []byte(`"g3"`)) {
					t.Fatalf("hits = %v: %s", ids(r), raw)
				}
			},
		},
		{
			name: "rescore", kind: Search, method: "POST",
			path: "/" + f.alias + "/_search", body: `{"query":{"match":{"msg":"hello"}},"rescore":{"window_size":10,"query":{"rescore_query":{"match":{"msg":"secret"}}}}}`, decision: []string{f.a, f.b},
			check: func(t *testing.T, r searchResult, _ []byte) {
				if got := ids(r); !slices.Equal(got, []string{"a1", "a2", "b1"}) {
					t.Fatalf("hits = %v, want a1 a2 b1", got)
				}
			},
		},
		{
			name: "has_child does not see hidden children", kind: Search, method: "POST",
			path: "/" + f.join + "/_search", body: `{"query":{"has_child":{"type":"answer","query":{"match":{"msg":"zebraquark"}},"inner_hits":{}}}}`, decision: []string{f.join},
			check: func(t *testing.T, r searchResult, _ []byte) {
				if r.Hits.Total.Value != 0 {
					t.Fatalf("a parent matched through a hidden child: %v", ids(r))
				}
			},
		},
		{
			name: "has_parent does not see hidden parents", kind: Search, method: "POST",
			path: "/" + f.join + "/_search", body: `{"query":{"has_parent":{"parent_type":"question","query":{"match":{"msg":"hidden"}},"inner_hits":{}}}}`, decision: []string{f.join},
			check: func(t *testing.T, r searchResult, _ []byte) {
				if r.Hits.Total.Value != 0 {
					t.Fatalf("a child matched through a hidden parent: %v", ids(r))
				}
			},
		},
		{
			name: "has_child over visible children still works", kind: Search, method: "POST",
			path: "/" + f.join + "/_search", body: `{"query":{"has_child":{"type":"answer","query":{"match_all":{}},"inner_hits":{}}}}`, decision: []string{f.join},
			check: func(t *testing.T, r searchResult, raw []byte) {
				// q1 through its visible child ans3; q2 (hidden) not even
				// through its visible child ans2.
				if got := ids(r); !slices.Equal(got, []string{"q1"}) || !bytes.Contains(raw, []byte(`"ans3"`)) {
					t.Fatalf("hits = %v: %s", got, raw)
				}
			},
		},
		{
			name: "count", kind: Count, method: "POST",
			path: "/" + f.alias + "/_count", body: `{"query":{"match_all":{}}}`, decision: []string{f.a, f.b},
			check: func(t *testing.T, r searchResult, _ []byte) {
				if r.Count != 3 {
					t.Fatalf("count = %d, want 3", r.Count)
				}
			},
		},
		{
			name: "count with q and no body", kind: Count, method: "GET",
			path: "/" + f.alias + "/_count?q=owner:alice", body: "", decision: []string{f.a, f.b},
			check: func(t *testing.T, r searchResult, _ []byte) {
				if r.Count != 2 {
					t.Fatalf("count = %d, want 2 (a1, b1)", r.Count)
				}
			},
		},
		{
			name: "explain of a hidden document does not match", kind: Explain, method: "POST",
			path: "/" + f.a + "/_explain/a3", body: `{"query":{"match_all":{}}}`, decision: []string{f.a},
			check: func(t *testing.T, r searchResult, _ []byte) {
				if r.Matched {
					t.Fatal("hidden document matched")
				}
			},
		},
		{
			name: "validate", kind: ValidateQuery, method: "POST",
			path: "/" + f.alias + "/_validate/query", body: `{"query":{"match":{"msg":"x"}}}`, decision: []string{f.a, f.b},
			check: func(t *testing.T, r searchResult, _ []byte) {
				if !r.Valid {
					t.Fatal("wrapped query is not valid")
				}
			},
		},
		{
			name: "delete by query removes no hidden document", kind: DeleteByQuery, method: "POST",
			path: "/" + f.a + "/_delete_by_query?refresh=true", body: `{"query":{"match":{"msg":"secret"}}}`, decision: []string{f.a},
			check: func(t *testing.T, r searchResult, raw []byte) {
				if r.Deleted != 0 {
					t.Fatalf("deleted %d hidden documents: %s", r.Deleted, raw)
				}
				if status, _ := c.do("GET", "/"+f.a+"/_doc/a3", nil); status != 200 {
					t.Fatal("hidden document is gone")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			path, query, _ := strings.Cut(tt.path, "?")
			values, err := url.ParseQuery(query)
			if err != nil {
				t.Fatal(err)
			}
			var body *esbody.Object
			if tt.body != "" {
				body = mustObject(t, tt.body)
			}
			filter, err := cache.Filter(alice, f.decision(tt.decision...))
			if err != nil {
				t.Fatal(err)
			}
			body, consumed, err := ApplyURLQuery(tt.kind, body, values)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range consumed {
				values.Del(p)
			}
			wrapped, err := Wrap(tt.kind, body, filter)
			if err != nil {
				t.Fatal(err)
			}
			target := path
			if len(values) > 0 {
				target += "?" + values.Encode()
			}
			status, raw := c.do(tt.method, target, []byte(encode(t, wrapped)))
			if status != 200 {
				t.Fatalf("%s %s: %d %s", tt.method, target, status, raw)
			}
			if bytes.Contains(raw, []byte(canary)) {
				t.Fatalf("response holds a canary: %s", raw)
			}
			var r searchResult
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatalf("response: %v: %s", err, raw)
			}
			tt.check(t, r, raw)
		})
	}
}

// TestClusterIndexTerms records how the node reads terms on _index, the
// reason Filter accepts concrete index names only: an alias name and a
// wildcard pattern both match the documents of the indices behind them.
func TestClusterIndexTerms(t *testing.T) {
	c := &cluster{t: t, base: clusterURL(t), http: &http.Client{Timeout: 30 * time.Second}}
	f := newFixture(t, c)
	count := func(names ...string) int {
		terms, _ := json.Marshal(names)
		var r searchResult
		raw := c.must("POST", "/"+f.alias+"/_count", `{"query":{"terms":{"_index":`+string(terms)+`}}}`)
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		return r.Count
	}
	if n := count(f.a); n != 3 {
		t.Fatalf("terms on a concrete name through the alias: %d, want 3", n)
	}
	if n := count(f.a + "x"); n != 0 {
		t.Fatalf("terms on an unknown name: %d, want 0", n)
	}
	alias, pattern := count(f.alias), count(strings.TrimSuffix(f.a, "a")+"*")
	t.Logf("terms on _index: alias name matches %d documents, pattern %d (of 5)", alias, pattern)
	if alias == 0 && pattern == 0 {
		t.Log("this node resolves neither aliases nor patterns in _index terms")
	}
	for _, name := range []string{f.alias, "dlstest-*"} {
		if _, err := Filter([]IndexDLS{{Index: name, Queries: raws(acme)}}); err == nil && strings.Contains(name, "*") {
			t.Fatalf("Filter accepted the pattern %s", name)
		}
	}
}

// TestClusterMustacheConformance renders templates with the proxy and with
// the node's lang-mustache (_render/template) and compares the results,
// for the constructs where the proxy follows Elasticsearch exactly. Nodes
// without lang-mustache skip it.
func TestClusterMustacheConformance(t *testing.T) {
	c := &cluster{t: t, base: clusterURL(t), http: &http.Client{Timeout: 30 * time.Second}}
	templates := []string{
		`{"term":{"owner":"{{_user.username}}"}}`,
		`{"terms":{"group":{{#toJson}}_user.metadata.groups{{/toJson}}}}`,
		`{"term":{"x":"{{#join}}_user.metadata.groups{{/join}}"}}`,
		`{"term":{"x":"{{#join delimiter=' - '}}_user.roles{{/join delimiter=' - '}}"}}`,
		`{"term":{"x":"{{_user.roles.size}}:{{_user.roles.0}}:{{_user.metadata.nested.dept}}"}}`,
		`{"terms":{"x":[{{#_user.roles}}"{{.}}",{{/_user.roles}}"end"]}}`,
		`{"term":{"x":"{{^_user.metadata.missing}}none{{/_user.metadata.missing}}{{#_user.metadata.off}}on{{/_user.metadata.off}}"}}`,
		`{"term":{"x":"{{_user.metadata.quote}}"}}`,
		`{"term":{"x":"{{#url}}{{_user.full_name}}{{/url}}"}}`,
		`{"term":{"x":"{{#join}}_user.metadata.nope{{/join}}|{{#toJson}}_user.metadata.nope{{/toJson}}"}}`,
		`{"term":{"x":{{_user.metadata.level}}}}`,
	}
	u := User{Username: "alice", FullName: "Alice Liddell", Roles: []string{"r1", "r2"}, Metadata: map[string]any{
		"groups": []any{"g1", "g2"}, "nested": map[string]any{"dept": "sales"}, "off": false,
		"quote": `say "hi" \ there`, "level": float64(3),
	}}
	model, err := u.model()
	if err != nil {
		t.Fatal(err)
	}
	params := single("_user", model)
	for _, src := range templates {
		req := single("source", esbody.String(src))
		req.Set("params", params)
		status, raw := c.do("POST", "/_render/template", []byte(encode(t, req)))
		if status == 400 || status == 404 || status == 405 {
			t.Skipf("node has no _render/template: %d %s", status, raw)
		}
		if status != 200 {
			t.Fatalf("%s: %d %s", src, status, raw)
		}
		theirs, _ := esbody.Lookup(mustParse(t, string(raw)), "template_output")
		ours, err := renderWith(t, src, "", u)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if !sameJSON(t, mustParse(t, ours), theirs) {
			t.Errorf("%s:\n proxy   %s\n cluster %s", src, ours, encode(t, theirs))
		}
	}
}

// sameJSON compares two values ignoring member order.
func sameJSON(t *testing.T, a, b esbody.Value) bool {
	var x, y any
	if json.Unmarshal([]byte(encode(t, a)), &x) != nil || json.Unmarshal([]byte(encode(t, b)), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// TestClusterJoinControl shows why has_child's inner query is wrapped too:
// with the DLS filter on the top-level query only, a visible parent is
// found through a hidden child, whose content inner_hits returns.
func TestClusterJoinControl(t *testing.T) {
	c := &cluster{t: t, base: clusterURL(t), http: &http.Client{Timeout: 30 * time.Second}}
	f := newFixture(t, c)
	filter, err := NewCache(4).Filter(User{Username: "alice"}, f.decision(f.join))
	if err != nil {
		t.Fatal(err)
	}
	inner := mustParse(t, `{"has_child":{"type":"answer","query":{"match":{"msg":"zebraquark"}},"inner_hits":{}}}`)
	topOnly := single("query", boolFilter(inner, filter))
	raw := c.must("POST", "/"+f.join+"/_search", encode(t, topOnly))
	if !bytes.Contains(raw, []byte("CANARY-ANS1")) {
		t.Fatalf("control: the top-level filter alone did not leak the hidden child: %s", raw)
	}
	wrapped, err := WrapSearch(mustObject(t, `{"query":`+encode(t, inner)+`}`), filter)
	if err != nil {
		t.Fatal(err)
	}
	if raw := c.must("POST", "/"+f.join+"/_search", encode(t, wrapped)); bytes.Contains(raw, []byte(canary)) {
		t.Fatalf("wrapped has_child leaks: %s", raw)
	}
}
