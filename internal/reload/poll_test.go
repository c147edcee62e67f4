package reload

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestPollStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	done := make(chan struct{})
	go func() { Poll(ctx, time.Millisecond, func() { calls.Add(1) }); close(done) }()
	for calls.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	n := calls.Load()
	time.Sleep(10 * time.Millisecond)
	if calls.Load() != n {
		t.Fatal("check called after the context ended")
	}
}

// TestSettled: a file modified within SettleTime (as one being written
// now) is not settled; once older, or missing, it is.
func TestSettled(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/users_roles"
	if err := os.WriteFile(path, []byte("admin:alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := os.Chtimes(path, now, now); err != nil {
		t.Fatal(err)
	}
	if Settled(now, path) {
		t.Fatal("a file modified just now counts as settled")
	}
	old := now.Add(-2 * SettleTime)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if !Settled(now, path, dir+"/missing", "") {
		t.Fatal("a file unmodified for longer than SettleTime, or a missing one, counts as unsettled")
	}
	skewed := now.Add(time.Hour) // another clock's time: never loaded if it waited
	if err := os.Chtimes(path, skewed, skewed); err != nil {
		t.Fatal(err)
	}
	if !Settled(now, path) {
		t.Fatal("a file modified far in the future counts as unsettled")
	}
}

// TestReadFile: a regular file is read; a missing one is fs.ErrNotExist;
// a named pipe (which os.ReadFile would wait on for ever) and a directory
// are ErrNotRegular, at once.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/roles.yml"
	if err := os.WriteFile(path, []byte("r: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(path); err != nil || string(b) != "r: {}\n" {
		t.Fatalf("regular file: %q %v", b, err)
	}
	if _, err := ReadFile(dir + "/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	fifo := dir + "/fifo"
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, dir} {
		if _, err := ReadFile(p); !errors.Is(err, ErrNotRegular) {
			t.Fatalf("%s: %v, want ErrNotRegular", p, err)
		}
	}
}
