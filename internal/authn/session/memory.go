package session

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// sweepEvery is how often the memory backend drops expired records.
const sweepEvery = time.Minute

// Memory is the in-process Backend: sessions live as long as the process
// and are not shared with other replicas. It is the default for a single
// instance.
type Memory struct {
	now func() time.Time

	mu        sync.Mutex
	records   map[string]*memRecord
	owners    map[string]map[string]bool
	sids      map[string]map[string]bool
	locks     map[string]chan struct{}
	claims    map[string]time.Time // key -> when its claim expires
	lastSweep time.Time
}

type memRecord struct {
	sealed  []byte
	expires time.Time
	owner   string
	sid     string
	created time.Time
}

// NewMemory returns an empty in-process backend. now is the clock (nil:
// time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{
		now: now, records: map[string]*memRecord{}, owners: map[string]map[string]bool{},
		sids: map[string]map[string]bool{}, locks: map[string]chan struct{}{}, claims: map[string]time.Time{},
	}
}

// Create implements Backend.
func (m *Memory) Create(_ context.Context, rec Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweepLocked(now)
	m.records[rec.Key] = &memRecord{
		sealed: slices.Clone(rec.Sealed), expires: now.Add(rec.TTL), owner: rec.Owner, sid: rec.SID, created: rec.CreatedAt,
	}
	addIndex(m.owners, rec.Owner, rec.Key)
	if rec.SID != "" {
		addIndex(m.sids, rec.SID, rec.Key)
	}
	return nil
}

func addIndex(idx map[string]map[string]bool, name, key string) {
	if idx[name] == nil {
		idx[name] = map[string]bool{}
	}
	idx[name][key] = true
}

// Get implements Backend.
func (m *Memory) Get(_ context.Context, key string) ([]byte, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.liveLocked(key, m.now())
	if r == nil {
		return nil, 0, ErrNotFound
	}
	return slices.Clone(r.sealed), r.expires.Sub(m.now()), nil
}

// liveLocked returns the record if it has not expired, dropping it if it has.
func (m *Memory) liveLocked(key string, now time.Time) *memRecord {
	r := m.records[key]
	if r == nil {
		return nil
	}
	if !now.Before(r.expires) {
		m.deleteLocked(key)
		return nil
	}
	return r
}

// Touch implements Backend.
func (m *Memory) Touch(_ context.Context, key string, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if r := m.liveLocked(key, now); r != nil {
		r.expires = now.Add(ttl)
	}
	return nil
}

// Replace implements Backend. Memory leases cannot be lost.
func (m *Memory) Replace(_ context.Context, key string, sealed []byte, lease Lease) error {
	l, ok := lease.(*memLease)
	if !ok || l.m != m || l.key != key {
		return fmt.Errorf("session: replace: %w (lease of another lock)", ErrLeaseLost)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if l.released {
		return ErrLeaseLost
	}
	r := m.liveLocked(key, m.now())
	if r == nil {
		return ErrNotFound
	}
	r.sealed = slices.Clone(sealed)
	return nil
}

// Delete implements Backend.
func (m *Memory) Delete(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		m.deleteLocked(k)
	}
	return nil
}

func (m *Memory) deleteLocked(key string) {
	r := m.records[key]
	if r == nil {
		return
	}
	delete(m.records, key)
	removeIndex(m.owners, r.owner, key)
	if r.sid != "" {
		removeIndex(m.sids, r.sid, key)
	}
}

func removeIndex(idx map[string]map[string]bool, name, key string) {
	delete(idx[name], key)
	if len(idx[name]) == 0 {
		delete(idx, name)
	}
}

// Owned implements Backend.
func (m *Memory) Owned(_ context.Context, owner string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := m.liveIndexLocked(m.owners[owner])
	slices.SortFunc(keys, func(a, b string) int {
		if c := m.records[a].created.Compare(m.records[b].created); c != 0 {
			return c
		}
		return compareStrings(a, b)
	})
	return keys, nil
}

// BySID implements Backend.
func (m *Memory) BySID(_ context.Context, sid string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := m.liveIndexLocked(m.sids[sid])
	slices.Sort(keys)
	return keys, nil
}

func (m *Memory) liveIndexLocked(set map[string]bool) []string {
	now := m.now()
	var keys []string
	for k := range set {
		if m.liveLocked(k, now) != nil {
			keys = append(keys, k)
		}
	}
	return keys
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sweepLocked drops expired records at most once per sweepEvery, so that
// memory does not grow with sessions nobody comes back to.
func (m *Memory) sweepLocked(now time.Time) {
	if now.Sub(m.lastSweep) < sweepEvery {
		return
	}
	m.lastSweep = now
	for k := range m.records {
		m.liveLocked(k, now)
	}
	for k, expires := range m.claims {
		if !now.Before(expires) {
			delete(m.claims, k)
		}
	}
}

// Claim implements Backend.
func (m *Memory) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweepLocked(now)
	if expires, ok := m.claims[key]; ok && now.Before(expires) {
		return false, nil
	}
	m.claims[key] = now.Add(ttl)
	return true, nil
}

// Unclaim implements Backend.
func (m *Memory) Unclaim(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.claims, key)
	return nil
}

// Lock implements Backend: an in-process lock per key.
func (m *Memory) Lock(ctx context.Context, key string, _ time.Duration) (Lease, error) {
	for {
		m.mu.Lock()
		held, busy := m.locks[key]
		if !busy {
			m.locks[key] = make(chan struct{})
			m.mu.Unlock()
			return &memLease{m: m, key: key}, nil
		}
		m.mu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			return nil, fmt.Errorf("session: waiting for the lock of a session: %w", ctx.Err())
		}
	}
}

type memLease struct {
	m        *Memory
	key      string
	released bool // guarded by m.mu
}

// Release implements Lease.
func (l *memLease) Release(context.Context) error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if l.released {
		return nil
	}
	l.released = true
	if ch, ok := l.m.locks[l.key]; ok {
		close(ch)
		delete(l.m.locks, l.key)
	}
	return nil
}

// Ping implements Backend.
func (m *Memory) Ping(context.Context) error { return nil }

// Close implements Backend.
func (m *Memory) Close() error { return nil }

var _ Backend = (*Memory)(nil)
