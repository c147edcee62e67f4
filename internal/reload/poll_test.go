package reload

import (
	"context"
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
