package reload

import (
	"context"
	"os"
	"sync/atomic"
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
