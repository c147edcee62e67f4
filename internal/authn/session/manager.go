package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/flight"
)

// Defaults are Kibana's: 3 days idle, 30 days lifespan.
const (
	DefaultIdleTimeout = 72 * time.Hour
	DefaultLifespan    = 30 * 24 * time.Hour
	defaultLockLease   = 5 * time.Second
	defaultLockWait    = 15 * time.Second
)

// Options configures a Manager.
type Options struct {
	// Backend stores the sealed sessions (required).
	Backend Backend
	// Keys seal and open sessions (required; purpose "session").
	Keys *Keyring
	// IdleTimeout ends a session not used for this long (0: DefaultIdleTimeout;
	// negative: no idle timeout).
	IdleTimeout time.Duration
	// Lifespan ends every session this long after login, used or not
	// (0: DefaultLifespan).
	Lifespan time.Duration
	// MaxPerUser bounds a user's concurrent sessions; the oldest are
	// evicted by a new login (0: no limit).
	MaxPerUser int
	// LockLease is the update lock's lease, renewed while held (default 5s);
	// LockWait bounds the wait for a busy lock (default 15s).
	LockLease time.Duration
	LockWait  time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Manager creates, loads, updates and deletes sessions.
type Manager struct {
	o       Options
	updates flight.Group[string, updateResult]
}

// NewManager checks o and applies defaults.
func NewManager(o Options) (*Manager, error) {
	if o.Backend == nil || o.Keys == nil {
		return nil, errors.New("session: a backend and keys are required")
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.Lifespan == 0 {
		o.Lifespan = DefaultLifespan
	}
	if o.Lifespan < 0 {
		return nil, errors.New("session: the lifespan must be positive (sessions must end)")
	}
	if o.MaxPerUser < 0 {
		return nil, errors.New("session: the per-user limit must not be negative")
	}
	if o.LockLease <= 0 {
		o.LockLease = defaultLockLease
	}
	if o.LockWait <= 0 {
		o.LockWait = defaultLockWait
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Manager{o: o}, nil
}

// ttl is how long a record lives from now: the idle timeout, capped by the
// absolute expiry.
func (m *Manager) ttl(expires time.Time) time.Duration {
	left := expires.Sub(m.o.Now())
	if m.o.IdleTimeout > 0 && m.o.IdleTimeout < left {
		return m.o.IdleTimeout
	}
	return left
}

// Create stores a new session for d (CreatedAt and ExpiresAt are set
// here) and returns the token for the cookie. When the user then has more
// than MaxPerUser sessions, the oldest are deleted.
func (m *Manager) Create(ctx context.Context, d Data) (string, *Session, error) {
	if d.Issuer == "" || d.Subject == "" {
		return "", nil, errors.New("session: issuer and subject are required")
	}
	token, err := newToken()
	if err != nil {
		return "", nil, err
	}
	now := m.o.Now()
	d.CreatedAt, d.ExpiresAt = now, now.Add(m.o.Lifespan)
	key := storeKey(token)
	sealed, err := m.seal(key, &d)
	if err != nil {
		return "", nil, err
	}
	owner := indexKey("owner", d.Issuer, d.Subject)
	rec := Record{Key: key, Sealed: sealed, TTL: m.ttl(d.ExpiresAt), Owner: owner, CreatedAt: now, IndexTTL: m.o.Lifespan}
	if d.SID != "" {
		rec.SID = indexKey("sid", d.Issuer, d.SID)
	}
	if err := m.o.Backend.Create(ctx, rec); err != nil {
		return "", nil, err
	}
	if err := m.enforceLimit(ctx, owner, key); err != nil {
		return "", nil, err
	}
	return token, m.session(key, d, rec.TTL), nil
}

// enforceLimit deletes a user's oldest sessions beyond MaxPerUser, never
// the one just created.
func (m *Manager) enforceLimit(ctx context.Context, owner, keep string) error {
	if m.o.MaxPerUser == 0 {
		return nil
	}
	keys, err := m.o.Backend.Owned(ctx, owner)
	if err != nil {
		return err
	}
	var evict []string
	for i := 0; len(keys)-len(evict) > m.o.MaxPerUser && i < len(keys); i++ {
		if keys[i] != keep {
			evict = append(evict, keys[i])
		}
	}
	return m.o.Backend.Delete(ctx, evict...)
}

func (m *Manager) session(key string, d Data, ttl time.Duration) *Session {
	s := &Session{Data: d, key: key}
	if m.o.IdleTimeout > 0 {
		s.IdleExpiresAt = m.o.Now().Add(ttl)
	}
	return s
}

// Load returns the session of token and extends its idle timeout. Unknown,
// expired and undecryptable sessions are ErrNotFound; any other error means
// the store could not be asked.
func (m *Manager) Load(ctx context.Context, token string) (*Session, error) {
	if !validToken(token) {
		return nil, ErrNotFound
	}
	key := storeKey(token)
	s, ttl, err := m.read(ctx, key)
	if err != nil {
		return nil, err
	}
	if err := m.touch(ctx, s, ttl); err != nil {
		return nil, err
	}
	return s, nil
}

// read fetches and opens a session by store key.
func (m *Manager) read(ctx context.Context, key string) (*Session, time.Duration, error) {
	sealed, ttl, err := m.o.Backend.Get(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	d, err := m.open(key, sealed)
	if err != nil {
		// Sealed with a key that was rotated out, or altered in the store:
		// the session cannot be trusted, so it is gone.
		_ = m.o.Backend.Delete(ctx, key)
		return nil, 0, ErrNotFound
	}
	if !m.o.Now().Before(d.ExpiresAt) {
		_ = m.o.Backend.Delete(ctx, key)
		return nil, 0, ErrNotFound
	}
	return m.session(key, *d, ttl), ttl, nil
}

// touch extends the idle timeout, but writes only when it has run down by
// a twentieth (at most a minute), so busy sessions do not cost a store
// write per request.
func (m *Manager) touch(ctx context.Context, s *Session, ttl time.Duration) error {
	if m.o.IdleTimeout <= 0 {
		return nil
	}
	slack := min(m.o.IdleTimeout/20, time.Minute)
	want := m.ttl(s.ExpiresAt)
	if want-ttl < slack {
		return nil
	}
	if err := m.o.Backend.Touch(ctx, s.key, want); err != nil {
		return err
	}
	s.IdleExpiresAt = m.o.Now().Add(want)
	return nil
}

// UpdateFunc receives the session as currently stored (re-read under the
// lock) and returns its new data, or nil to leave it unchanged (another
// replica already did the work).
type UpdateFunc func(current *Session) (*Data, error)

// Update changes a session under its lock: one caller per session in this
// process (the others share its result) and, with a shared backend, one
// across replicas. fn runs with the freshly read session, so a replica that
// lost the race sees the winner's write instead of repeating it. Creation
// and expiry times cannot be changed.
func (m *Manager) Update(ctx context.Context, token string, fn UpdateFunc) (*Session, error) {
	if !validToken(token) {
		return nil, ErrNotFound
	}
	key := storeKey(token)
	// Concurrent requests of one session wait for one update instead of
	// queueing on the store's lock one after the other.
	res, err := m.updates.Do(ctx, key, func() updateResult {
		s, err := m.update(ctx, key, fn)
		return updateResult{s, err}
	})
	if err != nil {
		return nil, err
	}
	return res.s, res.err
}

// updateResult is an update's outcome, shared by the requests that waited
// for it.
type updateResult struct {
	s   *Session
	err error
}

// update is Update's work for the one caller that runs it.
func (m *Manager) update(ctx context.Context, key string, fn UpdateFunc) (*Session, error) {
	// The update outlives a client that goes away: a refresh the
	// provider has done must be stored, or its rotated refresh token
	// would be lost with the session.
	ctx = context.WithoutCancel(ctx)
	lockCtx, cancel := context.WithTimeout(ctx, m.o.LockWait)
	defer cancel()
	lease, err := m.o.Backend.Lock(lockCtx, key, m.o.LockLease)
	if err != nil {
		return nil, err
	}
	defer func() { _ = lease.Release(ctx) }()
	cur, ttl, err := m.read(ctx, key)
	if err != nil {
		return nil, err
	}
	next, err := fn(cur)
	if err != nil || next == nil {
		return cur, err
	}
	next.CreatedAt, next.ExpiresAt = cur.CreatedAt, cur.ExpiresAt
	sealed, err := m.seal(key, next)
	if err != nil {
		return nil, err
	}
	if err := m.o.Backend.Replace(ctx, key, sealed, lease); err != nil {
		return nil, err
	}
	return m.session(key, *next, ttl), nil
}

// Delete removes the session of token (logout). An unknown token is not
// an error.
func (m *Manager) Delete(ctx context.Context, token string) error {
	if !validToken(token) {
		return nil
	}
	return m.o.Backend.Delete(ctx, storeKey(token))
}

// DeleteSubject removes every session of a user at an issuer (back-channel
// logout by sub) and returns how many there were.
func (m *Manager) DeleteSubject(ctx context.Context, issuer, subject string) (int, error) {
	keys, err := m.o.Backend.Owned(ctx, indexKey("owner", issuer, subject))
	if err != nil {
		return 0, err
	}
	return len(keys), m.o.Backend.Delete(ctx, keys...)
}

// DeleteSID removes the sessions of a provider session (back-channel
// logout by sid). With subject set, only sessions of that subject go.
func (m *Manager) DeleteSID(ctx context.Context, issuer, sid, subject string) (int, error) {
	keys, err := m.o.Backend.BySID(ctx, indexKey("sid", issuer, sid))
	if err != nil {
		return 0, err
	}
	if subject != "" {
		keys = m.ofSubject(ctx, keys, issuer, subject)
	}
	return len(keys), m.o.Backend.Delete(ctx, keys...)
}

// ofSubject keeps the keys whose session belongs to issuer/subject.
func (m *Manager) ofSubject(ctx context.Context, keys []string, issuer, subject string) []string {
	var out []string
	for _, k := range keys {
		s, _, err := m.read(ctx, k)
		if err == nil && s.Issuer == issuer && s.Subject == subject {
			out = append(out, k)
		}
	}
	return out
}

// ClaimOnce reports whether the one-time id of issuer (a logout token's
// jti) is used for the first time by any replica sharing the store, and
// remembers it for ttl.
func (m *Manager) ClaimOnce(ctx context.Context, issuer, id string, ttl time.Duration) (bool, error) {
	return m.o.Backend.Claim(ctx, indexKey("once", issuer, id), ttl)
}

// ReleaseOnce forgets a ClaimOnce of issuer's id whose action failed, so
// that its retry is first again.
func (m *Manager) ReleaseOnce(ctx context.Context, issuer, id string) error {
	return m.o.Backend.Unclaim(ctx, indexKey("once", issuer, id))
}

// Ping checks the store.
func (m *Manager) Ping(ctx context.Context) error { return m.o.Backend.Ping(ctx) }

func (m *Manager) seal(key string, d *Data) ([]byte, error) {
	plain, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("session: encoding: %w", err)
	}
	return m.o.Keys.Seal(plain, associatedData(key))
}

func (m *Manager) open(key string, sealed []byte) (*Data, error) {
	plain, err := m.o.Keys.Open(sealed, associatedData(key))
	if err != nil {
		return nil, err
	}
	var d Data
	if err := json.Unmarshal(plain, &d); err != nil {
		return nil, fmt.Errorf("session: decoding: %w", err)
	}
	return &d, nil
}
