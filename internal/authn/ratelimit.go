package authn

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// Login limiter defaults.
const (
	// DefaultMaxFailures is the failure count that locks a key out.
	DefaultMaxFailures = 10
	// DefaultFailureWindow is the window failures are counted in.
	DefaultFailureWindow = time.Minute
	// DefaultLockout is how long a key stays locked out.
	DefaultLockout = time.Minute
	// DefaultLimiterMaxKeys bounds each of the limiter's two tables.
	DefaultLimiterMaxKeys = 10000
)

// LoginLimiterOptions configures NewLoginLimiter. Zero values take the
// defaults.
type LoginLimiterOptions struct {
	// MaxFailures failed logins within Window lock the source address or the
	// username out (default 10).
	MaxFailures int
	// Window is the fixed counting window (default 1m).
	Window time.Duration
	// Lockout is how long a key stays locked out (default 1m).
	Lockout time.Duration
	// MaxKeys bounds each table, addresses and usernames separately (default
	// 10000); when full, the least recently touched key is forgotten.
	MaxKeys int
	// Observer receives RateLimited events; nil means NopObserver.
	Observer Observer
	// Clock is for tests; nil means time.Now.
	Clock func() time.Time
}

// LoginLimiter throttles password guessing. It counts failed logins per
// source address and per username in fixed windows; once a key reaches
// MaxFailures it is locked out for Lockout, and attempts are refused
// without checking the password (which also saves the bcrypt work).
//
// Policy: a successful login clears that username's counter (its owner
// proved the password) but not the address's, otherwise an attacker holding
// one valid account could reset their address between guesses at other
// accounts. Per-username lockout lets anyone lock a known user out for
// Lockout; that is the usual trade-off and why the default is short. Memory
// is bounded by MaxKeys per table (usernames are stored as SHA-256 digests,
// so long names cost no more); an attacker with enough addresses can evict
// old keys, which only resets their counters early.
type LoginLimiter struct {
	byIP   *failureTable
	byUser *failureTable
	obs    Observer
	now    func() time.Time
}

// NewLoginLimiter returns a limiter with opts (defaults for zero values).
func NewLoginLimiter(opts LoginLimiterOptions) *LoginLimiter {
	opts = opts.withDefaults()
	newTable := func() *failureTable {
		return &failureTable{max: opts.MaxKeys, threshold: opts.MaxFailures, window: opts.Window,
			lockout: opts.Lockout, lru: list.New(), items: make(map[string]*list.Element)}
	}
	return &LoginLimiter{byIP: newTable(), byUser: newTable(), obs: opts.Observer, now: opts.Clock}
}

func (o LoginLimiterOptions) withDefaults() LoginLimiterOptions {
	if o.MaxFailures <= 0 {
		o.MaxFailures = DefaultMaxFailures
	}
	if o.Window <= 0 {
		o.Window = DefaultFailureWindow
	}
	if o.Lockout <= 0 {
		o.Lockout = DefaultLockout
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultLimiterMaxKeys
	}
	if o.Observer == nil {
		o.Observer = NopObserver{}
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// Check returns a *RateLimitError when ip or username ("" to skip either) is
// locked out, else nil.
func (l *LoginLimiter) Check(ip, username string) error {
	now := l.now()
	if ip != "" {
		if d, locked := l.byIP.locked(ip, now); locked {
			l.obs.RateLimited(LimitByIP)
			return &RateLimitError{By: LimitByIP, RetryAfter: d}
		}
	}
	if username == "" {
		return nil
	}
	if d, locked := l.byUser.locked(userKey(username), now); locked {
		l.obs.RateLimited(LimitByUsername)
		return &RateLimitError{By: LimitByUsername, RetryAfter: d}
	}
	return nil
}

// Failure records a refused login from ip for username ("" when the
// credentials could not be parsed: only the address is counted; an ip of
// "" is an address exempt from counting).
func (l *LoginLimiter) Failure(ip, username string) {
	now := l.now()
	if ip != "" {
		l.byIP.fail(ip, now)
	}
	if username != "" {
		l.byUser.fail(userKey(username), now)
	}
}

// Success records a successful login: the username's counter is cleared,
// the address's is kept (see LoginLimiter).
func (l *LoginLimiter) Success(_, username string) {
	l.byUser.reset(userKey(username))
}

// userKey keeps per-key memory constant whatever the username's length.
func userKey(username string) string {
	sum := sha256.Sum256([]byte(username))
	return string(sum[:])
}

// failureTable is one bounded LRU table of failure counters.
type failureTable struct {
	max       int
	threshold int
	window    time.Duration
	lockout   time.Duration

	mu    sync.Mutex
	lru   *list.List // of *failureCount, most recently touched first
	items map[string]*list.Element
}

type failureCount struct {
	key          string
	count        int
	windowStart  time.Time
	blockedUntil time.Time
}

// locked reports whether key is locked out and for how much longer.
func (t *failureTable) locked(key string, now time.Time) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.items[key]
	if !ok {
		return 0, false
	}
	c := el.Value.(*failureCount)
	if now.Before(c.blockedUntil) {
		t.lru.MoveToFront(el) // a key under attack stays remembered
		return c.blockedUntil.Sub(now), true
	}
	return 0, false
}

// fail counts one failure, locking the key out at the threshold. Counting
// restarts after the lockout.
func (t *failureTable) fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.entry(key, now)
	if now.Sub(c.windowStart) >= t.window {
		c.count, c.windowStart = 0, now
	}
	c.count++
	if c.count >= t.threshold {
		c.blockedUntil = now.Add(t.lockout)
		c.count, c.windowStart = 0, c.blockedUntil
	}
}

// entry returns key's counter, creating it (and evicting the least recently
// touched key when full). Callers hold mu.
func (t *failureTable) entry(key string, now time.Time) *failureCount {
	if el, ok := t.items[key]; ok {
		t.lru.MoveToFront(el)
		return el.Value.(*failureCount)
	}
	for t.lru.Len() >= t.max {
		back := t.lru.Back()
		delete(t.items, back.Value.(*failureCount).key)
		t.lru.Remove(back)
	}
	c := &failureCount{key: key, windowStart: now}
	t.items[key] = t.lru.PushFront(c)
	return c
}

func (t *failureTable) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.items[key]; ok {
		delete(t.items, key)
		t.lru.Remove(el)
	}
}

// size returns the number of keys held.
func (t *failureTable) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}
