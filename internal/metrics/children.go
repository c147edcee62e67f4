package metrics

import "sync"

// children memoises the child collectors of a vector by label values.
//
// WithLabelValues hashes and validates every label and takes the vector's
// lock on each call; on the request path that was about a microsecond per
// request for two collectors. Label sets are few (route classes, methods,
// status codes, decisions, realms), so the bound children are kept in a
// map read under a shared lock.
type children[K comparable, V any] struct {
	bind func(K) V

	mu sync.RWMutex
	m  map[K]V
}

func newChildren[K comparable, V any](bind func(K) V) *children[K, V] {
	return &children[K, V]{bind: bind, m: make(map[K]V)}
}

// get returns the child for k, binding it on first use.
func (c *children[K, V]) get(k K) V {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[k]; ok {
		return v
	}
	v = c.bind(k)
	c.m[k] = v
	return v
}
