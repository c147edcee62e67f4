package authn

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Native realm names, as in Elasticsearch.
const (
	// DefaultNativeRealmName is the realm name when NativeRealmOptions.Name
	// is "".
	DefaultNativeRealmName = "default_native"
	// RealmTypeNative is the RealmType of principals from the native realm.
	RealmTypeNative = "native"
)

// NativeUserDocs is where the native realm keeps its users: one JSON
// document per username (jsonfile.Docs, shared by replicas).
type NativeUserDocs interface {
	// Get returns the named documents (every one when names is empty).
	Get(names []string) map[string]json.RawMessage
	// Update changes one document durably: change gets the current one
	// (nil: none) and returns the new one (nil removes it); its error
	// aborts the update.
	Update(name string, change func(cur json.RawMessage) (json.RawMessage, error)) error
	// Generation changes whenever the documents do.
	Generation() uint64
}

// NativeRealmOptions configures NewNativeRealm.
type NativeRealmOptions struct {
	// Docs keeps the users (required).
	Docs NativeUserDocs
	// Name is the realm name put in principals; default "default_native".
	Name string
	// CacheTTL and CacheMaxUsers configure the credential cache as the file
	// realm's (0: defaults, negative: no cache).
	CacheTTL      time.Duration
	CacheMaxUsers int
	// Logger receives refusals and unreadable users; nil means no logs.
	Logger *zap.Logger
	// Observer receives cache and failure events; nil means NopObserver.
	Observer Observer
	// Clock is for tests; nil means time.Now.
	Clock func() time.Time
}

// NativeRealm is Elasticsearch's native realm kept by the proxy: the users
// created through the user API (PUT /_security/user/{name}), with bcrypt
// password hashes, in a file of JSON documents instead of the security
// index. It is safe for concurrent use; a change to the documents (through
// this realm or another replica) invalidates what was derived from them,
// the credential cache included.
type NativeRealm struct {
	name  string
	docs  NativeUserDocs
	log   *zap.Logger
	obs   Observer
	cache *credentialCache // nil when disabled
	dummy *StoredHash      // verified for unknown users

	state atomic.Pointer[nativeSnapshot]
	mu    sync.Mutex // serialises rebuilds
}

// nativeSnapshot is the users of one generation of the documents.
type nativeSnapshot struct {
	gen   uint64
	users map[string]*nativeEntry
}

type nativeEntry struct {
	hash *StoredHash // nil: unusable (malformed), never matches
	user NativeUser
}

// NewNativeRealm returns the realm over opts.Docs.
func NewNativeRealm(opts NativeRealmOptions) (*NativeRealm, error) {
	if opts.Docs == nil {
		return nil, fmt.Errorf("native realm: no user store")
	}
	if opts.Name == "" {
		opts.Name = DefaultNativeRealmName
	}
	fo := FileRealmOptions{CacheTTL: opts.CacheTTL, CacheMaxUsers: opts.CacheMaxUsers, Logger: opts.Logger,
		Observer: opts.Observer, Clock: opts.Clock, Name: opts.Name}.withDefaults()
	r := &NativeRealm{name: fo.Name, docs: opts.Docs, log: fo.Logger.With(zap.String("realm", fo.Name)), obs: fo.Observer}
	if fo.CacheTTL > 0 && fo.CacheMaxUsers > 0 {
		c, err := newCredentialCache(fo.CacheTTL, fo.CacheMaxUsers, fo.Clock)
		if err != nil {
			return nil, fmt.Errorf("native realm %q: %w", r.name, err)
		}
		r.cache = c
	}
	d, err := makeDummy(hashKind{alg: HashBcrypt, cost: DefaultBcryptCost})
	if err != nil {
		return nil, fmt.Errorf("native realm %q: dummy hash: %w", r.name, err)
	}
	r.dummy = d
	r.current()
	return r, nil
}

// Name returns the realm name put in principals.
func (r *NativeRealm) Name() string { return r.name }

// Authenticate checks username and password. An unknown user, a wrong
// password and a disabled user yield the same *AuthError after the same
// kind of work.
func (r *NativeRealm) Authenticate(ctx context.Context, username, password string) (*Principal, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("native realm %q: %w", r.name, err)
	}
	s := r.current()
	if r.cache != nil {
		if p := r.cache.get(username, password, s.gen); p != nil {
			r.obs.CacheHit(r.name)
			return p, nil
		}
		r.obs.CacheMiss(r.name)
	}
	e := s.users[username]
	var ok bool
	if e == nil || e.hash == nil {
		r.dummy.Verify(password)
	} else {
		ok = e.hash.Verify(password)
	}
	if !ok || !e.user.Enabled {
		r.obs.LoginFailed(r.name, ReasonInvalidCredentials)
		r.log.Debug("authentication failed", zap.String("user", username), zap.Bool("known_user", e != nil),
			zap.Bool("disabled", ok && !e.user.Enabled))
		return nil, &AuthError{Username: username, Reason: reasonBadCredentials}
	}
	p := r.principal(e)
	if r.cache != nil {
		r.cache.put(username, password, s.gen, p)
	}
	return p, nil
}

// Lookup returns an enabled user's principal without a password: the
// target of run_as.
func (r *NativeRealm) Lookup(username string) (*Principal, bool) {
	e := r.current().users[username]
	if e == nil || !e.user.Enabled {
		return nil, false
	}
	return r.principal(e), true
}

func (r *NativeRealm) principal(e *nativeEntry) *Principal {
	roles := slices.Clone(e.user.Roles)
	sort.Strings(roles)
	u := e.user.clone()
	return &Principal{Username: u.Username, Realm: r.name, RealmType: RealmTypeNative, Roles: slices.Compact(roles),
		FullName: u.FullName, Email: u.Email, Metadata: u.Metadata}
}

// current returns the snapshot of the documents' generation, rebuilding it
// when they changed.
func (r *NativeRealm) current() *nativeSnapshot {
	gen := r.docs.Generation()
	if s := r.state.Load(); s != nil && s.gen == gen {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.state.Load(); s != nil && s.gen == gen {
		return s
	}
	s := &nativeSnapshot{gen: gen, users: map[string]*nativeEntry{}}
	for name, doc := range r.docs.Get(nil) {
		d, err := decodeNativeUser(doc)
		if err != nil {
			r.log.Error("native user unreadable; it cannot log in", zap.String("user", name), zap.Error(err))
			continue
		}
		e := &nativeEntry{user: NativeUser{Username: name, Roles: nonNil(d.Roles), FullName: d.FullName, Email: d.Email,
			Metadata: d.Metadata, Enabled: d.Enabled}}
		if h, err := ParseNativeHash(d.PasswordHash); err == nil {
			e.hash = h
		} else {
			r.log.Error("native user's password hash unusable; it cannot log in", zap.String("user", name), zap.Error(err))
		}
		s.users[name] = e
	}
	if r.cache != nil {
		r.cache.clear()
	}
	r.state.Store(s)
	return s
}
