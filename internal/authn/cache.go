package authn

import (
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"
	"time"
)

// credentialCache remembers recent successful logins so that bcrypt or
// PBKDF2 does not run on every request. It never stores a password: only an
// HMAC-SHA-256 of username and password under a random key drawn when the
// cache is created, so a memory dump yields nothing usable offline without
// also the key, and nothing at all after a restart.
//
// Entries are tied to the snapshot generation they were verified against: a
// reload that changes either file bumps the generation, and an entry from an
// older generation is a miss (and the realm also clears the cache). So a
// removed user, a changed password or a changed role takes effect at once.
//
// Size is bounded: when full, the least recently used entry is evicted.
// Entries expire ttl after they were written, whether used or not.
type credentialCache struct {
	key [sha256.Size]byte
	// macs holds keyed HMAC states for reuse: a fresh hmac.New per request
	// allocated and re-derived the padded key every time, a measurable
	// share of a cached login (Reset restores the keyed state cheaply).
	macs sync.Pool
	ttl  time.Duration
	max  int
	now  func() time.Time

	mu    sync.Mutex
	lru   *list.List // of *cacheEntry, most recently used first
	items map[string]*list.Element
}

type cacheEntry struct {
	username  string
	digest    [sha256.Size]byte
	gen       uint64
	principal *Principal
	expires   time.Time
}

func newCredentialCache(ttl time.Duration, maxUsers int, now func() time.Time) (*credentialCache, error) {
	c := &credentialCache{ttl: ttl, max: maxUsers, now: now, lru: list.New(), items: make(map[string]*list.Element)}
	if _, err := rand.Read(c.key[:]); err != nil {
		return nil, fmt.Errorf("credential cache key: %w", err)
	}
	c.macs.New = func() any { return &macState{mac: hmac.New(sha256.New, c.key[:]), buf: make([]byte, 0, 256)} }
	return c, nil
}

// digest binds password to username; the length prefix keeps
// ("ab","c") and ("a","bc") apart.
func (c *credentialCache) digest(username, password string) [sha256.Size]byte {
	st := c.macs.Get().(*macState)
	defer c.macs.Put(st)
	st.mac.Reset()
	msg := binary.BigEndian.AppendUint32(st.buf[:0], uint32(len(username)))
	msg = append(append(msg, username...), password...)
	st.mac.Write(msg)
	if cap(msg) > maxPooledMessage {
		msg = nil // do not keep a huge credential's buffer in the pool
	}
	st.buf = msg[:0]
	var out [sha256.Size]byte
	copy(out[:], st.mac.Sum(st.sum[:0]))
	return out
}

// macState is a keyed HMAC with its scratch buffers, pooled per cache so
// that a cached login allocates nothing: a fresh hmac.New per request
// re-derived the padded key every time, and slices handed to the hash
// interface escape to the heap.
type macState struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// maxPooledMessage bounds the scratch buffer a pooled state keeps.
const maxPooledMessage = 1024

// get returns a clone of the cached principal when username has a live
// entry of generation gen whose digest matches password (compared in
// constant time), or nil. A mismatching password leaves the entry alone so
// that wrong guesses cannot evict a legitimate user's entry.
func (c *credentialCache) get(username, password string, gen uint64) *Principal {
	d := c.digest(username, password)
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[username]
	if !ok {
		return nil
	}
	e := el.Value.(*cacheEntry)
	if e.gen != gen || !c.now().Before(e.expires) {
		c.remove(el)
		return nil
	}
	if !hmac.Equal(d[:], e.digest[:]) {
		return nil
	}
	c.lru.MoveToFront(el)
	return e.principal.Clone()
}

// put records a successful login verified against generation gen.
func (c *credentialCache) put(username, password string, gen uint64, p *Principal) {
	e := &cacheEntry{username: username, digest: c.digest(username, password), gen: gen,
		principal: p.Clone(), expires: c.now().Add(c.ttl)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[username]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	for c.lru.Len() >= c.max {
		c.remove(c.lru.Back())
	}
	c.items[username] = c.lru.PushFront(e)
}

// clear drops every entry (after a reload).
func (c *credentialCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Init()
	clear(c.items)
}

// len returns the number of entries, expired ones included.
func (c *credentialCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

func (c *credentialCache) remove(el *list.Element) {
	delete(c.items, el.Value.(*cacheEntry).username)
	c.lru.Remove(el)
}
