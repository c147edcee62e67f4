package authz

import (
	"sync"
	"sync/atomic"
)

// grantCache remembers, for one metadata snapshot, which names each group
// grants (by name, whatever the action): wildcard expansion then tests a
// bit instead of matching every name against every pattern. An evaluator
// keeps the cache of the last snapshot it saw; the snapshot changes only
// when the cluster's indices, aliases or data streams do.
type grantCache struct {
	md       *Metadata
	perGroup sync.Map // *compiledGroup -> []uint64 (bit i: group grants md.names[i])
}

// grantsCache returns the cache for md, replacing the evaluator's cache
// when md is a new snapshot. Nil for an empty snapshot.
func (e *Evaluator) grantsCache(md *Metadata) *grantCache {
	if md.Len() == 0 {
		return nil
	}
	if c := e.cache.Load(); c != nil && c.md == md {
		return c
	}
	c := &grantCache{md: md}
	e.cache.Store(c)
	return c
}

// bits returns g's bitset: bit i says g grants md.names[i].
func (c *grantCache) bits(g *compiledGroup) []uint64 {
	if v, ok := c.perGroup.Load(g); ok {
		return v.([]uint64)
	}
	bits := make([]uint64, (len(c.md.names)+63)/64)
	for i := range c.md.names {
		if g.grantsAbstraction(&c.md.names[i]) {
			bits[i/64] |= 1 << (i % 64)
		}
	}
	v, _ := c.perGroup.LoadOrStore(g, bits)
	return v.([]uint64)
}

// hasBit reports whether bit pos is set.
func hasBit(bits []uint64, pos int) bool { return bits[pos/64]&(1<<(pos%64)) != 0 }

// evaluatorCache is the evaluator's slot for its grant cache.
type evaluatorCache = atomic.Pointer[grantCache]
