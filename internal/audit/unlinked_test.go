package audit

import (
	"errors"
	"os"
	"path/filepath"
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
		for i := 0; i < 3; i++ {
			if err := l.Append(t.Context(), ev); err == nil {
				t.Fatalf("prealloc %d: append %d to a deleted file succeeded", prealloc, i)
			} else if i == 0 && !errors.Is(err, ErrFileDeleted) {
				t.Fatalf("prealloc %d: append to a deleted file: %v, want ErrFileDeleted", prealloc, err)
			}
		}
		_ = l.Close()
	}
}
