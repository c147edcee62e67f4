package authn

import (
	"container/list"
	"crypto/sha256"
	"slices"
	"sync"
	"time"
)

// tokenCache is a bounded LRU of validated bearer tokens, keyed by the
// SHA-256 of the token (the token itself is never stored). An entry expires
// at the token's exp (or earlier, capped by CacheTTL). Cached principals
// carry no roles: an entry may memoize the roles mapped for it together
// with the immutable role-mapping snapshot they came from, and a hit reuses
// them only while that snapshot is still in force, so a reloaded
// role-mapping file takes effect at once.
type tokenCache struct {
	max   int
	mu    sync.Mutex
	lru   *list.List // of *tokenEntry, most recent first
	items map[[sha256.Size]byte]*list.Element
}

type tokenEntry struct {
	key       [sha256.Size]byte
	principal *Principal
	expires   time.Time
	// mappedBy is the role-mapping snapshot roles were mapped with (nil:
	// none memoized yet).
	mappedBy *RoleMapper
	roles    []string
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, lru: list.New(), items: map[[sha256.Size]byte]*list.Element{}}
}

func (c *tokenCache) get(key [sha256.Size]byte, now time.Time) (*Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*tokenEntry)
	if !now.Before(e.expires) {
		c.lru.Remove(el)
		delete(c.items, key)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e.principal.Clone(), true
}

func (c *tokenCache) put(key [sha256.Size]byte, p *Principal, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value = &tokenEntry{key: key, principal: p.Clone(), expires: expires}
		c.lru.MoveToFront(el)
		return
	}
	c.items[key] = c.lru.PushFront(&tokenEntry{key: key, principal: p.Clone(), expires: expires})
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.items, old.Value.(*tokenEntry).key)
	}
}

// roles returns the roles memoized for key under snapshot m.
func (c *tokenCache) roles(key [sha256.Size]byte, m *RoleMapper) ([]string, bool) {
	if m == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*tokenEntry)
	if e.mappedBy != m {
		return nil, false
	}
	return slices.Clone(e.roles), true
}

// memoizeRoles remembers roles, mapped with snapshot m, for key's entry
// (if it is still cached).
func (c *tokenCache) memoizeRoles(key [sha256.Size]byte, m *RoleMapper, roles []string) {
	if m == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*tokenEntry)
		e.mappedBy, e.roles = m, slices.Clone(roles)
	}
}

// Len is the number of cached tokens.
func (c *tokenCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
