package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCluster is a _bulk endpoint with create semantics: a second create of
// the same _id is a 409.
type fakeCluster struct {
	mu       sync.Mutex
	docs     map[string]string // _id -> source
	index    map[string]string // _id -> index
	requests int
	creates  int
	// respond, when set, may override the answer to a request (n counts
	// requests from 1): return status > 0 to answer it instead.
	respond func(n int, ids []string) (status int, itemStatus map[int]int)
	// hang, when set, stores the documents and then never answers.
	hang chan struct{}
	auth string
}

func newFakeCluster() *fakeCluster {
	return &fakeCluster{docs: map[string]string{}, index: map[string]string{}}
}

func (c *fakeCluster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_bulk" || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-ndjson" {
		http.Error(w, "bad request", 400)
		return
	}
	type action struct {
		Create struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		} `json:"create"`
	}
	var acts []action
	var srcs []string
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var a action
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if !sc.Scan() {
			http.Error(w, "missing source", 400)
			return
		}
		acts = append(acts, a)
		srcs = append(srcs, sc.Text())
	}
	c.mu.Lock()
	c.requests++
	n := c.requests
	c.auth = r.Header.Get("Authorization")
	ids := make([]string, len(acts))
	for i, a := range acts {
		ids[i] = a.Create.ID
	}
	var itemStatus map[int]int
	if c.respond != nil {
		status, is := c.respond(n, ids)
		if status > 0 {
			c.mu.Unlock()
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":"injected","status":%d}`, status)
			return
		}
		itemStatus = is
	}
	var items []string
	errs := false
	for i, a := range acts {
		st := 201
		if s, ok := itemStatus[i]; ok {
			st = s
		} else if _, dup := c.docs[a.Create.ID]; dup {
			st = 409
		} else {
			c.docs[a.Create.ID] = srcs[i]
			c.index[a.Create.ID] = a.Create.Index
		}
		c.creates++
		if st >= 300 {
			errs = true
			items = append(items, fmt.Sprintf(`{"create":{"_index":%q,"_id":%q,"status":%d,"error":{"type":"x"}}}`, a.Create.Index, a.Create.ID, st))
		} else {
			items = append(items, fmt.Sprintf(`{"create":{"_index":%q,"_id":%q,"status":%d}}`, a.Create.Index, a.Create.ID, st))
		}
	}
	hang := c.hang
	c.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"took":1,"errors":%v,"items":[%s]}`, errs, strings.Join(items, ","))
}

func (c *fakeCluster) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.docs)
}

func waitCursor(t *testing.T, path string, seq uint64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("cursor at %d", seq), func() bool {
		cur, _, _ := LoadCursor(path)
		return cur.Seq == seq
	})
}

func runShipper(t *testing.T, run func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := run(ctx); err != nil {
			t.Error(err)
		}
	}()
	return func() { cancel(); <-done }
}

func newIndexShipper(t *testing.T, l *FileLog, url, cursor string, mod func(*IndexShipperOptions)) *IndexShipper {
	t.Helper()
	o := IndexShipperOptions{
		Path: l.Path(), Log: l, URL: url, CursorFile: cursor,
		BatchSize: 7, FlushInterval: 5 * time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	}
	if mod != nil {
		mod(&o)
	}
	s, err := NewIndexShipper(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkShipped compares the cluster's documents with the log: every record
// once, byte for byte, under its chain.hash, in its daily index.
func checkShipped(t *testing.T, c *fakeCluster, files []string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	want := 0
	for _, f := range files {
		for _, line := range lines(readAll(t, f)) {
			want++
			rec, err := parseSealed([]byte(line))
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := c.docs[rec.hash]; !ok || got != line {
				t.Fatalf("record %d not shipped as is:\n got %s\nwant %s", rec.seq, got, line)
			}
			if ix := c.index[rec.hash]; ix != "portcullis-audit-2026.11.27" {
				t.Fatalf("record %d went to index %q", rec.seq, ix)
			}
		}
	}
	if len(c.docs) != want {
		t.Fatalf("cluster has %d documents, log has %d records", len(c.docs), want)
	}
}

func TestIndexShipperDelivers(t *testing.T) {
	c := newFakeCluster()
	srv := httptest.NewServer(c)
	defer srv.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.json")
	l := openReal(t, path, func(o *FileLogOptions) { o.Rotate = RotateConfig{MaxBytes: 3000, Compress: true} })
	defer l.Close()
	obs := &countingObserver{}
	s := newIndexShipper(t, l, srv.URL, filepath.Join(dir, "cursor"), func(o *IndexShipperOptions) {
		o.Username, o.Password, o.Observer = "shipper", "pw", obs
	})
	stop := runShipper(t, s.Run)
	appendN(t, l, 0, 40)
	waitFor(t, "40 documents", func() bool { return c.count() == 40 })
	waitCursor(t, filepath.Join(dir, "cursor"), 40)
	stop()
	checkShipped(t, c, logFiles(t, path))
	cur, ok, err := LoadCursor(filepath.Join(dir, "cursor"))
	if err != nil || !ok || cur.Seq != 40 {
		t.Fatalf("cursor = %+v %v %v", cur, ok, err)
	}
	if c.auth != "Basic c2hpcHBlcjpwdw==" {
		t.Fatalf("Authorization = %q", c.auth)
	}
	if obs.shipped.Load() != 40 {
		t.Fatalf("observer shipped %d", obs.shipped.Load())
	}
}

// Failures are retried: whole requests (503, 429) and single items; 409
// (already indexed) counts as delivered; a permanent item error goes to the
// rejected file and does not block the rest.
func TestIndexShipperRetries(t *testing.T) {
	c := newFakeCluster()
	var mu sync.Mutex
	itemFails := map[string]int{}
	c.respond = func(n int, ids []string) (int, map[int]int) {
		switch n {
		case 1:
			return 503, nil
		case 2:
			return 429, nil
		}
		mu.Lock()
		defer mu.Unlock()
		st := map[int]int{}
		for i, id := range ids {
			if itemFails[id] < 2 && i%3 == 0 { // every third item fails twice
				itemFails[id]++
				st[i] = []int{429, 500}[itemFails[id]-1]
			}
		}
		return 0, st
	}
	srv := httptest.NewServer(c)
	defer srv.Close()
	dir := t.TempDir()
	l := openReal(t, filepath.Join(dir, "audit.json"), nil)
	defer l.Close()
	obs := &countingObserver{}
	s := newIndexShipper(t, l, srv.URL, filepath.Join(dir, "cursor"), func(o *IndexShipperOptions) { o.Observer = obs })
	appendN(t, l, 0, 20)
	stop := runShipper(t, s.Run)
	waitFor(t, "20 documents", func() bool { return c.count() == 20 })
	waitCursor(t, filepath.Join(dir, "cursor"), 20)
	stop()
	checkShipped(t, c, []string{l.Path()})
	if obs.get(&obs.shipFailed, "status") != 2 || obs.get(&obs.shipFailed, "item") == 0 {
		t.Fatalf("failures observed: status=%d item=%d", obs.get(&obs.shipFailed, "status"), obs.get(&obs.shipFailed, "item"))
	}

	// A record the cluster rejects for good.
	c.mu.Lock()
	c.respond = func(n int, ids []string) (int, map[int]int) { return 0, map[int]int{0: 400} }
	c.mu.Unlock()
	appendN(t, l, 100, 1)
	s = newIndexShipper(t, l, srv.URL, filepath.Join(dir, "cursor"), nil)
	stop = runShipper(t, s.Run)
	waitFor(t, "cursor past the rejected record", func() bool {
		cur, _, _ := LoadCursor(filepath.Join(dir, "cursor"))
		return cur.Seq == 21
	})
	stop()
	rej, err := os.ReadFile(filepath.Join(dir, "cursor.rejected"))
	if err != nil || !bytes.Contains(rej, []byte("req-000100")) {
		t.Fatalf("rejected file: %q %v", rej, err)
	}
}

// At least once across a crash: the cluster indexed a batch but the
// shipper died before persisting its cursor. The restarted shipper sends
// the batch again; the _id makes the duplicates 409s, so every record ends
// up indexed exactly once.
func TestIndexShipperAtLeastOnceAcrossCrash(t *testing.T) {
	c := newFakeCluster()
	c.hang = make(chan struct{})
	srv := httptest.NewServer(c)
	defer srv.Close()
	defer close(c.hang)
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.json")
	cursor := filepath.Join(dir, "cursor")
	l := openReal(t, path, func(o *FileLogOptions) { o.Rotate.MaxBytes = 2500 })
	defer l.Close()
	appendN(t, l, 0, 10)
	s := newIndexShipper(t, l, srv.URL, cursor, nil)
	stop := runShipper(t, s.Run)
	waitFor(t, "first batch stored", func() bool { return c.count() == 7 })
	stop() // "crash": the response never came, the cursor was not saved
	if _, ok, _ := LoadCursor(cursor); ok {
		t.Fatal("cursor saved without a successful _bulk")
	}
	c.mu.Lock()
	c.hang = nil
	c.mu.Unlock()
	appendN(t, l, 10, 25) // more records, across rotations
	s = newIndexShipper(t, l, srv.URL, cursor, nil)
	stop = runShipper(t, s.Run)
	waitFor(t, "35 documents", func() bool { return c.count() == 35 })
	stop()
	checkShipped(t, c, logFiles(t, path))
	c.mu.Lock()
	creates := c.creates
	c.mu.Unlock()
	if creates < 35+7 {
		t.Fatalf("%d creates: the unacknowledged batch was not re-sent", creates)
	}
}

// A restart resumes from the cursor, even when the file it points into has
// since been rotated and compressed.
func TestIndexShipperResumesAcrossRotation(t *testing.T) {
	c := newFakeCluster()
	srv := httptest.NewServer(c)
	defer srv.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.json")
	cursor := filepath.Join(dir, "cursor")
	mod := func(o *FileLogOptions) { o.Rotate = RotateConfig{MaxBytes: 2500, Compress: true} }
	l := openReal(t, path, mod)
	appendN(t, l, 0, 5)
	s := newIndexShipper(t, l, srv.URL, cursor, nil)
	stop := runShipper(t, s.Run)
	waitFor(t, "5 documents", func() bool { return c.count() == 5 })
	waitCursor(t, cursor, 5)
	stop()
	appendN(t, l, 5, 30) // the cursor's file is rotated and gzipped meanwhile
	waitFor(t, "compression", func() bool {
		fs := logFiles(t, path)
		return len(fs) > 2 && strings.HasSuffix(fs[0], ".gz")
	})
	l.Close()
	c.mu.Lock()
	before := c.creates
	c.mu.Unlock()
	// Restart of the whole process: a new log and a new shipper.
	l = openReal(t, path, mod)
	defer l.Close()
	s = newIndexShipper(t, l, srv.URL, cursor, nil)
	stop = runShipper(t, s.Run)
	waitFor(t, "35 documents", func() bool { return c.count() == 35 })
	stop()
	checkShipped(t, c, logFiles(t, path))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.creates-before != 30 {
		t.Fatalf("resume re-sent %d records, want exactly the 30 new ones", c.creates-before)
	}
}

// Records of a failed (truncated) batch are never shipped.
func TestTailerReadsOnlyCommitted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.json")
	l := openReal(t, path, nil)
	defer l.Close()
	appendN(t, l, 0, 3)
	// Bytes beyond the watermark (as if a batch were being written).
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(string(newHasherLine(t)) + "\n")
	f.Close()
	tl := newTailer(path, l, Cursor{})
	got, err := tl.read(100, 1<<20)
	tl.close()
	if err != nil || len(got) != 3 || got[2].seq != 3 {
		t.Fatalf("read %d records, err %v", len(got), err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStdoutShipper(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.json")
	l := openReal(t, path, func(o *FileLogOptions) { o.Rotate.MaxBytes = 2000 })
	defer l.Close()
	appendN(t, l, 0, 3) // before the shipper: not copied (it starts at the end)
	var out syncBuffer
	cursor := filepath.Join(dir, "stdout-cursor")
	s, err := NewStdoutShipper(StdoutShipperOptions{Path: path, Log: l, Out: &out, CursorFile: cursor})
	if err != nil {
		t.Fatal(err)
	}
	stop := runShipper(t, s.Run)
	appendN(t, l, 3, 20)
	waitFor(t, "20 lines on stdout", func() bool { return len(lines([]byte(out.String()))) == 20 })
	stop()
	var all []string
	for _, f := range logFiles(t, path) {
		all = append(all, lines(readAll(t, f))...)
	}
	if got := lines([]byte(out.String())); strings.Join(got, "\n") != strings.Join(all[3:], "\n") {
		t.Fatalf("stdout:\n%s\nwant the last 20 of\n%s", out.String(), strings.Join(all, "\n"))
	}
	// Restart: resumes from the cursor, nothing repeated.
	appendN(t, l, 23, 2)
	s, _ = NewStdoutShipper(StdoutShipperOptions{Path: path, Log: l, Out: &out, CursorFile: cursor})
	stop = runShipper(t, s.Run)
	waitFor(t, "22 lines on stdout", func() bool { return len(lines([]byte(out.String()))) == 22 })
	stop()
	if n := len(lines([]byte(out.String()))); n != 22 {
		t.Fatalf("%d lines after restart", n)
	}
}

func TestIndexPattern(t *testing.T) {
	ts := time.Date(2026, 11, 27, 23, 5, 0, 0, time.FixedZone("", -2*3600)) // 2026-11-28 01:05 UTC
	tests := []struct {
		pattern, want, err string
	}{
		{DefaultIndexPattern, "portcullis-audit-2026.11.28", ""},
		{"audit-v2-{yyyy-MM}", "audit-v2-2026-11", ""},
		{"a-{yyyy.MM.dd_HH}", "a-2026.11.28_01", ""},
		{"static", "static", ""},
		{"Audit-{yyyy}", "", "lowercase"},
		{"a-{yyyy.ww}", "", "unsupported"},
		{"a-{yyyy", "", "unbalanced"},
		{"a b-{yyyy}", "", "invalid character"},
	}
	for _, tt := range tests {
		ip, err := parseIndexPattern(tt.pattern)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v", tt.pattern, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.pattern, err)
			continue
		}
		if got := ip.format(ts); got != tt.want {
			t.Errorf("%s → %s, want %s", tt.pattern, got, tt.want)
		}
	}
}

var _ io.Writer = (*syncBuffer)(nil)

type fixedWatermark struct {
	mu sync.Mutex
	wm Watermark
}

func (f *fixedWatermark) Watermark() Watermark {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wm
}

func (f *fixedWatermark) Changed() <-chan struct{} { return nil }

// A new active file whose first batch is written but not yet committed is
// not read.
func TestTailerWaitsForFirstCommitOfNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.json")
	h := newHasher(nil)
	data, head := h.appendSealed(nil, appendEventFieldsAt(nil, testEvent(5), testEvent(5).Time), chainHead{seq: 4, hash: GenesisHash})
	first := len(data)
	data, _ = h.appendSealed(data, appendEventFieldsAt(nil, testEvent(6), testEvent(6).Time), head)
	os.WriteFile(path, data, 0o600)
	src := &fixedWatermark{wm: Watermark{FileSeq: 0, Seq: 4}}
	tl := newTailer(path, src, Cursor{FileSeq: 5, Seq: 4})
	defer tl.close()
	if got, err := tl.read(10, 1<<20); err != nil || len(got) != 0 {
		t.Fatalf("read %d uncommitted records, err %v", len(got), err)
	}
	src.mu.Lock()
	src.wm = Watermark{FileSeq: 5, Size: int64(first), Seq: 5}
	src.mu.Unlock()
	got, err := tl.read(10, 1<<20)
	if err != nil || len(got) != 1 || got[0].seq != 5 || got[0].next.Offset != int64(first) {
		t.Fatalf("read %+v, err %v", got, err)
	}
}
