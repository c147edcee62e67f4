package authn

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/flight"
)

// File realm defaults, as in Elasticsearch (cache.ttl 20m,
// cache.max_users 100000, resource.reload.interval.high 5s).
const (
	// DefaultFileRealmName is the realm name when FileRealmOptions.Name is "".
	DefaultFileRealmName = "default_file"
	// DefaultCacheTTL is how long a successful login stays cached.
	DefaultCacheTTL = 20 * time.Minute
	// DefaultCacheMaxUsers bounds the credential cache.
	DefaultCacheMaxUsers = 100000
	// DefaultWatchInterval is Watch's polling interval.
	DefaultWatchInterval = 5 * time.Second
)

// RealmTypeFile is the RealmType of principals from the file realm.
const RealmTypeFile = "file"

// reasonBadCredentials is the one message for an unknown user and a wrong
// password, so the error does not reveal whether the user exists.
const reasonBadCredentials = "unable to authenticate user: invalid username or password"

// FileRealmOptions configures NewFileRealm.
type FileRealmOptions struct {
	// UsersPath and UsersRolesPath are the Elasticsearch-format files. Both
	// are required; a missing file means no users (or no roles).
	UsersPath      string
	UsersRolesPath string
	// Name is the realm name put in principals; default "default_file".
	Name string
	// CacheTTL is how long a successful login is remembered; 0 means 20m, a
	// negative value disables the credential cache.
	CacheTTL time.Duration
	// CacheMaxUsers bounds the cache; 0 means 100000, negative disables it.
	CacheMaxUsers int
	// Logger receives reload and failure logs; nil means no logs.
	Logger *zap.Logger
	// Observer receives cache and failure events; nil means NopObserver.
	Observer Observer
	// Clock is for tests; nil means time.Now.
	Clock func() time.Time
}

// FileRealm authenticates users against Elasticsearch's users and
// users_roles files. It is safe for concurrent use: requests read an
// immutable snapshot through an atomic pointer, and Reload swaps it.
type FileRealm struct {
	name      string
	usersPath string
	rolesPath string
	log       *zap.Logger
	obs       Observer
	cache     *credentialCache                 // nil when disabled
	flights   flight.Group[flightKey, verdict] // see realm_flight.go
	// verify checks a password against a stored hash (verifyOrDummy; tests
	// count the calls).
	verify func(s *snapshot, hash *StoredHash, password string) bool
	// now is the clock (FileRealmOptions.Clock).
	now func() time.Time

	state atomic.Pointer[snapshot]
	// reloadMu serialises loads; it also guards dummies.
	reloadMu sync.Mutex
	dummies  map[hashKind]*StoredHash
}

// NewFileRealm loads both files and returns the realm. It fails when a path
// is empty or a file exists but cannot be read, so that a misconfiguration
// stops startup instead of silently locking everyone out.
func NewFileRealm(opts FileRealmOptions) (*FileRealm, error) {
	opts = opts.withDefaults()
	if opts.UsersPath == "" || opts.UsersRolesPath == "" {
		return nil, errors.New("file realm: both UsersPath and UsersRolesPath are required")
	}
	r := &FileRealm{name: opts.Name, usersPath: opts.UsersPath, rolesPath: opts.UsersRolesPath,
		log: opts.Logger.With(zap.String("realm", opts.Name)), obs: opts.Observer, dummies: map[hashKind]*StoredHash{},
		verify: verifyOrDummy, now: opts.Clock}
	if err := r.initCache(opts); err != nil {
		return nil, fmt.Errorf("file realm %q: %w", r.name, err)
	}
	s := loadSnapshot(r.usersPath, r.rolesPath)
	s.gen = 1
	if err := r.attachDummy(s); err != nil {
		return nil, fmt.Errorf("file realm %q: %w", r.name, err)
	}
	r.state.Store(s)
	r.logLoad(s)
	if s.err != nil {
		return nil, fmt.Errorf("file realm %q: %w", r.name, s.err)
	}
	return r, nil
}

func (o FileRealmOptions) withDefaults() FileRealmOptions {
	if o.Name == "" {
		o.Name = DefaultFileRealmName
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	if o.CacheMaxUsers == 0 {
		o.CacheMaxUsers = DefaultCacheMaxUsers
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Observer == nil {
		o.Observer = NopObserver{}
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// initCache creates the credential cache (with its random key) unless
// disabled.
func (r *FileRealm) initCache(opts FileRealmOptions) error {
	if opts.CacheTTL <= 0 || opts.CacheMaxUsers <= 0 {
		return nil
	}
	c, err := newCredentialCache(opts.CacheTTL, opts.CacheMaxUsers, opts.Clock)
	if err != nil {
		return err
	}
	r.cache = c
	return nil
}

// Name returns the realm name put in principals.
func (r *FileRealm) Name() string { return r.name }

// Problems returns what the last load found in the files.
func (r *FileRealm) Problems() diag.Problems {
	return append(diag.Problems(nil), r.state.Load().problems...)
}

// Authenticate checks username and password. An unknown user and a wrong
// password yield the same *AuthError after the same kind of work. A user
// with no roles is authenticated with an empty role list.
func (r *FileRealm) Authenticate(ctx context.Context, username, password string) (*Principal, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("file realm %q: %w", r.name, err)
	}
	s := r.state.Load()
	if p := r.fromCache(s, username, password); p != nil {
		return p, nil
	}
	ok, known, err := r.verifyPassword(ctx, s, username, password)
	if err != nil {
		return nil, fmt.Errorf("file realm %q: %w", r.name, err)
	}
	if !ok {
		return nil, r.refuse(username, known)
	}
	p := &Principal{Username: username, Realm: r.name, RealmType: RealmTypeFile, Roles: s.roleList(username)}
	if r.cache != nil {
		r.cache.put(username, password, s.gen, p)
	}
	return p, nil
}

// Lookup returns the principal of a user of the users file without a
// password: the target of run_as (Elasticsearch's file realm supports user
// lookup; OIDC and JWT users cannot be looked up). false when the users
// file has no such user.
func (r *FileRealm) Lookup(username string) (*Principal, bool) {
	s := r.state.Load()
	if _, ok := s.users[username]; !ok {
		return nil, false
	}
	return &Principal{Username: username, Realm: r.name, RealmType: RealmTypeFile, Roles: s.roleList(username)}, true
}

func (r *FileRealm) fromCache(s *snapshot, username, password string) *Principal {
	if r.cache == nil {
		return nil
	}
	if p := r.cache.get(username, password, s.gen); p != nil {
		r.obs.CacheHit(r.name)
		return p
	}
	r.obs.CacheMiss(r.name)
	return nil
}

// verifyPassword checks password against the snapshot; concurrent checks
// of the same credentials share one verification (loginFlights).
func (r *FileRealm) verifyPassword(ctx context.Context, s *snapshot, username, password string) (ok, known bool, err error) {
	check := func() verdict {
		hash, known := s.users[username]
		return verdict{ok: r.verify(s, hash, password), known: known}
	}
	if r.cache == nil {
		v := check()
		return v.ok, v.known, nil
	}
	v, err := r.flights.Do(ctx, flightKey{digest: r.cache.digest(username, password), gen: s.gen}, check)
	return v.ok, v.known, err
}

// verifyOrDummy checks password; a missing or malformed hash costs a dummy
// comparison and fails.
func verifyOrDummy(s *snapshot, hash *StoredHash, password string) bool {
	if hash == nil {
		s.dummy.Verify(password)
		return false
	}
	return hash.Verify(password)
}

// refuse logs (at debug, operators only) whether the user was known, and
// returns the one error callers see.
func (r *FileRealm) refuse(username string, known bool) error {
	r.obs.LoginFailed(r.name, ReasonInvalidCredentials)
	r.log.Debug("authentication failed", zap.String("user", username), zap.Bool("known_user", known))
	return &AuthError{Username: username, Reason: reasonBadCredentials}
}
