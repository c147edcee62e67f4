package flsquery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// The canaries of the real-cluster test: they live only in hidden fields.
const (
	canaryText   = "CANARYZ9"
	canarySalary = "7739901"
)

// clusterEnv names the variable holding the URL of a real, unsecured
// OpenSearch (or Elasticsearch) node on loopback, e.g.
// PORTCULLIS_TEST_OPENSEARCH=http://127.0.0.1:9261.
const clusterEnv = "PORTCULLIS_TEST_OPENSEARCH"

// cluster is a tiny JSON client for the real-cluster test.
type cluster struct {
	t    *testing.T
	base string
	http *http.Client
}

func (c *cluster) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
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
	return resp.StatusCode, string(b)
}

func (c *cluster) must(method, path, body string) string {
	c.t.Helper()
	status, resp := c.do(method, path, body)
	if status >= 300 {
		c.t.Fatalf("%s %s: %d %s", method, path, status, resp)
	}
	return resp
}

// searchResult is the part of a search response the test reads.
type searchResult struct {
	Hits struct {
		Total struct {
			Value int `json:"value"`
		} `json:"total"`
		Hits []struct {
			Index     string          `json:"_index"`
			ID        string          `json:"_id"`
			Score     *float64        `json:"_score"`
			Sort      []any           `json:"sort"`
			Highlight json.RawMessage `json:"highlight"`
		} `json:"hits"`
	} `json:"hits"`
}

func (s searchResult) ids() []string {
	var out []string
	for _, h := range s.Hits.Hits {
		out = append(out, h.ID)
	}
	return out
}

// TestRealCluster seeds an index whose hidden fields carry canaries and
// checks, on the real cluster, that rewritten searches never return them
// and never let them select, order, score or aggregate documents.
func TestRealCluster(t *testing.T) {
	base := os.Getenv(clusterEnv)
	if base == "" {
		t.Skip(clusterEnv + " is not set")
	}
	c := &cluster{t: t, base: strings.TrimSuffix(base, "/"), http: &http.Client{Timeout: 30 * time.Second}}
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	hiddenIx, visibleIx := "flsquery-hidden-"+suffix, "flsquery-visible-"+suffix
	mapping := `{"settings":{"number_of_shards":1,"number_of_replicas":0},"mappings":{"properties":{
		"tenant":{"type":"keyword"},"message":{"type":"text"},
		"secret":{"type":"text","fields":{"keyword":{"type":"keyword"}}},
		"salary":{"type":"long"},"loc":{"type":"geo_point"},
		"comments":{"type":"nested","properties":{"text":{"type":"text"}}}}}}`
	for _, ix := range []string{hiddenIx, visibleIx} {
		c.must(http.MethodPut, "/"+ix, mapping)
		t.Cleanup(func() { c.do(http.MethodDelete, "/"+ix, "") })
	}
	docs := []string{
		`{"tenant":"a","message":"hello one","secret":"` + canaryText + ` amber","salary":` + canarySalary + `1,"loc":"1,1","comments":[{"text":"` + canaryText + ` nested"}]}`,
		`{"tenant":"a","message":"hello two","secret":"` + canaryText + ` basalt","salary":` + canarySalary + `3,"loc":"2,2"}`,
		`{"tenant":"b","message":"hello three","secret":"` + canaryText + ` cobalt","salary":` + canarySalary + `2,"loc":"3,3"}`,
	}
	for _, ix := range []string{hiddenIx, visibleIx} {
		for i, d := range docs {
			c.must(http.MethodPut, "/"+ix+"/_doc/"+ix[:10]+strconv.Itoa(i+1)+"?refresh=true", d)
		}
	}
	leaves := []string{"tenant", "message", "secret", "secret.keyword", "salary", "loc", "comments.text"}
	hidden := &fakeView{mapped: leaves, grant: []string{"tenant", "message", "loc"}}
	visible := &fakeView{mapped: leaves, grant: []string{"*"}}
	scope := oneIndex(hiddenIx, hidden)

	// Positive controls: the data is there and the canaries are reachable
	// without the rewrite.
	var control searchResult
	decode(t, c.must(http.MethodPost, "/"+hiddenIx+"/_search", `{"query":{"match":{"secret":"amber"}}}`), &control)
	if control.Hits.Total.Value != 1 {
		t.Fatalf("control: the canary document is not found without rewriting: %+v", control)
	}
	var natural searchResult
	decode(t, c.must(http.MethodPost, "/"+hiddenIx+"/_search", `{"_source":false,"sort":["_doc"]}`), &natural)

	search := func(t *testing.T, scope Scope, indices, body string) (int, string, searchResult) {
		t.Helper()
		o, err := esbody.ParseObject([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		out, err := Rewrite(o, scope)
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		out.Set("_source", esbody.Bool(false))
		raw, _ := esbody.Encode(out)
		status, resp := c.do(http.MethodPost, "/"+indices+"/_search", string(raw))
		for _, canary := range []string{canaryText, canarySalary, "amber", "basalt", "cobalt"} {
			if strings.Contains(resp, canary) {
				t.Fatalf("canary %q in the response to %s:\n%s", canary, raw, resp)
			}
		}
		var res searchResult
		if status < 300 {
			decode(t, resp, &res)
		}
		return status, resp, res
	}

	matchNothing := []string{
		`{"query":{"match":{"secret":"amber"}}}`,
		`{"query":{"term":{"secret.keyword":"` + canaryText + ` amber"}}}`,
		`{"query":{"exists":{"field":"secret"}}}`,
		`{"query":{"range":{"salary":{"gte":0}}}}`,
		`{"query":{"prefix":{"secret":"amb"}}}`,
		`{"query":{"wildcard":{"secret.keyword":"*"}}}`,
		`{"query":{"query_string":{"query":"secret:amber"}}}`,
		`{"query":{"query_string":{"query":"_exists_:secret"}}}`,
		`{"query":{"query_string":{"query":"secre\\*:amber"}}}`,
		`{"query":{"query_string":{"query":"amber"}}}`,
		`{"query":{"query_string":{"query":"secret","default_field":"_exists_"}}}`,
		`{"query":{"multi_match":{"query":"amber"}}}`,
		`{"query":{"simple_query_string":{"query":"basalt"}}}`,
		`{"query":{"more_like_this":{"like":"amber basalt cobalt","min_term_freq":1,"min_doc_freq":1}}}`,
		`{"query":{"nested":{"path":"comments","query":{"match":{"comments.text":"nested"}}}}}`,
		`{"query":{"geo_distance":{"distance":"10000km","salary":"1,1"}}}`,
		`{"query":{"span_term":{"secret":"amber"}}}`,
		`{"query":{"intervals":{"message":{"match":{"query":"amber","use_field":"secret"}}}}}`,
	}
	for _, body := range matchNothing {
		t.Run("match nothing "+body, func(t *testing.T) {
			status, resp, res := search(t, scope, hiddenIx, body)
			if status != http.StatusOK || res.Hits.Total.Value != 0 {
				t.Fatalf("status %d, %d hits, want 200 and none: %s", status, res.Hits.Total.Value, resp)
			}
		})
	}

	t.Run("visible query still works", func(t *testing.T) {
		_, resp, res := search(t, scope, hiddenIx, `{"query":{"query_string":{"query":"hello"}}}`)
		if res.Hits.Total.Value != 3 {
			t.Fatalf("got %d hits, want 3: %s", res.Hits.Total.Value, resp)
		}
	})
	t.Run("query_string star matches all", func(t *testing.T) {
		_, resp, res := search(t, scope, hiddenIx, `{"query":{"query_string":{"query":"*"}}}`)
		if res.Hits.Total.Value != 3 {
			t.Fatalf("got %d hits, want 3: %s", res.Hits.Total.Value, resp)
		}
	})
	t.Run("aggregations see nothing", func(t *testing.T) {
		status, resp, _ := search(t, scope, hiddenIx, `{"size":0,"aggs":{
			"t":{"terms":{"field":"secret.keyword"}},"m":{"max":{"field":"salary"}},
			"p":{"percentiles":{"field":"salary"}},"c":{"cardinality":{"field":"salary"}},
			"h":{"histogram":{"field":"salary","interval":1}},"n":{"nested":{"path":"comments"}},
			"top":{"top_hits":{"_source":false,"sort":[{"salary":"desc"}],"docvalue_fields":["salary"]}}}}`)
		if status != http.StatusOK || strings.Contains(resp, `"key"`) || strings.Contains(resp, `"doc_count":1`) {
			t.Fatalf("status %d, hidden values aggregated: %s", status, resp)
		}
	})
	t.Run("sort leaves the natural order", func(t *testing.T) {
		_, resp, res := search(t, scope, hiddenIx, `{"sort":[{"salary":"desc"},"_doc"]}`)
		if !slices.Equal(res.ids(), natural.ids()) {
			t.Fatalf("order %v, want the natural %v: %s", res.ids(), natural.ids(), resp)
		}
	})
	t.Run("score oracle flattened", func(t *testing.T) {
		_, resp, res := search(t, scope, hiddenIx,
			`{"query":{"function_score":{"query":{"match_all":{}},"field_value_factor":{"field":"salary","missing":1},"boost_mode":"replace"}}}`)
		for _, h := range res.Hits.Hits {
			if h.Score == nil || *h.Score != 1 {
				t.Fatalf("score follows the hidden salary: %s", resp)
			}
		}
	})
	t.Run("highlight", func(t *testing.T) {
		_, resp, res := search(t, scope, hiddenIx,
			`{"query":{"match":{"message":"hello"}},"highlight":{"require_field_match":false,"fields":{"*":{},"secret":{}}}}`)
		if res.Hits.Total.Value != 3 || strings.Contains(resp, `"secret"`) {
			t.Fatalf("hidden field highlighted: %s", resp)
		}
	})
	t.Run("collapse and suggest fail like a missing field", func(t *testing.T) {
		for _, body := range []string{
			`{"collapse":{"field":"secret.keyword"}}`,
			`{"suggest":{"s":{"text":"ambr","term":{"field":"secret"}}}}`,
		} {
			status, resp, _ := search(t, scope, hiddenIx, body)
			if status != http.StatusBadRequest || !strings.Contains(resp, NeutralField) {
				t.Fatalf("%s: status %d, want the cluster's 400 on the neutral field: %s", body, status, resp)
			}
		}
	})
	t.Run("split per view", func(t *testing.T) {
		two := Scope{Indices: []IndexFields{{Index: hiddenIx, Fields: hidden}, {Index: visibleIx, Fields: visible}}}
		body := `{"query":{"match":{"secret":"amber"}}}`
		o, _ := esbody.ParseObject([]byte(body))
		out, err := Rewrite(o, two)
		if err != nil {
			t.Fatal(err)
		}
		out.Set("_source", esbody.Bool(false))
		raw, _ := esbody.Encode(out)
		var res searchResult
		decode(t, c.must(http.MethodPost, "/"+hiddenIx+","+visibleIx+"/_search", string(raw)), &res)
		if res.Hits.Total.Value != 1 || res.Hits.Hits[0].Index != visibleIx {
			t.Fatalf("want only the visible index's document, got %+v", res.Hits.Hits)
		}
	})
}

func decode(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.NewDecoder(bytes.NewReader([]byte(s))).Decode(v); err != nil {
		t.Fatalf("response: %v\n%s", err, fmt.Sprint(s))
	}
}
