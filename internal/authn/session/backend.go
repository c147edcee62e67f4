package session

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound means the session does not exist (never did, expired, or was
// deleted).
var ErrNotFound = errors.New("session: not found")

// ErrLeaseLost means a write under a lock was refused because the lock's
// lease had expired (another replica may hold it now).
var ErrLeaseLost = errors.New("session: lock lease lost")

// Record is one sealed session as a backend stores it.
type Record struct {
	// Key is the store key (a hash of the cookie token).
	Key string
	// Sealed is the encrypted session.
	Sealed []byte
	// TTL is how long the record lives unless touched (the idle timeout,
	// capped by the absolute expiry).
	TTL time.Duration
	// Owner indexes the sessions of one user (issuer + subject) for the
	// per-user limit and logout by subject.
	Owner string
	// SID indexes the sessions of one provider session ("" for none).
	SID string
	// CreatedAt orders a user's sessions (oldest evicted first).
	CreatedAt time.Time
	// IndexTTL is how long index entries must live (the absolute lifespan).
	IndexTTL time.Duration
}

// Backend stores sealed session records. Implementations are safe for
// concurrent use; every method fails with a wrapped error (never ErrNotFound)
// when the store cannot be reached.
type Backend interface {
	// Create stores a new record and indexes it.
	Create(ctx context.Context, rec Record) error
	// Get returns a record's sealed value and remaining time to live, or
	// ErrNotFound.
	Get(ctx context.Context, key string) (sealed []byte, ttl time.Duration, err error)
	// Touch sets a record's time to live (idle timeout extension); a
	// missing record is not an error.
	Touch(ctx context.Context, key string, ttl time.Duration) error
	// Replace overwrites an existing record's sealed value, keeping its
	// time to live, only while lease is held: ErrLeaseLost otherwise,
	// ErrNotFound if the record is gone.
	Replace(ctx context.Context, key string, sealed []byte, lease Lease) error
	// Delete removes records; missing ones are ignored.
	Delete(ctx context.Context, keys ...string) error
	// Owned lists the live records of an owner, oldest first.
	Owned(ctx context.Context, owner string) ([]string, error)
	// BySID lists the live records of a provider session.
	BySID(ctx context.Context, sid string) ([]string, error)
	// Lock takes the update lock of key, waiting until ctx is done. The
	// lease lasts lease and is renewed until released.
	Lock(ctx context.Context, key string, lease time.Duration) (Lease, error)
	// Claim marks key as used for ttl and reports whether it was unused
	// until now: of the calls that claim one key within ttl, on every
	// replica sharing the store, exactly one gets true. One-time tokens
	// (a back-channel logout token's jti) are checked with it.
	Claim(ctx context.Context, key string, ttl time.Duration) (first bool, err error)
	// Unclaim forgets a claim of key, so that the next Claim of it is
	// first again: the one-time action it guarded did not happen.
	Unclaim(ctx context.Context, key string) error
	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}

// Lease is a held lock.
type Lease interface {
	// Release gives the lock up (a lost lease is not an error).
	Release(ctx context.Context) error
}
