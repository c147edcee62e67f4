package cursor

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Default bounds of a MemoryRegistry. The per-owner bound is twice
// Elasticsearch's default search.max_open_scroll_context (500 per node).
const (
	// DefaultMaxPerOwner is the default RegistryLimits.MaxPerOwner.
	DefaultMaxPerOwner = 1000
	// DefaultMaxTotal is the default RegistryLimits.MaxTotal.
	DefaultMaxTotal = 100_000
)

// RegistryLimits bound a MemoryRegistry. Zero fields take the defaults.
type RegistryLimits struct {
	// MaxPerOwner is the most cursors one owner holds, all kinds
	// together. Adding one more evicts that owner's soonest-expiring
	// cursor.
	MaxPerOwner int
	// MaxTotal is the most cursors held overall. Adding one more evicts
	// the soonest-expiring cursor of anyone, so one owner cannot make the
	// registry grow without bound and many owners cannot either.
	MaxTotal int
}

// MemoryRegistry is a Registry held in the proxy's memory. It is per
// replica: behind a load balancer, an "_all" request only reaches the
// cursors created through the replica that serves it, and a restart
// forgets every entry (the cursors themselves keep working, since tokens
// carry their binding). A registry shared through Redis would implement
// the same interface for deployments with several replicas.
//
// Expired entries are dropped as the registry is used; the bounds evict
// the entries that would expire first. It is safe for concurrent use.
type MemoryRegistry struct {
	now    func() time.Time
	limits RegistryLimits

	mu     sync.Mutex
	owners map[Owner]map[entryKey]*registryItem
	expiry expiryHeap
}

// entryKey identifies an entry within an owner's cursors.
type entryKey struct {
	kind     Kind
	upstream string
}

// registryItem is an entry with its place in the expiry heap.
type registryItem struct {
	owner Owner
	entry Entry
	index int
}

// NewMemoryRegistry returns an empty registry with the given bounds. now
// is the clock (nil means time.Now).
func NewMemoryRegistry(limits RegistryLimits, now func() time.Time) *MemoryRegistry {
	if limits.MaxPerOwner <= 0 {
		limits.MaxPerOwner = DefaultMaxPerOwner
	}
	if limits.MaxTotal <= 0 {
		limits.MaxTotal = DefaultMaxTotal
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryRegistry{now: now, limits: limits, owners: map[Owner]map[entryKey]*registryItem{}}
}

// Add implements Registry.
func (r *MemoryRegistry) Add(_ context.Context, owner Owner, e Entry) error {
	if !e.Kind.valid() || e.UpstreamID == "" || e.Token == "" || owner.IsZero() {
		return fmt.Errorf("cursor: registry: incomplete entry (kind %s, owner %q)", e.Kind, owner.Username)
	}
	if e.KeepAlive < 0 {
		return fmt.Errorf("cursor: registry: negative keep-alive %v", e.KeepAlive)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.dropExpired(now)
	key := entryKey{e.Kind, e.UpstreamID}
	if it, ok := r.owners[owner][key]; ok {
		it.entry.Token = e.Token
		if e.KeepAlive > 0 {
			it.entry.KeepAlive = e.KeepAlive
		}
		it.entry.Expires = now.Add(it.entry.KeepAlive)
		heap.Fix(&r.expiry, it.index)
		return nil
	}
	if e.KeepAlive == 0 {
		e.KeepAlive = DefaultKeepAlive
	}
	e.Expires = now.Add(e.KeepAlive)
	held := r.owners[owner]
	if len(held) >= r.limits.MaxPerOwner {
		r.remove(soonest(held))
	}
	if r.expiry.Len() >= r.limits.MaxTotal {
		r.remove(r.expiry[0])
	}
	if r.owners[owner] == nil {
		r.owners[owner] = map[entryKey]*registryItem{}
	}
	it := &registryItem{owner: owner, entry: e}
	r.owners[owner][key] = it
	heap.Push(&r.expiry, it)
	return nil
}

// List implements Registry.
func (r *MemoryRegistry) List(_ context.Context, owner Owner, kind Kind) ([]Entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropExpired(r.now())
	var out []Entry
	for key, it := range r.owners[owner] {
		if key.kind == kind {
			out = append(out, it.entry)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(a.Expires.Compare(b.Expires), cmp.Compare(a.UpstreamID, b.UpstreamID))
	})
	return out, nil
}

// Remove implements Registry.
func (r *MemoryRegistry) Remove(_ context.Context, owner Owner, kind Kind, upstreamIDs ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range upstreamIDs {
		if it, ok := r.owners[owner][entryKey{kind, id}]; ok {
			r.remove(it)
		}
	}
	return nil
}

// Len returns the number of entries held, expired ones included until
// the next use drops them.
func (r *MemoryRegistry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.expiry.Len()
}

// dropExpired removes every entry whose expiry is not after now.
func (r *MemoryRegistry) dropExpired(now time.Time) {
	for r.expiry.Len() > 0 && !r.expiry[0].entry.Expires.After(now) {
		r.remove(r.expiry[0])
	}
}

// remove deletes an item from the heap and its owner's map.
func (r *MemoryRegistry) remove(it *registryItem) {
	heap.Remove(&r.expiry, it.index)
	held := r.owners[it.owner]
	delete(held, entryKey{it.entry.Kind, it.entry.UpstreamID})
	if len(held) == 0 {
		delete(r.owners, it.owner)
	}
}

// soonest returns the item of held that expires first (ties broken by id,
// so eviction is deterministic).
func soonest(held map[entryKey]*registryItem) *registryItem {
	var first *registryItem
	for _, it := range held {
		if first == nil || lessExpiry(it, first) {
			first = it
		}
	}
	return first
}

func lessExpiry(a, b *registryItem) bool {
	if c := a.entry.Expires.Compare(b.entry.Expires); c != 0 {
		return c < 0
	}
	return a.entry.UpstreamID < b.entry.UpstreamID
}

// expiryHeap orders items by expiry (container/heap).
type expiryHeap []*registryItem

// Len, Less, Swap, Push and Pop implement heap.Interface, keeping each
// item's index current so that heap.Fix and heap.Remove can find it.
func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return lessExpiry(h[i], h[j]) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	it := x.(*registryItem)
	it.index = len(*h)
	*h = append(*h, it)
}
func (h *expiryHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	it.index = -1
	return it
}
