package session

import "sync"

// flight runs one call per key at a time in this process and hands its
// result to every caller that arrived while it ran (a minimal singleflight:
// concurrent requests of one session wait for one refresh instead of
// queueing on the store's lock one after the other).
type flight struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	done chan struct{}
	s    *Session
	err  error
}

func (f *flight) do(key string, fn func() (*Session, error)) (*Session, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*flightCall{}
	}
	if c, ok := f.calls[key]; ok {
		f.mu.Unlock()
		<-c.done
		return c.s, c.err
	}
	c := &flightCall{done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()

	defer func() {
		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
		close(c.done)
	}()
	c.s, c.err = fn()
	return c.s, c.err
}
