package audit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeletedFileFailsAppends: once the active file is deleted, appends
// fail (their records would be lost with the inode) instead of being
// acknowledged; a renamed file keeps taking records.
func TestDeletedFileFailsAppends(t *testing.T) {
	for _, prealloc := range []int64{0, 1 << 16} {
		dir := t.TempDir()
		path := filepath.Join(dir, "audit.json")
		l, err := OpenFileLog(FileLogOptions{Path: path, PreallocateBytes: prealloc, Rotate: RotateConfig{MaxBytes: -1, Interval: -1}})
		if err != nil {
			t.Fatal(err)
		}
		ev := &Event{EventType: TypeRest, EventAction: AccessGranted, RequestID: "r"}
		if err := l.Append(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
		moved := filepath.Join(dir, "moved.json")
		if err := os.Rename(path, moved); err != nil {
			t.Fatal(err)
		}
		if err := l.Append(t.Context(), ev); err != nil {
			t.Fatalf("prealloc %d: append to a renamed file: %v", prealloc, err)
		}
		if err := os.Remove(moved); err != nil {
			t.Fatal(err)
		}
		// The record written into the deleted file is refused; the next
		// ones go to a new file at the path, and auditing goes on.
		if err := l.Append(t.Context(), ev); !errors.Is(err, ErrFileDeleted) {
			t.Fatalf("prealloc %d: append to a deleted file: %v, want ErrFileDeleted", prealloc, err)
		}
		for i := 0; i < 3; i++ {
			if err := l.Append(t.Context(), ev); err != nil {
				t.Fatalf("prealloc %d: append %d after the deletion: %v", prealloc, i, err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("prealloc %d: no new file at the path: %v", prealloc, err)
		}
		if lines := strings.Count(string(data), "\n"); lines != 3 {
			t.Fatalf("prealloc %d: the new file holds %d records, want 3:\n%s", prealloc, lines, data)
		}
		// The chain goes on from the last committed record (in the
		// deleted file): the first record of the new file says so.
		if !strings.Contains(string(data), `"chain.seq":3`) {
			t.Fatalf("prealloc %d: the new file does not continue the chain at seq 3:\n%s", prealloc, data)
		}
	}
}

// TestDeletedFileReplacedByAnother: a file someone puts where the deleted
// one was is not written to (its content is unknown); once it is moved
// away, a new file starts.
func TestDeletedFileReplacedByAnother(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.json")
	l, err := OpenFileLog(FileLogOptions{Path: path, Rotate: RotateConfig{MaxBytes: -1, Interval: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ev := &Event{EventType: TypeRest, EventAction: AccessGranted, RequestID: "r"}
	if err := l.Append(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("not ours\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := l.Append(t.Context(), ev); err == nil {
			t.Fatalf("append %d wrote next to a foreign file", i)
		}
	}
	if data, _ := os.ReadFile(path); string(data) != "not ours\n" {
		t.Fatalf("the foreign file was changed: %q", data)
	}
	if err := os.Rename(path, filepath.Join(dir, "foreign.json")); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(t.Context(), ev); err != nil {
		t.Fatalf("after the foreign file was moved away: %v", err)
	}
}
