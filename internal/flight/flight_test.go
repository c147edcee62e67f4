package flight

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// Concurrent calls with one key share one run; another key runs on its own.
func TestDoSharesOneCallPerKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group[string, int]
		release := make(chan struct{})
		var runs atomic.Int32
		results := make(chan int, 12)
		var wg sync.WaitGroup
		for i := range 12 {
			key, want := "a", 1
			if i%3 == 0 {
				key, want = "b", 2
			}
			wg.Go(func() {
				v, err := g.Do(context.Background(), key, func() int { runs.Add(1); <-release; return want })
				if err != nil || v != want {
					t.Errorf("key %s: %d, %v; want %d", key, v, err, want)
				}
				results <- v
			})
		}
		synctest.Wait()
		if n := runs.Load(); n != 2 || g.Running() != 2 {
			t.Errorf("%d runs, %d running; want 2 and 2", n, g.Running())
		}
		close(release)
		wg.Wait()
		if g.Running() != 0 {
			t.Errorf("%d calls left running", g.Running())
		}
		if _, _ = g.Do(context.Background(), "a", func() int { runs.Add(1); return 3 }); runs.Load() != 3 {
			t.Error("a call after the first ended did not run")
		}
	})
}

// A waiter gives up with its context; the running call still completes
// for its own caller.
func TestDoWaiterRespectsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group[int, string]
		release := make(chan struct{})
		leader := make(chan string)
		go func() {
			v, _ := g.Do(context.Background(), 1, func() string { <-release; return "done" })
			leader <- v
		}()
		synctest.Wait()
		ctx, cancel := context.WithCancel(context.Background())
		waiter := make(chan error)
		go func() {
			_, err := g.Do(ctx, 1, func() string { t.Error("a second call ran"); return "" })
			waiter <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-waiter; !errors.Is(err, context.Canceled) {
			t.Errorf("waiter: %v, want context.Canceled", err)
		}
		close(release)
		if v := <-leader; v != "done" {
			t.Errorf("leader got %q", v)
		}
	})
}

// A panicking call does not leave its key blocked: waiters get the zero
// value and the next call runs.
func TestDoPanicReleasesTheKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group[string, int]
		release := make(chan struct{})
		go func() {
			defer func() { _ = recover() }()
			g.Do(context.Background(), "k", func() int { <-release; panic("boom") })
		}()
		synctest.Wait()
		waiter := make(chan int)
		go func() {
			v, _ := g.Do(context.Background(), "k", func() int { return 7 })
			waiter <- v
		}()
		synctest.Wait()
		close(release)
		if v := <-waiter; v != 0 {
			t.Errorf("waiter of a panicked call got %d, want the zero value", v)
		}
		if v, _ := g.Do(context.Background(), "k", func() int { return 9 }); v != 9 {
			t.Errorf("next call got %d, want 9", v)
		}
	})
}
