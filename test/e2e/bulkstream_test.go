package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// bulkGen generates a _bulk body item by item, never more than one item in
// memory: items whose position is a multiple of every go to allowed, the
// others to denied with a canary in their (padded) documents.
type bulkGen struct {
	items, every     int
	allowed, denied  string
	canary           string
	pad              string
	pos              int
	cur              []byte
	malformedLastRow bool
}

func (g *bulkGen) isAllowed(pos int) bool { return pos%g.every == 0 }

func (g *bulkGen) item(pos int) []byte {
	if g.malformedLastRow && pos == g.items-1 {
		return fmt.Appendf(g.cur[:0], "{\"index\":{\"_index\":%q}}\n{\"text\":\n", g.allowed)
	}
	idx, doc := g.denied, g.canary+" "+g.pad // canary and pad are plain ASCII: no escaping needed
	if g.isAllowed(pos) {
		idx, doc = g.allowed, "allowed"
	}
	return fmt.Appendf(g.cur[:0], "{\"index\":{\"_index\":\"%s\",\"_id\":\"d%d\"}}\n{\"n\":%d,\"text\":\"%s\"}\n", idx, pos, pos, doc)
}

func (g *bulkGen) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(g.cur) == 0 {
			if g.pos == g.items {
				break
			}
			g.cur = g.item(g.pos)
			g.pos++
		}
		c := copy(p[n:], g.cur)
		g.cur, n = g.cur[c:], n+c
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// size is the body's length, computed without holding it.
func (g bulkGen) size() int64 {
	var total int64
	for pos := range g.items {
		b := g.item(pos)
		total += int64(len(b))
		g.cur = b[:0]
	}
	return total
}

// peakRSS is the proxy process's peak resident set (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// bulkItemResult is one item of a _bulk answer.
type bulkItemResult struct {
	Index  string `json:"_index"`
	ID     string `json:"_id"`
	Status int    `json:"status"`
	Error  *struct {
		Type string `json:"type"`
	} `json:"error"`
}

// checkBulkAnswer reads a _bulk answer item by item (it is large) and
// checks every item's place and status.
func checkBulkAnswer(t *testing.T, body io.Reader, g *bulkGen) {
	t.Helper()
	dec := json.NewDecoder(bufio.NewReader(body))
	tok := func() json.Token {
		tk, err := dec.Token()
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		return tk
	}
	tok() // {
	sawErrors, pos := false, 0
	for dec.More() {
		switch key := tok(); key {
		case "errors":
			var v bool
			if err := dec.Decode(&v); err != nil || !v {
				t.Fatalf("errors: %v %v", v, err)
			}
			sawErrors = true
		case "items":
			tok() // [
			for ; dec.More(); pos++ {
				var item map[string]bulkItemResult
				if err := dec.Decode(&item); err != nil {
					t.Fatalf("item %d: %v", pos, err)
				}
				it := item["index"]
				want, wantIdx := 403, g.denied
				if g.isAllowed(pos) {
					want, wantIdx = 201, g.allowed
				}
				if it.Status != want || it.Index != wantIdx || it.ID != fmt.Sprintf("d%d", pos) {
					t.Fatalf("item %d: %+v, want %d on %s", pos, it, want, wantIdx)
				}
				if want == 403 && (it.Error == nil || it.Error.Type != "security_exception") {
					t.Fatalf("item %d: %+v is not a security_exception", pos, it)
				}
			}
			tok() // ]
		default:
			var skip json.RawMessage
			_ = dec.Decode(&skip)
		}
	}
	if !sawErrors || pos != g.items {
		t.Fatalf("errors %v, %d items of %d", sawErrors, pos, g.items)
	}
}

// TestBulkStreamedLarge: a 200 MB _bulk through the proxy is parsed and
// decided item by item with bounded memory; refused items come back as
// 403s in place and never reach the cluster; a malformed last line
// refuses the whole spooled request.
func TestBulkStreamedLarge(t *testing.T) {
	os_ := openSearchURL(t)
	o, u := superuserOpts(t, os_)
	o.MaxBody = 300 << 20
	o.Users += "writer:" + u.Password + "\n"
	o.UsersRoles += "e2e_bulk_writer:writer\n"
	o.Roles = "e2e_bulk_writer:\n  indices:\n    - names: [\"e2e-bulkok-*\"]\n      privileges: [read, write, create_index]\n"
	p := startProxy(t, o)
	p.waitReady()
	c := p.client(nil)
	n := time.Now().UnixNano()
	allowed, denied := fmt.Sprintf("e2e-bulkok-%d", n), fmt.Sprintf("e2e-bulkno-%d", n)
	for _, idx := range []string{allowed, denied} {
		if r := do(t, c, "PUT", p.URL+"/"+idx, u.Name, u.Password, nil, nil); r.Status != 200 {
			t.Fatalf("create %s: %d %s", idx, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+allowed+","+denied, u.Name, u.Password, nil, nil) })
	time.Sleep(300 * time.Millisecond) // metadata refresh after the creations
	canary := fmt.Sprintf("CANARY-BULKSTREAM-%d", n)
	gen := bulkGen{items: 100_000, every: 300, allowed: allowed, denied: denied, canary: canary, pad: strings.Repeat("p", 2000)}

	t.Run("malformed last line refuses everything", func(t *testing.T) {
		g := gen
		g.items, g.malformedLastRow = 5000, true
		r := sendBulk(t, c, p.URL, u.Password, &g, g.size())
		defer r.Body.Close()
		body, _ := io.ReadAll(r.Body)
		if r.StatusCode != 400 || bytes.Contains(body, []byte(canary)) {
			t.Fatalf("status %d: %s", r.StatusCode, body)
		}
		if cnt := countDocs(t, c, p.URL, u.Name, u.Password, allowed+","+denied); cnt != 0 {
			t.Fatalf("%d documents were indexed from a refused bulk", cnt)
		}
	})

	t.Run("200 MB", func(t *testing.T) {
		g := gen
		size := g.size()
		if size < 200<<20 {
			t.Fatalf("generated body has %d bytes", size)
		}
		base := peakRSS(t, p.cmd.Process.Pid)
		start := time.Now()
		r := sendBulk(t, c, p.URL, u.Password, &g, size)
		defer r.Body.Close()
		if r.StatusCode != 200 {
			body, _ := io.ReadAll(r.Body)
			t.Fatalf("status %d: %.2000s", r.StatusCode, body)
		}
		checkBulkAnswer(t, r.Body, &gen)
		elapsed := time.Since(start)
		rss := peakRSS(t, p.cmd.Process.Pid)
		t.Logf("bulk of %d bytes, %d items: %v (%.1f MB/s), proxy peak RSS %d MB (%d MB before the bulk)",
			size, g.items, elapsed.Round(time.Millisecond), float64(size)/(1<<20)/elapsed.Seconds(), rss>>20, base>>20)
		if rss > 120<<20 {
			t.Errorf("proxy peak RSS %d MB for a %d MB bulk: the body was held in memory", rss>>20, size>>20)
		}
		wantAllowed := (g.items + g.every - 1) / g.every
		if cnt := countDocs(t, c, p.URL, u.Name, u.Password, allowed); cnt != wantAllowed {
			t.Fatalf("%d allowed documents indexed, want %d", cnt, wantAllowed)
		}
		if cnt := countDocs(t, c, p.URL, u.Name, u.Password, denied); cnt != 0 {
			t.Fatalf("%d refused documents reached the cluster", cnt)
		}
		search := do(t, c, "GET", p.URL+"/_all/_search?q="+canary, u.Name, u.Password, nil, nil)
		if search.Status != 200 || strings.Contains(search.Body, canary) {
			t.Fatalf("canary search: %d %.500s", search.Status, search.Body)
		}
	})
}

func sendBulk(t *testing.T, c *http.Client, base, pass string, g *bulkGen, size int64) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), "POST", base+"/_bulk?refresh=true", g)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.SetBasicAuth("writer", pass)
	req.Header.Set("Content-Type", "application/x-ndjson")
	long := *c
	long.Timeout = 10 * time.Minute // the shared client's 30 s are too short for 200 MB
	resp, err := long.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func countDocs(t *testing.T, c *http.Client, base, user, pass, indices string) int {
	t.Helper()
	_ = do(t, c, "POST", base+"/"+indices+"/_refresh", user, pass, nil, nil)
	r := do(t, c, "GET", base+"/"+indices+"/_count", user, pass, nil, nil)
	var cnt struct {
		Count *int `json:"count"`
	}
	if err := json.Unmarshal([]byte(r.Body), &cnt); err != nil || r.Status != 200 || cnt.Count == nil {
		t.Fatalf("count %s: %d %s", indices, r.Status, r.Body)
	}
	return *cnt.Count
}

// TestBulkStreamedWriteDLS: write-side document-level security holds for
// spooled bulks (here streamed, chunked and gzip-compressed, so of unknown
// size): each document is read back from the spool and checked against
// the role query; refused documents never reach the cluster.
func TestBulkStreamedWriteDLS(t *testing.T) {
	f := startDLSFixture(t)
	const planted = "PLANTED-SPOOLED-BULK"
	bulk := `{"index":{"_id":"s1"}}` + "\n" + `{"tenant":"acme","message":"spooled"}` + "\n" +
		`{"index":{"_id":"s2"}}` + "\n" + `{"tenant":"globex","message":"` + planted + `"}` + "\n" +
		`{"create":{"_id":"s3"}}` + "\n" + `{"tenant":"initech","message":"` + planted + `"}` + "\n" +
		`{"delete":{"_id":"g1"}}` + "\n"
	tests := []struct {
		name string
		gzip bool
	}{{"chunked", false}, {"chunked gzip", true}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body bytes.Buffer
			hdr := map[string]string{"Content-Type": "application/x-ndjson"}
			if tc.gzip {
				zw := gzip.NewWriter(&body)
				_, _ = zw.Write([]byte(bulk))
				_ = zw.Close()
				hdr["Content-Encoding"] = "gzip"
			} else {
				body.WriteString(bulk)
			}
			// A reader of unknown length: sent chunked, hence spooled.
			r := do(t, f.c, "POST", f.p.URL+"/"+f.index+"/_bulk?refresh=true", "writer", f.pass, io.MultiReader(&body), hdr)
			var items struct {
				Errors bool `json:"errors"`
				Items  []map[string]struct {
					Status int `json:"status"`
				} `json:"items"`
			}
			if err := json.Unmarshal([]byte(r.Body), &items); err != nil || r.Status != 200 || !items.Errors || len(items.Items) != 4 {
				t.Fatalf("bulk: %d %s", r.Status, r.Body)
			}
			want := []int{201, 403, 403, 403}
			if tc.gzip {
				want[0] = 200 // s1 exists by now: updated
			}
			for i, it := range items.Items {
				for _, res := range it {
					if res.Status != want[i] {
						t.Errorf("item %d: status %d, want %d: %s", i, res.Status, want[i], r.Body)
					}
				}
			}
			s := do(t, f.c, "POST", f.p.URL+"/"+f.index+"/_search", f.su, f.pass, strings.NewReader(`{"query":{"match_phrase":{"message":"`+planted+`"}}}`), map[string]string{"Content-Type": "application/json"})
			if s.Status != 200 || strings.Contains(s.Body, planted) {
				t.Fatalf("a refused document reached the cluster: %d %s", s.Status, s.Body)
			}
		})
	}
}
