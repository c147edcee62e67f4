package jsonfile

import (
	"sync"
	"sync/atomic"
	"time"
)

// Cached is the last reading of a file, kept in memory and read again when
// the file changed (another process wrote it), checked at most once per
// interval the caller chooses. A file that changed but cannot be read any
// more gives the empty value: fail closed (a key revoked by an edit that
// broke the file must not keep working). It is safe for concurrent use.
type Cached[T any] struct {
	path    string
	read    func() (T, Stamp, error)
	now     func() time.Time
	empty   T
	onError func(error)

	current   atomic.Pointer[reading[T]]
	mu        sync.Mutex
	lastCheck atomic.Int64
	// gen counts the values published (Store and each re-read).
	gen atomic.Uint64
}

type reading[T any] struct {
	value T
	stamp Stamp
	// at is when the reading was made (the caller's clock).
	at time.Time
}

// RacyWindow is how long after a file's modification time a stamp taken
// of it stays in doubt. File systems stamp writes with a coarse clock
// (ext4: one kernel tick; some network file systems: a second) and reuse
// a freed inode for the next file created, so two changes in one tick
// (another replica's, each replacing the file) can end on a file whose
// inode, size and modification time are those of a reading made in that
// tick: a role narrowed from "read" to "none" then looked unchanged, and
// the narrowing was never read. A reading made within this window of the
// modification is verified by reading the file again at the next check
// (git's "racily clean" entries); a later one is trusted, since any later
// write moves the modification time past it.
const RacyWindow = 2 * time.Second

// racy reports whether the reading's stamp cannot prove the file
// unchanged (see RacyWindow). A missing file (zero stamp) is not.
func (r *reading[T]) racy() bool {
	return !r.stamp.mtime.IsZero() && r.at.Sub(r.stamp.mtime) < RacyWindow
}

// NewCached reads the file with read (which returns the value and the
// stamp it read it at) and returns the cache; a failed first reading is an
// error. A later failure stores empty and goes to onError.
func NewCached[T any](path string, read func() (T, Stamp, error), now func() time.Time, empty T, onError func(error)) (*Cached[T], error) {
	c := &Cached[T]{path: path, read: read, now: now, empty: empty, onError: onError}
	v, st, err := read()
	if err != nil {
		return nil, err
	}
	c.Store(v, st)
	return c, nil
}

// Load returns the value last read or stored.
func (c *Cached[T]) Load() T { return c.current.Load().value }

// Generation changes whenever the value does (a Store or a re-read of a
// changed file): a cheap test of whether something derived from the value
// is stale.
func (c *Cached[T]) Generation() uint64 { return c.gen.Load() }

// Store replaces the value (after the caller wrote the file itself). It
// waits for a Refresh in progress, whose older reading must not land after
// this one.
func (c *Cached[T]) Store(v T, st Stamp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.current.Store(&reading[T]{value: v, stamp: st, at: now})
	c.gen.Add(1)
	c.lastCheck.Store(now.UnixNano())
}

// Refresh reads the file again when it changed and the last check is at
// least every old; it reports whether it checked.
func (c *Cached[T]) Refresh(every time.Duration) bool {
	now := c.now().UnixNano()
	if now-c.lastCheck.Load() < int64(every) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if now-c.lastCheck.Load() < int64(every) { // another goroutine just did
		return false
	}
	c.lastCheck.Store(now)
	if cur := c.current.Load(); !cur.racy() {
		if st, err := StampOf(c.path); err == nil && st == cur.stamp {
			return true
		}
	}
	v, st, err := c.read()
	if err != nil {
		c.onError(err)
		// Fail closed, under no stamp: the next check reads the file again,
		// so a passing error (EMFILE, EIO) does not outlast it.
		v, st = c.empty, Stamp{}
	}
	c.current.Store(&reading[T]{value: v, stamp: st, at: time.Unix(0, now)})
	c.gen.Add(1)
	return true
}
