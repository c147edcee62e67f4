package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/filterpath"
)

// spoolItems spools n items (deletes and indexes alternately, of growing
// size) and returns the spool and each item's bytes.
func spoolItems(t *testing.T, n int, threshold int64) (*spooledBulk, [][]byte) {
	t.Helper()
	sb := &spooledBulk{sp: newSpool(SpoolOptions{ThresholdBytes: threshold, Dir: t.TempDir()})}
	t.Cleanup(func() { _ = sb.Close() })
	var want [][]byte
	for i := range n {
		lines := esbody.BulkLines{Action: []byte(fmt.Sprintf(`{"delete":{"_id":"%d"}}`, i))}
		if i%2 == 1 {
			lines.Action = []byte(fmt.Sprintf(`{"index":{"_id":"%d"}}`, i))
			lines.Source = []byte(fmt.Sprintf(`{"f":"%s"}`, strings.Repeat("x", i)))
		}
		item := append(append([]byte{}, lines.Action...), '\n')
		if lines.Source != nil {
			item = append(append(item, lines.Source...), '\n')
		}
		want = append(want, item)
		if err := sb.add(lines); err != nil {
			t.Fatal(err)
		}
	}
	if err := sb.sp.finish(); err != nil {
		t.Fatal(err)
	}
	return sb, want
}

// TestKeptReaderSkipsDeniedItems: the forwarded body is exactly the kept
// items, in order, with a matching Content-Length, from memory or disk.
func TestKeptReaderSkipsDeniedItems(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		denied []int
	}{
		{"none denied", 7, nil},
		{"first denied", 7, []int{0}},
		{"last denied", 7, []int{6}},
		{"runs", 9, []int{1, 2, 5, 8}},
		{"all but one", 5, []int{0, 1, 3, 4}},
		{"alternate", 10, []int{0, 2, 4, 6, 8}},
	}
	for _, tc := range tests {
		for _, threshold := range []int64{1 << 20, 16} {
			t.Run(fmt.Sprintf("%s/threshold=%d", tc.name, threshold), func(t *testing.T) {
				sb, items := spoolItems(t, tc.n, threshold)
				if sb.sp.onDisk() != (threshold == 16) {
					t.Fatalf("on disk: %v", sb.sp.onDisk())
				}
				var denied []deniedItem
				isDenied := map[int]bool{}
				for _, pos := range tc.denied {
					denied = append(denied, deniedItem{pos: pos})
					isDenied[pos] = true
				}
				var want []byte
				for pos, it := range items {
					if !isDenied[pos] {
						want = append(want, it...)
					}
				}
				r := httptest.NewRequest(http.MethodPost, "/_bulk", nil)
				sb.forward(r, "application/x-ndjson", denied)
				got, err := io.ReadAll(r.Body)
				if err != nil || !bytes.Equal(got, want) || r.ContentLength != int64(len(want)) {
					t.Fatalf("forwarded %q (length %d, %v), want %q", got, r.ContentLength, err, want)
				}
				again, _ := r.GetBody()
				if replay, _ := io.ReadAll(again); !bytes.Equal(replay, want) {
					t.Fatalf("replayed %q", replay)
				}
			})
		}
	}
}

// TestSpoolIsUnlinked: a spool that moved to disk leaves no file behind,
// even while it is open.
func TestSpoolIsUnlinked(t *testing.T) {
	dir := t.TempDir()
	sp := newSpool(SpoolOptions{ThresholdBytes: 4, Dir: dir})
	defer sp.Close()
	if _, err := sp.Write([]byte("canary-spool-0123456789")); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); !sp.onDisk() || len(entries) != 0 {
		t.Fatalf("on disk %v, directory holds %v", sp.onDisk(), entries)
	}
	if fi, err := sp.f.Stat(); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("spool file mode %v, %v", fi.Mode(), err)
	}
}

func TestSpoolWriteFailure(t *testing.T) {
	sp := newSpool(SpoolOptions{ThresholdBytes: 4, Dir: filepath.Join(t.TempDir(), "missing")})
	_, err := sp.Write([]byte("0123456789"))
	var e *eserr.Error
	if !errors.As(spoolRefusal(err), &e) || e.Status != http.StatusServiceUnavailable {
		t.Fatalf("writing to a missing directory: %v", err)
	}
}

// TestWithSourceReadsBack: write-side DLS gets the document back from the
// spool.
func TestWithSourceReadsBack(t *testing.T) {
	sb, _ := spoolItems(t, 4, 16)
	it, err := sb.withSource(3, esbody.BulkItem{Action: "index", Op: "index", ID: "3"})
	if err != nil {
		t.Fatal(err)
	}
	if src, _ := esbody.Encode(it.Source); string(src) != `{"f":"xxx"}` {
		t.Fatalf("source %s", src)
	}
}

func TestMergeStream(t *testing.T) {
	denied := func(pos ...int) []deniedItem {
		var out []deniedItem
		for _, p := range pos {
			out = append(out, deniedItem{pos: p, op: "index", index: "secret", status: 403, reason: "no"})
		}
		return out
	}
	tests := []struct {
		name     string
		upstream string // "" = nothing forwarded
		denied   []deniedItem
		total    int
		want     string // statuses of the items, in order
		wantErr  bool
	}{
		{"middle", `{"took":3,"errors":false,"items":[{"index":{"status":201}},{"index":{"status":201}}]}`, denied(1), 3, "201,403,201", false},
		{"ends", `{"took":3,"errors":false,"items":[{"index":{"status":201}}]}`, denied(0, 2), 3, "403,201,403", false},
		{"ingest_took kept", `{"took":3,"ingest_took":1,"errors":false,"items":[{"index":{"status":201}}]}`, denied(1), 2, "201,403", false},
		{"all refused", "", denied(0, 1), 2, "403,403", false},
		{"too few items", `{"took":3,"errors":false,"items":[]}`, denied(1), 3, "", true},
		{"too many items", `{"took":3,"errors":false,"items":[{"index":{"status":201}},{"index":{"status":201}}]}`, denied(1), 2, "", true},
		{"no items", `{"took":3,"errors":false}`, denied(0), 2, "", true},
		{"trailing data", `{"took":3,"errors":false,"items":[{"index":{"status":201}}]} {}`, denied(1), 2, "", true},
		{"truncated", `{"took":3,"errors":false,"items":[{"index":{"status":201}}`, denied(1), 2, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newBulkMerger(tc.denied, tc.total)
			var src io.Reader
			if tc.upstream != "" {
				src = strings.NewReader(tc.upstream)
			}
			var out bytes.Buffer
			err := m.mergeStream(src, &out)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("merged %s", out.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var resp struct {
				Errors     *bool `json:"errors"`
				IngestTook *int  `json:"ingest_took"`
				Items      []map[string]struct {
					Status int `json:"status"`
				} `json:"items"`
			}
			if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
				t.Fatalf("%v: %s", err, out.String())
			}
			var statuses []string
			for _, it := range resp.Items {
				statuses = append(statuses, fmt.Sprint(it["index"].Status))
			}
			if strings.Join(statuses, ",") != tc.want || resp.Errors == nil || !*resp.Errors {
				t.Fatalf("merged %s", out.String())
			}
			if strings.Contains(tc.upstream, "ingest_took") != (resp.IngestTook != nil) {
				t.Fatalf("ingest_took lost: %s", out.String())
			}
		})
	}
}

// TestMergeStreamFilterPath: the streamed merge of a large bulk applies
// the client's filter_path to the merged answer, as Beats and Logstash
// send it, refused items included.
func TestMergeStreamFilterPath(t *testing.T) {
	fp, err := filterpath.Compile("errors,items.*.error.type,items.*.status")
	if err != nil {
		t.Fatal(err)
	}
	m := newBulkMerger([]deniedItem{{pos: 1, op: "create", index: "secret", status: 403, reason: "no"}}, 3)
	m.after = fp
	var out bytes.Buffer
	src := strings.NewReader(`{"took":3,"errors":false,"items":[{"create":{"_index":"a","_id":"1","status":201}},{"create":{"_index":"a","_id":"2","status":201}}]}`)
	if err := m.mergeThenCut(&out, src); err != nil {
		t.Fatal(err)
	}
	want := `{"errors":true,"items":[{"create":{"status":201}},{"create":{"error":{"type":"security_exception"},"status":403}},{"create":{"status":201}}]}`
	if got := strings.TrimSpace(out.String()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestSpooledBulkChain runs spooled bulks through the whole chain: refused
// items never reach the cluster (canary), the answer keeps the order, a
// malformed last line refuses everything, a failing spool answers 503.
func TestSpooledBulkChain(t *testing.T) {
	rs, probs := authz.ParseRoles("roles.yml", []byte("writer:\n  indices:\n    - names: [\"logs-a\"]\n      privileges: [write]\n"))
	if probs.HasErrors() {
		t.Fatal(probs)
	}
	md := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-a"}, {Name: "secret"}}, nil, nil)
	const canary = "canary-5f1e-must-not-leak"
	var body strings.Builder
	for i := range 50 {
		idx, doc := "logs-a", "ok"
		if i%3 != 0 {
			idx, doc = "secret", canary
		}
		fmt.Fprintf(&body, "{\"index\":{\"_index\":%q,\"_id\":\"%d\"}}\n{\"f\":%q}\n", idx, i, doc)
	}
	var secretOnly strings.Builder
	for i := range 7 {
		fmt.Fprintf(&secretOnly, "{\"index\":{\"_index\":\"secret\",\"_id\":\"%d\"}}\n{\"f\":%q}\n", i, canary)
	}
	tests := []struct {
		name       string
		body       string
		dir        string
		upStatus   int // the cluster's status; 0 = 200
		wantStatus int
		wantItems  int
		forwarded  bool
	}{
		{"items refused one by one", body.String(), "", 0, 200, 50, true},
		{"every item refused", secretOnly.String(), "", 0, 200, 7, false},
		{"the cluster refuses the whole request", body.String(), "", 429, 429, 0, true},
		{"malformed last line", body.String() + "{\"index\":{}}\n{\"f\":\n", "", 0, 400, 0, false},
		{"unterminated last line", body.String() + "{\"delete\":{\"_id\":\"x\"}}", "", 0, 400, 0, false},
		{"spool cannot be written", body.String(), "missing", 0, 503, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			forwarded := 0
			up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				forwarded++
				got, _ = io.ReadAll(r.Body)
				if tc.upStatus != 0 {
					w.WriteHeader(tc.upStatus)
					_, _ = w.Write([]byte(`{"error":"busy"}`))
					return
				}
				n := bytes.Count(got, []byte(`{"index"`))
				items := strings.Repeat(`{"index":{"status":201}},`, n)
				_, _ = fmt.Fprintf(w, `{"took":1,"errors":false,"items":[%s]}`, strings.TrimSuffix(items, ","))
			})
			dir := t.TempDir()
			if tc.dir != "" {
				dir = filepath.Join(dir, tc.dir)
			}
			s, err := New(Options{MaxBodyBytes: 1 << 20, BulkSpool: SpoolOptions{ThresholdBytes: 256, Dir: dir}, Log: zap.NewNop(),
				Authenticator: fakeAuthn{p: &authn.Principal{Username: "w", Roles: []string{"writer"}}},
				Authorizer:    authz.NewEvaluator(rs), Metadata: staticMetadata{md}, Auditor: &fakeAuditor{},
				Upstream: up, Readiness: always(true), Observer: &nopObserver{}, MetricsHandler: http.NotFoundHandler()})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("POST", "/_bulk", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-ndjson")
			req.ContentLength, req.TransferEncoding = -1, []string{"chunked"} // streamed
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus || (forwarded > 0) != tc.forwarded {
				t.Fatalf("status %d, forwarded %d: %s", rec.Code, forwarded, rec.Body.String())
			}
			if bytes.Contains(got, []byte(canary)) {
				t.Fatalf("a refused document reached the cluster: %s", got)
			}
			if tc.wantStatus != 200 {
				if tc.upStatus != 0 && rec.Body.String() != `{"error":"busy"}` {
					t.Fatalf("the cluster's refusal was changed: %s", rec.Body.String())
				}
				return
			}
			var resp struct {
				Errors bool `json:"errors"`
				Items  []map[string]struct {
					Status int    `json:"status"`
					Index  string `json:"_index"`
				} `json:"items"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || !resp.Errors || len(resp.Items) != tc.wantItems {
				t.Fatalf("%v: %s", err, rec.Body.String())
			}
			for i, it := range resp.Items {
				want := 403
				if i%3 == 0 && tc.forwarded {
					want = 201
				}
				if it["index"].Status != want {
					t.Fatalf("item %d: status %d, want %d", i, it["index"].Status, want)
				}
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("spool files left: %v", entries)
			}
		})
	}
}

// bulkBody generates n index items of about 2 KB without holding them.
type bulkBody struct {
	n, pos int
	cur    []byte
	doc    []byte
}

func (g *bulkBody) Read(p []byte) (int, error) {
	read := 0
	for read < len(p) {
		if len(g.cur) == 0 {
			if g.pos == g.n {
				break
			}
			g.cur = fmt.Appendf(g.cur[:0], "{\"index\":{\"_index\":\"logs-a\",\"_id\":\"d%d\"}}\n%s\n", g.pos, g.doc)
			g.pos++
		}
		c := copy(p[read:], g.cur)
		g.cur, read = g.cur[c:], read+c
	}
	if read == 0 {
		return 0, io.EOF
	}
	return read, nil
}

// BenchmarkSpoolBulk measures the spooled path's parse-and-spool rate.
func BenchmarkSpoolBulk(b *testing.B) {
	doc := []byte(`{"n":1,"text":"` + strings.Repeat("p", 2000) + `"}`)
	const items = 10000
	b.SetBytes(int64(items * (len(doc) + 45)))
	dir := b.TempDir()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/_bulk", &bulkBody{n: items, doc: doc})
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/x-ndjson")
		pb, err := spoolBulk(req, 1<<30, SpoolOptions{Dir: dir})
		if err != nil || len(pb.bulk) != items {
			b.Fatal(err)
		}
		_ = pb.spooled.Close()
	}
}
