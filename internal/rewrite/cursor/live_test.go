package cursor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// liveCluster is a real OpenSearch node for TestLiveOpenSearch, from
// E2E_OPENSEARCH_URL (e.g. http://127.0.0.1:9271 after
// `OPENSEARCH_PORT=9271 scripts/opensearch.sh start`).
type liveCluster struct {
	t    *testing.T
	base string
}

func (c liveCluster) do(method, path string, body []byte) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// ok runs a request that must succeed and returns its body.
func (c liveCluster) ok(method, path string, body []byte) []byte {
	c.t.Helper()
	status, out := c.do(method, path, body)
	if status/100 != 2 {
		c.t.Fatalf("%s %s: %d %s", method, path, status, out)
	}
	return out
}

// rewrite runs a response through RewriteIDs.
func rewrite(t *testing.T, resp []byte, fields []Field, replace ReplaceFunc) string {
	t.Helper()
	var out bytes.Buffer
	if err := RewriteIDs(&out, bytes.NewReader(resp), fields, replace); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestLiveOpenSearch runs the whole cursor protocol against a real
// cluster: two owners, scroll and point in time, continuation, "_all"
// restricted to the caller's own cursors.
func TestLiveOpenSearch(t *testing.T) {
	base := os.Getenv("E2E_OPENSEARCH_URL")
	if base == "" {
		t.Skip("E2E_OPENSEARCH_URL not set")
	}
	c := liveCluster{t: t, base: strings.TrimRight(base, "/")}
	index := fmt.Sprintf("cursor-live-%d", time.Now().UnixNano())
	c.ok("PUT", "/"+index, []byte(`{"settings":{"number_of_shards":2,"number_of_replicas":0}}`))
	t.Cleanup(func() { c.do("DELETE", "/"+index, nil) })
	var bulk strings.Builder
	for i := range 10 {
		fmt.Fprintf(&bulk, "{\"index\":{\"_id\":\"%d\"}}\n{\"n\":%d,\"_scroll_id\":\"doc\"}\n", i, i)
	}
	c.ok("POST", "/"+index+"/_bulk?refresh=true", []byte(bulk.String()))

	b := newTestBinder(t, "live")
	reg := NewMemoryRegistry(RegistryLimits{}, nil)
	aliceIs := &issuer{b: b, reg: reg, binding: bindingFor(alice, index), keep: time.Minute}
	bobIs := &issuer{b: b, reg: reg, binding: bindingFor(bob, index), keep: time.Minute}

	t.Run("scroll", func(t *testing.T) {
		aliceTok := aliceIs.tokenIn(t, rewrite(t, c.ok("GET", "/"+index+"/_search?scroll=1m&size=3", nil), SearchFields(), aliceIs.replace))
		bobTok := bobIs.tokenIn(t, rewrite(t, c.ok("GET", "/"+index+"/_search?scroll=1m&size=3", nil), SearchFields(), bobIs.replace))

		// Body form.
		body := mustObject(t, `{"scroll":"1m","scroll_id":"`+aliceTok+`"}`)
		if _, err := b.RewriteScroll(alice, ScrollRequest{Body: body}); err != nil {
			t.Fatal(err)
		}
		page := rewrite(t, c.ok("POST", "/_search/scroll", []byte(encode(t, body))), SearchFields(), aliceIs.replace)
		if strings.Contains(page, aliceIs.upstream[aliceTok]) || !strings.Contains(page, `"hits":[{`) {
			t.Fatalf("second page %s", page)
		}
		// Path form.
		target, err := b.RewriteScroll(alice, ScrollRequest{PathID: aliceTok, Query: url.Values{"scroll": {"1m"}}})
		if err != nil {
			t.Fatal(err)
		}
		c.ok("GET", "/_search/scroll/"+url.PathEscape(target.PathID)+"?scroll=1m", nil)
		// Bob cannot continue alice's scroll.
		if _, err := b.RewriteScroll(bob, ScrollRequest{Body: mustObject(t, `{"scroll_id":"`+aliceTok+`"}`)}); !errors.Is(err, ErrNotOwner) {
			t.Fatal("bob continued alice's scroll")
		}

		// Alice clears _all: only her scroll goes.
		clear, err := b.RewriteClearScroll(alice, ScrollRequest{PathID: "_all"})
		if err != nil || !clear.All {
			t.Fatalf("%+v %v", clear, err)
		}
		held, _ := reg.List(context.Background(), alice, KindScroll)
		ids := UpstreamIDs(held)
		freed := c.ok("DELETE", "/_search/scroll", []byte(encode(t, ClearScrollBody(ids))))
		if !strings.Contains(string(freed), `"succeeded":true`) {
			t.Fatalf("clear: %s", freed)
		}
		_ = reg.Remove(context.Background(), alice, KindScroll, ids...)
		if status, _ := c.do("POST", "/_search/scroll", []byte(`{"scroll_id":"`+aliceIs.upstream[aliceTok]+`"}`)); status != http.StatusNotFound {
			t.Fatalf("alice's scroll still alive: %d", status)
		}
		bobBody := mustObject(t, `{"scroll_id":"`+bobTok+`"}`)
		if _, err := b.RewriteScroll(bob, ScrollRequest{Body: bobBody}); err != nil {
			t.Fatal(err)
		}
		c.ok("POST", "/_search/scroll", []byte(encode(t, bobBody)))
		c.do("DELETE", "/_search/scroll", []byte(encode(t, ClearScrollBody([]string{bobIs.upstream[bobTok]}))))
	})

	t.Run("point in time", func(t *testing.T) {
		aliceTok := aliceIs.tokenIn(t, rewrite(t, c.ok("POST", "/"+index+"/_search/point_in_time?keep_alive=1m", nil), CreatePITFields(), aliceIs.replace))
		bobTok := bobIs.tokenIn(t, rewrite(t, c.ok("POST", "/"+index+"/_search/point_in_time?keep_alive=1m", nil), CreatePITFields(), bobIs.replace))

		search := mustObject(t, `{"size":2,"pit":{"id":"`+aliceTok+`","keep_alive":"1m"},"sort":[{"n":"asc"}]}`)
		if _, err := b.RewriteSearchPIT(alice, search); err != nil {
			t.Fatal(err)
		}
		page := rewrite(t, c.ok("POST", "/_search", []byte(encode(t, search))), SearchFields(), aliceIs.replace)
		if strings.Contains(page, aliceIs.upstream[aliceTok]) {
			t.Fatalf("pit search leaks the cluster id: %s", page)
		}

		// GET _search/point_in_time/_all shows alice only her own.
		held, _ := reg.List(context.Background(), alice, KindPIT)
		own := TokensByUpstreamID(held)
		var listed bytes.Buffer
		err := FilterAllPITs(&listed, bytes.NewReader(c.ok("GET", "/_search/point_in_time/_all", nil)),
			func(id string) (string, bool) { tok, ok := own[id]; return tok, ok })
		if err != nil {
			t.Fatal(err)
		}
		list, err := esbody.ParseObject(listed.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		pits, _ := esbody.Lookup(list, "pits")
		if arr, _ := esbody.AsArray(pits); len(arr) != 1 || strings.Contains(listed.String(), bobTok) {
			t.Fatalf("alice's PIT list: %s", listed.String())
		}

		// DELETE _search/point_in_time/_all deletes alice's only.
		resp := c.ok("DELETE", "/_search/point_in_time", []byte(encode(t, PITIDsBody(UpstreamIDs(held)))))
		deleted := rewrite(t, resp, DeletePITFields(), func(_ Kind, id string) (string, error) {
			if tok, ok := own[id]; ok {
				return tok, nil
			}
			return "", fmt.Errorf("unexpected id %s", id)
		})
		if !strings.Contains(deleted, `"pit_id":"`) || strings.Contains(deleted, aliceIs.upstream[aliceTok]) {
			t.Fatalf("delete response %s", deleted)
		}
		bobSearch := mustObject(t, `{"size":1,"pit":{"id":"`+bobTok+`"}}`)
		if _, err := b.RewriteSearchPIT(bob, bobSearch); err != nil {
			t.Fatal(err)
		}
		c.ok("POST", "/_search", []byte(encode(t, bobSearch)))
		c.do("DELETE", "/_search/point_in_time", []byte(encode(t, PITIDsBody([]string{bobIs.upstream[bobTok]}))))
	})
}
