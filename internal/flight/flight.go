// Package flight runs one call per key at a time within a process and hands
// its result to the callers that arrived while it ran (a typed, minimal
// singleflight). Logins with the same credentials share one password
// verification this way, requests of one browser session one refresh, and
// requests with one fresh opaque bearer token one introspection call.
package flight

import (
	"context"
	"sync"
)

// Group deduplicates concurrent calls by key. The zero value is ready to
// use; a Group must not be copied after first use.
type Group[K comparable, V any] struct {
	mu    sync.Mutex
	calls map[K]*call[V]
}

// call is one call in progress; done is closed once v is set.
type call[V any] struct {
	done chan struct{}
	v    V
}

// Do returns fn's result for key. If a call for key is already running, Do
// waits for its result instead of calling fn, or returns ctx's error when
// ctx ends first (the running call goes on for its other callers). If fn
// panics, the panic propagates to its caller and waiters get V's zero value.
func (g *Group[K, V]) Do(ctx context.Context, key K, fn func() V) (V, error) {
	g.mu.Lock()
	if c, running := g.calls[key]; running {
		g.mu.Unlock()
		select {
		case <-c.done:
			return c.v, nil
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	if g.calls == nil {
		g.calls = make(map[K]*call[V])
	}
	c := &call[V]{done: make(chan struct{})}
	g.calls[key] = c
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.calls, key)
		g.mu.Unlock()
		close(c.done)
	}()
	c.v = fn()
	return c.v, nil
}

// Running reports how many calls are in progress (for tests and metrics).
func (g *Group[K, V]) Running() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.calls)
}
