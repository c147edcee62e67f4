package audit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const testChunk = 64 << 10

// openTestPrealloc opens a preallocated file in a temp dir.
func openTestPrealloc(t *testing.T, extend func(pf *preallocFile) func(off, n int64) error) (*preallocFile, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.json")
	pf, err := openPreallocated(path, testChunk, nil)
	if err != nil {
		t.Fatal(err)
	}
	if extend != nil {
		pf.extend = extend(pf)
	}
	t.Cleanup(func() { _ = pf.f.Close() })
	return pf, path
}

func physicalSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func mustWrite(t *testing.T, f File, s string) {
	t.Helper()
	if n, err := f.Write([]byte(s)); err != nil || n != len(s) {
		t.Fatalf("write: %d %v", n, err)
	}
}

func logicalSize(t *testing.T, f File) int64 {
	t.Helper()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// Writes land one after the other at the logical end, inside a region
// extended by whole chunks of zeros; Stat reports the logical size.
func TestPreallocatedWritesInOrder(t *testing.T) {
	pf, path := openTestPrealloc(t, nil)
	want := ""
	for i := 0; i < 3; i++ {
		line := fmt.Sprintf("record %d\n", i)
		mustWrite(t, pf, line)
		want += line
	}
	if got := logicalSize(t, pf); got != int64(len(want)) {
		t.Fatalf("logical size %d, want %d", got, len(want))
	}
	if got := physicalSize(t, path); got != testChunk {
		t.Fatalf("physical size %d, want one chunk (%d)", got, testChunk)
	}
	data, _ := os.ReadFile(path)
	if !bytes.HasPrefix(data, []byte(want)) || !isNULRun(data[len(want):]) {
		t.Fatalf("file is not the records followed by zeros: %q…", data[:len(want)+4])
	}
	// A write passing the allocated end extends by whole chunks.
	big := strings.Repeat("x", testChunk+10) + "\n"
	mustWrite(t, pf, big)
	want += big
	if got := physicalSize(t, path); got != 2*testChunk {
		t.Fatalf("physical size after a large write %d, want %d", got, 2*testChunk)
	}
	if err := pf.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := pf.Close(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != want {
		t.Fatalf("after Close the file is not exactly the records (%d bytes, want %d)", len(data), len(want))
	}
}

// Truncate after a failed write removes its bytes for good: a shorter
// next write must not leave the failed write's tail behind the logical end,
// where a crash recovery would find it.
func TestPreallocatedTruncateRemovesFailedBytes(t *testing.T) {
	const canary = "CANARY-failed-batch"
	pf, path := openTestPrealloc(t, nil)
	mustWrite(t, pf, "committed\n")
	mustWrite(t, pf, "torn "+canary+" record\n")
	if err := pf.Truncate(int64(len("committed\n"))); err != nil {
		t.Fatal(err)
	}
	if got := logicalSize(t, pf); got != int64(len("committed\n")) {
		t.Fatalf("logical size after Truncate %d", got)
	}
	mustWrite(t, pf, "next\n")
	if data, _ := os.ReadFile(path); bytes.Contains(data, []byte(canary)) {
		t.Fatalf("the failed write's bytes survive in the file: %q", bytes.TrimRight(data, "\x00"))
	}
	if err := pf.Close(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "committed\nnext\n" {
		t.Fatalf("file = %q", data)
	}
}

// When the chunked extension fails (full disk, file size limit), the
// partial extension is removed and the write extends the file by exactly
// its own bytes, as an append would; the chunk is retried only later.
func TestPreallocatedFallbackWhenExtensionFails(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EFBIG} {
		t.Run(errno.Error(), func(t *testing.T) {
			calls := 0
			now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
			pf, path := openTestPrealloc(t, func(pf *preallocFile) func(off, n int64) error {
				return func(off, n int64) error {
					calls++
					// Half the zeros fit before the disk is full.
					if _, err := pf.f.WriteAt(make([]byte, n/2), off); err != nil {
						t.Fatal(err)
					}
					return fmt.Errorf("preallocating: %w", errno)
				}
			})
			pf.now = func() time.Time { return now }
			mustWrite(t, pf, "first\n")
			mustWrite(t, pf, "second\n")
			if calls != 1 {
				t.Fatalf("%d extension attempts, want 1 (then exact writes)", calls)
			}
			if got, want := physicalSize(t, path), int64(len("first\nsecond\n")); got != want {
				t.Fatalf("physical size %d, want exactly the records (%d)", got, want)
			}
			now = now.Add(retryChunkAfter)
			mustWrite(t, pf, "third\n")
			if calls != 2 {
				t.Fatalf("%d extension attempts after %s, want 2", calls, retryChunkAfter)
			}
			if data, _ := os.ReadFile(path); string(data) != "first\nsecond\nthird\n" {
				t.Fatalf("file = %q", data)
			}
		})
	}
}

// Finish (rotation) and Close leave no preallocated zeros, also after a
// failed extension could not remove its own.
func TestPreallocatedFinishTrims(t *testing.T) {
	pf, path := openTestPrealloc(t, func(pf *preallocFile) func(off, n int64) error {
		return func(off, n int64) error {
			_, _ = pf.f.WriteAt(make([]byte, n), off)
			return syscall.EIO
		}
	})
	mustWrite(t, pf, "only\n")
	// Zeros left beyond the logical end (as if the cleanup truncate failed).
	if _, err := pf.f.WriteAt(make([]byte, 100), 5); err != nil {
		t.Fatal(err)
	}
	if err := pf.Finish(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "only\n" {
		t.Fatalf("after Finish file = %q", data)
	}
}

// OpenPreallocated with no chunk is the appending writer.
func TestOpenPreallocatedDisabled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.json")
	f, err := OpenPreallocated(0)(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := f.(*os.File); !ok {
		t.Fatalf("OpenPreallocated(0) opened a %T, want the O_APPEND *os.File", f)
	}
}

// failOnceFile fails its next write after writing half of it, then works.
type failOnceFile struct {
	File
	fail bool
}

func (f *failOnceFile) Write(p []byte) (int, error) {
	if !f.fail {
		return f.File.Write(p)
	}
	f.fail = false
	n, _ := f.File.Write(p[:len(p)/2])
	return n, syscall.EIO
}

// Through the FileLog: a batch whose write failed is cut away (its waiter
// got an error), later batches continue the chain, and neither the closed
// file nor a rotated one holds zeros or the failed batch.
func TestFileLogPreallocatedFailedBatch(t *testing.T) {
	const canary = "CANARY-unacknowledged"
	path := filepath.Join(t.TempDir(), "audit.json")
	var ff *failOnceFile
	l := openReal(t, path, func(o *FileLogOptions) {
		o.Rotate = RotateConfig{MaxBytes: 4000, Interval: -1}
		o.Open = func(p string) (File, error) {
			pf, err := openPreallocated(p, testChunk, nil)
			if err != nil {
				return nil, err
			}
			ff = &failOnceFile{File: pf}
			return ff, nil
		}
	})
	appendN(t, l, 0, 3)
	ff.fail = true
	ev := testEvent(99)
	ev.RequestID = canary
	if err := l.Append(context.Background(), ev); err == nil {
		t.Fatal("append over a failed write succeeded")
	}
	appendN(t, l, 3, 20) // crosses rotations
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	files := logFiles(t, path)
	if len(files) < 2 {
		t.Fatalf("no rotation happened: %v", files)
	}
	for _, f := range files {
		data := readAll(t, f)
		if bytes.IndexByte(data, 0) >= 0 || !bytes.HasSuffix(data, []byte("\n")) {
			t.Fatalf("%s is not exactly whole records (NUL at %d)", f, bytes.IndexByte(data, 0))
		}
		if bytes.Contains(data, []byte(canary)) {
			t.Fatalf("%s holds the failed batch", f)
		}
	}
	rep, err := Verify(files...)
	if err != nil || !rep.OK() || rep.Records != 23 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}
