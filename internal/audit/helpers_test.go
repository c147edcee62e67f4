package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeFile is an in-memory File that separates written from synced bytes
// and can fail on demand.
type fakeFile struct {
	mu        sync.Mutex
	data      []byte
	synced    int // data[:synced] is durable
	writes    int
	syncs     int
	syncDelay time.Duration
	// failNextWrites/failNextSyncs fail that many upcoming calls; a failing
	// write first writes half of its bytes (a torn write).
	failNextWrites int
	failNextSyncs  int
	failAll        error // every operation fails with it (dead disk)
	block          chan struct{}
	closed         bool
	syncedIDs      map[string]bool // request ids in data[:synced]
	syncsEntered   atomic.Int64
}

var errInjected = errors.New("injected I/O error")

func (f *fakeFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.failAll != nil {
		return 0, f.failAll
	}
	if f.failNextWrites > 0 {
		f.failNextWrites--
		half := len(p) / 2
		f.data = append(f.data, p[:half]...)
		return half, errInjected
	}
	f.data = append(f.data, p...)
	return len(p), nil
}

func (f *fakeFile) Sync() error {
	f.syncsEntered.Add(1)
	if f.block != nil {
		<-f.block
	}
	if f.syncDelay > 0 {
		time.Sleep(f.syncDelay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	if f.failAll != nil {
		return f.failAll
	}
	if f.failNextSyncs > 0 {
		f.failNextSyncs--
		return errInjected
	}
	if f.syncedIDs == nil {
		f.syncedIDs = map[string]bool{}
	}
	for _, line := range bytes.Split(f.data[f.synced:], []byte("\n")) {
		const key = `"request.id":"`
		if i := bytes.Index(line, []byte(key)); i >= 0 {
			rest := line[i+len(key):]
			f.syncedIDs[string(rest[:bytes.IndexByte(rest, '"')])] = true
		}
	}
	f.synced = len(f.data)
	return nil
}

// isSynced reports whether the record with this request id is durable.
func (f *fakeFile) isSynced(requestID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncedIDs[requestID]
}

func (f *fakeFile) Truncate(size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAll != nil {
		return f.failAll
	}
	f.data = f.data[:size]
	if f.synced > int(size) {
		f.synced = int(size)
	}
	return nil
}

func (f *fakeFile) Stat() (fs.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAll != nil {
		return nil, f.failAll
	}
	return fakeInfo(len(f.data)), nil
}

func (f *fakeFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeFile) durable() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.data[:f.synced]...)
}

func (f *fakeFile) counts() (writes, syncs int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes, f.syncs
}

func (f *fakeFile) set(fn func(f *fakeFile)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

type fakeInfo int

func (i fakeInfo) Name() string       { return "fake" }
func (i fakeInfo) Size() int64        { return int64(i) }
func (i fakeInfo) Mode() fs.FileMode  { return 0o600 }
func (i fakeInfo) ModTime() time.Time { return time.Time{} }
func (i fakeInfo) IsDir() bool        { return false }
func (i fakeInfo) Sys() any           { return nil }

// openFake opens a FileLog (path in a temp dir, nothing on disk) whose
// active file is ff.
func openFake(t testing.TB, ff *fakeFile, mod func(*FileLogOptions)) *FileLog {
	t.Helper()
	o := FileLogOptions{
		Path:   filepath.Join(t.TempDir(), "audit.json"),
		Open:   func(string) (File, error) { return ff, nil },
		Rotate: RotateConfig{MaxBytes: -1, Interval: -1},
	}
	if mod != nil {
		mod(&o)
	}
	l, err := OpenFileLog(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// countingObserver counts observer calls.
type countingObserver struct {
	commits, records, bytes atomic.Int64
	fsyncNanos              atomic.Int64
	failed                  sync.Map // reason -> *atomic.Int64
	unaudited               atomic.Int64
	rotated                 atomic.Int64
	shipped                 atomic.Int64
	shipFailed              sync.Map
}

func (o *countingObserver) Committed(records, bytes int, fsync time.Duration) {
	o.commits.Add(1)
	o.fsyncNanos.Add(int64(fsync))
	o.records.Add(int64(records))
	o.bytes.Add(int64(bytes))
}

func (o *countingObserver) AppendFailed(reason string) { o.inc(&o.failed, reason) }
func (o *countingObserver) Unaudited(string)           { o.unaudited.Add(1) }
func (o *countingObserver) Rotated()                   { o.rotated.Add(1) }
func (o *countingObserver) Shipped(_ string, n int)    { o.shipped.Add(int64(n)) }
func (o *countingObserver) ShipFailed(_, reason string) {
	o.inc(&o.shipFailed, reason)
}
func (o *countingObserver) ShipLag(string, int64, int64) {}

func (o *countingObserver) inc(m *sync.Map, k string) {
	v, _ := m.LoadOrStore(k, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func (o *countingObserver) get(m *sync.Map, k string) int64 {
	v, ok := m.Load(k)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

// testEvent is an access_granted event with a recognisable request id.
// testEventTime is the time of every testEvent.
var testEventTime = time.Date(2026, 11, 27, 10, 51, 9, 964e6, time.UTC)

func testEvent(i int) *Event {
	return &Event{
		Time:        testEventTime,
		NodeID:      "node-1",
		EventType:   TypeTransport,
		EventAction: AccessGranted,
		UserName:    "alice", UserRealm: "default_file", UserRoles: []string{"reader"},
		AuthenticationType: AuthRealm,
		OriginType:         OriginRest, OriginAddress: "127.0.0.1:5000",
		RequestID: fmt.Sprintf("req-%06d", i),
		Action:    "indices:data/read/search", RequestName: "SearchRequest",
		Indices: []string{"logs-2026"},
	}
}

// logFiles lists the audit files of a log, oldest first: rotated files in
// chain order (one copy each), then the active file.
func logFiles(t testing.TB, active string) []string {
	t.Helper()
	dir, stem, ext := splitLogPath(active)
	rs, err := listRotated(dir, stem, ext)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, r.path)
	}
	if _, err := os.Stat(active); err == nil {
		out = append(out, active)
	}
	return out
}

// verifyBytes verifies an in-memory log.
func verifyBytes(key []byte, data []byte) Report {
	v := newVerifier(key)
	v.verifyStream("mem", bytes.NewReader(data))
	return v.rep
}

// waitFor polls cond for up to 10s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lines splits a log into its records; a live preallocated active file
// ends with a NUL run, which is not a record.
func lines(b []byte) []string {
	s := strings.TrimSuffix(strings.TrimRight(string(b), "\x00"), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
