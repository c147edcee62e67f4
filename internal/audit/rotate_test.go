package audit

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// openReal opens a FileLog on the real file system. Its clock starts at
// testEventTime and runs at the real pace (mod may replace it): a log
// reopened over testEvent records finds them as old as they are in the
// test, not as old as the wall clock says (days after the events' fixed
// date, the daily rotation would move them away on reopening).
func openReal(t testing.TB, path string, mod func(*FileLogOptions)) *FileLog {
	t.Helper()
	started := time.Now()
	o := FileLogOptions{Path: path, Now: func() time.Time { return testEventTime.Add(time.Since(started)) }}
	if mod != nil {
		mod(&o)
	}
	l, err := OpenFileLog(o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func appendN(t testing.TB, l *FileLog, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := l.Append(context.Background(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func readAll(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) && !strings.HasSuffix(path, ".gz") {
		path += ".gz" // compressed since it was listed
		b, err = os.ReadFile(path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// Rotation happens between batches: every file holds whole records, the
// chain runs on across files, and a restart continues it; in both file
// modes (a preallocated file is cut to its records before it is renamed).
func TestRotationKeepsRecordsWholeAndChained(t *testing.T) {
	for _, tc := range []struct {
		name        string
		compress    bool
		preallocate int64
	}{
		{"plain", false, 0}, {"gzip", true, 0},
		{"plain/preallocated", false, MinPreallocateBytes}, {"gzip/preallocated", true, MinPreallocateBytes},
	} {
		compress := tc.compress
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.json")
			obs := &countingObserver{}
			mod := func(o *FileLogOptions) {
				o.Rotate = RotateConfig{MaxBytes: 4096, Compress: compress}
				o.Observer = obs
				o.PreallocateBytes = tc.preallocate
			}
			l := openReal(t, path, mod)
			// Concurrent appends: batches of several records each.
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					appendN(t, l, g*100, 10)
				}()
			}
			wg.Wait()
			waitCompressed := func() {
				if compress {
					waitFor(t, "compression", func() bool {
						fs := logFiles(t, path)
						for _, f := range fs[:len(fs)-1] {
							if !strings.HasSuffix(f, ".gz") {
								return false
							}
						}
						return true
					})
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if obs.rotated.Load() < 3 {
				t.Fatalf("only %d rotations", obs.rotated.Load())
			}
			// Restart: the chain continues from the active file.
			l = openReal(t, path, mod)
			appendN(t, l, 1000, 20)
			waitCompressed() // a Close aborts compression; the next start resumes it
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			files := logFiles(t, path)
			total := 0
			for _, f := range files {
				if compress && f != path && !strings.HasSuffix(f, ".gz") {
					t.Fatalf("rotated file %s not compressed", f)
				}
				data := readAll(t, f)
				if f != path && bytes.IndexByte(data, 0) >= 0 {
					t.Fatalf("rotated file %s keeps preallocated zeros", f)
				}
				if len(data) > 0 && data[len(data)-1] != '\n' {
					t.Fatalf("%s ends inside a record", f)
				}
				for i, line := range lines(data) {
					if _, err := parseSealed([]byte(line)); err != nil {
						t.Fatalf("%s:%d: %v", f, i+1, err)
					}
					total++
				}
			}
			if total != 100 {
				t.Fatalf("%d records in %d files, want 100", total, len(files))
			}
			rep, err := Verify(files...)
			if err != nil || !rep.OK() || rep.Records != 100 || rep.FirstSeq != 1 || rep.LastSeq != 100 {
				t.Fatalf("Verify: %+v %v %v", rep, rep.Break, err)
			}
		})
	}
}

// The first record of a rotated-to file links to the last of the file before.
func TestChainLinksAcrossFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.json")
	l := openReal(t, path, func(o *FileLogOptions) { o.Rotate.MaxBytes = 1500 })
	appendN(t, l, 0, 12)
	l.Close()
	files := logFiles(t, path)
	if len(files) < 3 {
		t.Fatalf("files: %v", files)
	}
	var prevLast sealedRecord
	for i, f := range files {
		ls := lines(readAll(t, f))
		first, err := parseSealed([]byte(ls[0]))
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && (first.prev != prevLast.hash || first.seq != prevLast.seq+1) {
			t.Fatalf("%s: first record seq %d prev %s; previous file ended with seq %d hash %s", f, first.seq, first.prev, prevLast.seq, prevLast.hash)
		}
		if f != path {
			seq, _, _ := parseRotatedName(filepath.Base(f), "audit", ".json")
			if seq != first.seq {
				t.Fatalf("%s is named after seq %d but starts at %d", f, seq, first.seq)
			}
		}
		prevLast, _ = parseSealed([]byte(ls[len(ls)-1]))
	}
}

func TestRotationByAge(t *testing.T) {
	t.Run("at the next batch", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.json")
		var mu sync.Mutex
		now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		obs := &countingObserver{}
		l := openReal(t, path, func(o *FileLogOptions) {
			o.Now, o.Observer = clock, obs
			o.Rotate.Interval = time.Hour
		})
		defer l.Close()
		appendN(t, l, 0, 2)
		mu.Lock()
		now = now.Add(2 * time.Hour)
		mu.Unlock()
		appendN(t, l, 2, 1)
		files := logFiles(t, path)
		if obs.rotated.Load() != 1 || len(files) != 2 || !strings.HasSuffix(files[0], "-000000000001-20261127T120000Z.json") {
			t.Fatalf("rotations %d, files: %v", obs.rotated.Load(), files)
		}
		if ls := lines(readAll(t, path)); len(ls) != 1 || !strings.Contains(ls[0], `"chain.seq":3,`) {
			t.Fatalf("active file: %q", ls)
		}
	})
	t.Run("idle writer", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.json")
		obs := &countingObserver{}
		l := openReal(t, path, func(o *FileLogOptions) {
			o.Observer = obs
			o.Rotate.Interval = 50 * time.Millisecond
		})
		defer l.Close()
		appendN(t, l, 0, 1)
		waitFor(t, "idle age rotation", func() bool { return obs.rotated.Load() == 1 })
		time.Sleep(150 * time.Millisecond) // an empty active file is not rotated
		if n := obs.rotated.Load(); n != 1 {
			t.Fatalf("%d rotations of an idle log", n)
		}
	})
}

func TestRetention(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.json")
	l := openReal(t, path, func(o *FileLogOptions) { o.Rotate = RotateConfig{MaxBytes: 1000, MaxFiles: 2} })
	appendN(t, l, 0, 30)
	waitFor(t, "retention", func() bool { return len(logFiles(t, path)) == 3 })
	l.Close()
	files := logFiles(t, path)
	rep, err := Verify(files...)
	if err != nil || !rep.OK() || rep.FirstSeq == 1 || rep.LastSeq != 30 {
		t.Fatalf("Verify after retention: %+v %v %v", rep, rep.Break, err)
	}
}

// A crash in the middle of a write leaves a torn last line: its Append never
// returned, so the next start cuts it off and continues the chain.
func TestRestartAfterTornWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.json")
	l := openReal(t, path, nil)
	appendN(t, l, 0, 5)
	l.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"type":"audit","timestamp":"2026-11-27T10:5`)
	f.Close()
	l = openReal(t, path, nil)
	appendN(t, l, 5, 5)
	l.Close()
	rep, err := Verify(path)
	if err != nil || !rep.OK() || rep.Records != 10 {
		t.Fatalf("Verify: %+v %v %v", rep, rep.Break, err)
	}
}

// A crash between renaming the active file and creating the new one (or an
// operator moving it): the chain continues from the newest rotated file.
func TestRestartWithoutActiveFile(t *testing.T) {
	for _, compress := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "audit.json")
		l := openReal(t, path, nil)
		appendN(t, l, 0, 5)
		l.Close()
		rotated := filepath.Join(filepath.Dir(path), rotatedName("audit", ".json", 1, time.Now()))
		if err := os.Rename(path, rotated); err != nil {
			t.Fatal(err)
		}
		if compress {
			hk := &housekeeper{dir: filepath.Dir(path), quit: make(chan struct{})}
			if _, err := hk.compress(rotated); err != nil {
				t.Fatal(err)
			}
		}
		l = openReal(t, path, nil)
		appendN(t, l, 5, 3)
		l.Close()
		rep, err := Verify(logFiles(t, path)...)
		if err != nil || !rep.OK() || rep.Records != 8 {
			t.Fatalf("compress=%v: %+v %v %v", compress, rep, rep.Break, err)
		}
	}
}

// The last complete record must carry a chain; otherwise refuse to start
// (fail closed) rather than fork the chain.
func TestOpenRefusesUnchainedTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.json")
	os.WriteFile(path, []byte("{\"type\":\"audit\",\"timestamp\":\"x\"}\n"), 0o600)
	if _, err := OpenFileLog(FileLogOptions{Path: path}); err == nil || !strings.Contains(err.Error(), "cannot continue the chain") {
		t.Fatalf("err = %v", err)
	}
}

func TestRotatedNameRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		seq       uint64
		gz, ok    bool
		stem, ext string
	}{
		{"audit-000000000042-20261127T105109Z.json", 42, false, true, "audit", ".json"},
		{"audit-000000000042-20261127T105109Z.json.gz", 42, true, true, "audit", ".json"},
		{"audit-000000000042-20261127T105109Z-1.json", 42, false, true, "audit", ".json"},
		{"audit-1234567890123-20261127T105109Z.json", 1234567890123, false, true, "audit", ".json"},
		{"audit-000000000042-20261127T105109Z.json.gz.tmp", 0, false, false, "audit", ".json"},
		{"audit.json", 0, false, false, "audit", ".json"},
		{"audit-foo.json", 0, false, false, "audit", ".json"},
		{"other-000000000042-x.json", 0, false, false, "audit", ".json"},
		{"audit-000000000007-20261127T105109Z", 7, false, true, "audit", ""},
	}
	for _, tt := range tests {
		seq, gz, ok := parseRotatedName(tt.name, tt.stem, tt.ext)
		if seq != tt.seq || gz != tt.gz || ok != tt.ok {
			t.Errorf("parseRotatedName(%q) = %d %v %v", tt.name, seq, gz, ok)
		}
	}
	if n := rotatedName("audit", ".json", 42, time.Date(2026, 11, 27, 10, 51, 9, 0, time.UTC)); n != tt0 {
		t.Errorf("rotatedName = %s", n)
	}
}

const tt0 = "audit-000000000042-20261127T105109Z.json"

// A real unwritable folder: opening fails (fail closed at startup); a
// rotation that cannot rename keeps writing to the active file.
func TestReadOnlyFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores folder permissions")
	}
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o500)
	defer os.Chmod(ro, 0o700)
	if _, err := OpenFileLog(FileLogOptions{Path: filepath.Join(ro, "audit.json")}); err == nil {
		t.Fatal("opened a log in a read-only folder")
	}
	path := filepath.Join(dir, "rw", "audit.json")
	os.Mkdir(filepath.Dir(path), 0o700)
	obs := &countingObserver{}
	l := openReal(t, path, func(o *FileLogOptions) { o.Rotate.MaxBytes = 600; o.Observer = obs })
	defer l.Close()
	appendN(t, l, 0, 1)
	os.Chmod(filepath.Dir(path), 0o500)
	defer os.Chmod(filepath.Dir(path), 0o700)
	appendN(t, l, 1, 2)
	if obs.rotated.Load() != 0 {
		t.Fatal("rotated in a read-only folder")
	}
	if rep, err := Verify(path); err != nil || !rep.OK() || rep.Records != 3 {
		t.Fatalf("%+v %v %v", rep, rep.Break, err)
	}
}
