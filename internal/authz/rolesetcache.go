package authz

import (
	"encoding/binary"
	"maps"
	"sync"
	"sync/atomic"
)

// Every request names its user's roles; resolving them (and finding the
// groups that grant its action) is the same work for every request of the
// users with the same roles. An evaluator therefore remembers, per list of
// role names, the roles resolved and, per action, the groups granting it.
// The cache lives in the evaluator: a new role set (RoleStore.Reload) is a
// new evaluator with an empty cache. Nothing in it depends on the cluster
// metadata.

// maxCachedRoleSets bounds an evaluator's roleSetCache; full, it starts
// over. Role name lists come from authenticated users' role mappings, a
// small set in practice, but nothing here relies on it.
const maxCachedRoleSets = 1024

// maxCachedKeyLen bounds the memory one cached list may hold (its key, and
// the names the grantee keeps); longer lists are resolved per request.
const maxCachedKeyLen = 4096

// maxGranteeActions bounds the actions a grantee remembers groups for; the
// others are computed per request, as without a cache.
const maxGranteeActions = 64

// roleSetCache maps a list of role names (in the order given) to its
// grantee. The zero value is ready to use.
type roleSetCache struct {
	mu    sync.RWMutex
	byKey map[string]*grantee
}

// grantee is a list of role names resolved against one evaluator's roles.
// It is immutable but for its action cache, and safe for concurrent use.
type grantee struct {
	roles     []*compiledRole // found, sorted by name
	effective []string        // names found, sorted (read-only, shared)
	missing   []string        // names not found, sorted (read-only, shared)

	mu       sync.Mutex                                  // serialises writers of byAction
	byAction atomic.Pointer[map[string][]*compiledGroup] // copy on write
}

// get returns the grantee of names, resolving them on first use.
func (c *roleSetCache) get(e *Evaluator, names []string) *grantee {
	var buf [256]byte
	key := roleSetKey(buf[:0], names)
	c.mu.RLock()
	g := c.byKey[string(key)]
	c.mu.RUnlock()
	if g != nil {
		return g
	}
	g = &grantee{}
	g.roles, g.effective, g.missing = e.resolve(names)
	if len(key) > maxCachedKeyLen {
		return g
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.byKey[string(key)]; prev != nil {
		return prev
	}
	if c.byKey == nil || len(c.byKey) >= maxCachedRoleSets {
		c.byKey = make(map[string]*grantee)
	}
	c.byKey[string(key)] = g
	return g
}

// roleSetKey encodes names unambiguously (each prefixed by its length).
func roleSetKey(dst []byte, names []string) []byte {
	for _, n := range names {
		dst = binary.AppendUvarint(dst, uint64(len(n)))
		dst = append(dst, n...)
	}
	return dst
}

// groupsFor returns the grantee's index groups granting action, in role
// order (shared; read-only).
func (g *grantee) groupsFor(action string) []*compiledGroup {
	switch len(g.roles) {
	case 0:
		return nil
	case 1:
		return g.roles[0].groupsFor(action) // cached by the role
	}
	if m := g.byAction.Load(); m != nil {
		if groups, ok := (*m)[action]; ok {
			return groups
		}
	}
	var groups []*compiledGroup
	for _, r := range g.roles {
		groups = append(groups, r.groupsFor(action)...)
	}
	g.remember(action, groups)
	return groups
}

// remember adds action's groups to the cache while there is room.
func (g *grantee) remember(action string, groups []*compiledGroup) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.byAction.Load()
	next := make(map[string][]*compiledGroup, 1)
	if old != nil {
		if _, ok := (*old)[action]; ok || len(*old) >= maxGranteeActions {
			return
		}
		next = maps.Clone(*old)
	}
	next[action] = groups
	g.byAction.Store(&next)
}
