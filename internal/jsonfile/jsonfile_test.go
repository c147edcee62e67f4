package jsonfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type doc struct {
	N []int `json:"n"`
}

// TestLockedUpdates: concurrent read-modify-write cycles under Lock lose
// nothing, and every change shows in the stamp.
func TestLockedUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.json")
	if _, exists, err := Read(path, &doc{}); exists || err != nil {
		t.Fatalf("missing file: %v %v", exists, err)
	}
	before, _ := StampOf(path)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := Lock(path)
			if err != nil {
				t.Error(err)
				return
			}
			defer unlock()
			var d doc
			if _, _, err := Read(path, &d); err != nil {
				t.Error(err)
				return
			}
			d.N = append(d.N, i)
			if err := Write(path, d); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var d doc
	if _, _, err := Read(path, &d); err != nil || len(d.N) != 20 {
		t.Fatalf("%d of 20 updates kept: %v", len(d.N), err)
	}
	if after, _ := StampOf(path); after == before {
		t.Fatal("the stamp did not change")
	}
	if err := os.WriteFile(path, []byte(`{"n":[],"x":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Read(path, &d); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Fatalf("unknown field: %v", err)
	}
}

// TestCachedRecoversFromAPassingReadError: a read that fails serves the
// empty value, and the next check after the interval reads the unchanged
// file again (the failure did not record its stamp).
func TestCachedRecoversFromAPassingReadError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.json")
	if err := os.WriteFile(path, []byte(`{"n":[1]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fail := false
	clock := time.Now()
	read := func() (int, Stamp, error) {
		var d doc
		st, _, err := Read(path, &d)
		if fail {
			return 0, st, errors.New("EMFILE")
		}
		return len(d.N), st, err
	}
	c, err := NewCached(path, read, func() time.Time { return clock }, 0, func(error) {})
	if err != nil || c.Load() != 1 {
		t.Fatalf("first read: %v %v", c.Load(), err)
	}
	if err := os.WriteFile(path, []byte(`{"n":[1,2]}`), 0o600); err != nil { // a change, so the next check reads
		t.Fatal(err)
	}
	fail = true
	clock = clock.Add(time.Second)
	c.Refresh(time.Millisecond)
	if c.Load() != 0 {
		t.Fatal("a failed read kept the old value")
	}
	fail = false
	clock = clock.Add(time.Second)
	c.Refresh(time.Millisecond)
	if c.Load() != 2 {
		t.Fatalf("after the error passed: %d, want 2", c.Load())
	}
}

// TestCachedRacyStamp: a stamp (inode, size, modification time) read in
// the same instant the file was written does not prove a later reading
// unchanged: file systems stamp writes with a coarse clock (ext4: one
// kernel tick) and reuse a freed inode for the next file, so another
// replica's two quick changes (a role narrowed from "read" to "none",
// same size) can leave a stamp equal to the one cached, and the narrowed
// role was never read. As in git's "racily clean" rule, a reading whose
// stamp was taken within RacyWindow of the file's modification is
// verified by reading the file again; an older one is trusted.
func TestCachedRacyStamp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.json")
	if err := os.WriteFile(path, []byte(`{"n":[1]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	written := time.Now()
	if err := os.Chtimes(path, written, written); err != nil {
		t.Fatal(err)
	}
	clock := written
	reads := 0
	read := func() (int, Stamp, error) {
		reads++
		var d doc
		st, _, err := Read(path, &d)
		return d.N[0], st, err
	}
	c, err := NewCached(path, read, func() time.Time { return clock }, 0, func(error) {})
	if err != nil || c.Load() != 1 {
		t.Fatalf("first read: %v %v", c.Load(), err)
	}
	// Another process replaces the content with one of the same size, in
	// the same tick, on the same inode.
	if err := os.WriteFile(path, []byte(`{"n":[7]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, written, written); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(2 * RacyWindow)
	c.Refresh(0)
	if c.Load() != 7 {
		t.Fatalf("a change under an unchanged stamp was not seen: %d, want 7", c.Load())
	}
	// The reading just made is long after the modification: its stamp is
	// trusted, and an unchanged file is not read again.
	n := reads
	clock = clock.Add(time.Second)
	c.Refresh(0)
	if reads != n {
		t.Fatalf("an unchanged file with a trusted stamp was read again (%d reads, want %d)", reads, n)
	}
}
