package authn

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"golang.org/x/crypto/bcrypt"

	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
)

// The user API's errors the caller answers as Elasticsearch does.
var (
	// ErrUserNotFound: the native realm has no such user.
	ErrUserNotFound = errors.New("the native realm has no such user")
	// ErrPasswordRequired: a user is created without a password or hash.
	ErrPasswordRequired = errors.New("password must be specified unless you are updating an existing user")
)

// NativeUser is a user of the native realm as the user API shows it: never
// its password hash.
type NativeUser struct {
	Username string
	Roles    []string
	FullName string
	Email    string
	Metadata map[string]any
	Enabled  bool
}

// nativeUserDoc is a stored user: a document of the native users file,
// named by the username.
type nativeUserDoc struct {
	PasswordHash string         `json:"password_hash"`
	Roles        []string       `json:"roles"`
	FullName     string         `json:"full_name,omitempty"`
	Email        string         `json:"email,omitempty"`
	Metadata     map[string]any `json:"metadata,omitempty"`
	Enabled      bool           `json:"enabled"`
}

// IsReservedUser reports the built-in users of Elasticsearch's reserved
// realm (elastic, kibana_system…): the user API refuses to create, change
// or delete them.
func IsReservedUser(name string) bool { return isReservedUsername(name) }

// ParseNativeHash checks a password hash given to the user API: only
// bcrypt (the native realm's hashing algorithm) is accepted, as
// Elasticsearch accepts only its configured algorithm. Errors never quote
// the hash.
//
// The cost may not exceed MaxNativeBcryptCost: a user who could store a
// cost-30 hash (their own, through the password API) would make every
// login attempt under their name cost hours of CPU. Elasticsearch accepts
// only the bcrypt costs it knows (4–14) too.
func ParseNativeHash(hash string) (*StoredHash, error) {
	if !isBcryptPrefix(hash) {
		return nil, errors.New("the provided password hash is not a bcrypt hash (the only algorithm the native realm accepts)")
	}
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return nil, fmt.Errorf("invalid bcrypt hash: %w", err)
	}
	if cost < bcrypt.MinCost || cost > MaxNativeBcryptCost {
		return nil, fmt.Errorf("bcrypt cost %d is outside %d–%d", cost, bcrypt.MinCost, MaxNativeBcryptCost)
	}
	return ParseHash(hash)
}

// MaxNativeBcryptCost is the highest bcrypt cost the native realm accepts.
const MaxNativeBcryptCost = 14

// Users returns the named users (every one when names is empty), sorted
// by name, without their hashes.
func (r *NativeRealm) Users(names []string) []NativeUser {
	s := r.current()
	var out []NativeUser
	for name, e := range s.users {
		if len(names) == 0 || slices.Contains(names, name) {
			out = append(out, e.user.clone())
		}
	}
	slices.SortFunc(out, func(a, b NativeUser) int {
		switch {
		case a.Username < b.Username:
			return -1
		case a.Username > b.Username:
			return 1
		}
		return 0
	})
	return out
}

// PutUser creates or replaces a user. passwordHash (bcrypt, see
// ParseNativeHash) replaces the password; empty keeps the current one, and
// is ErrPasswordRequired when the user does not exist yet.
func (r *NativeRealm) PutUser(u NativeUser, passwordHash string) (created bool, err error) {
	if passwordHash != "" {
		if _, err := ParseNativeHash(passwordHash); err != nil {
			return false, fmt.Errorf("native realm: user %q: %w", u.Username, err)
		}
	}
	err = r.docs.Update(u.Username, func(cur json.RawMessage) (json.RawMessage, error) {
		created = cur == nil
		hash := passwordHash
		if hash == "" {
			if cur == nil {
				return nil, ErrPasswordRequired
			}
			old, err := decodeNativeUser(cur)
			if err != nil {
				return nil, err
			}
			hash = old.PasswordHash
		}
		return json.Marshal(nativeUserDoc{PasswordHash: hash, Roles: nonNil(u.Roles), FullName: u.FullName,
			Email: u.Email, Metadata: u.Metadata, Enabled: u.Enabled})
	})
	if err != nil {
		return false, wrapNative(u.Username, err)
	}
	return created, nil
}

// DeleteUser removes a user and reports whether it existed.
func (r *NativeRealm) DeleteUser(name string) (found bool, err error) {
	err = r.docs.Update(name, func(cur json.RawMessage) (json.RawMessage, error) {
		found = cur != nil
		return nil, nil
	})
	return found, wrapNative(name, err)
}

// SetPassword replaces a user's password hash (bcrypt); ErrUserNotFound
// when the native realm has no such user.
func (r *NativeRealm) SetPassword(name, passwordHash string) error {
	if _, err := ParseNativeHash(passwordHash); err != nil {
		return fmt.Errorf("native realm: user %q: %w", name, err)
	}
	return r.change(name, func(d *nativeUserDoc) { d.PasswordHash = passwordHash })
}

// SetEnabled enables or disables a user; ErrUserNotFound when the native
// realm has no such user.
func (r *NativeRealm) SetEnabled(name string, enabled bool) error {
	return r.change(name, func(d *nativeUserDoc) { d.Enabled = enabled })
}

// change applies edit to an existing user's document.
func (r *NativeRealm) change(name string, edit func(*nativeUserDoc)) error {
	err := r.docs.Update(name, func(cur json.RawMessage) (json.RawMessage, error) {
		if cur == nil {
			return nil, ErrUserNotFound
		}
		d, err := decodeNativeUser(cur)
		if err != nil {
			return nil, err
		}
		edit(&d)
		return json.Marshal(d)
	})
	return wrapNative(name, err)
}

// wrapNative adds the user to store failures; the API's own errors stay
// as they are (callers match them with errors.Is).
func wrapNative(name string, err error) error {
	if err == nil || errors.Is(err, ErrUserNotFound) || errors.Is(err, ErrPasswordRequired) {
		return err
	}
	return fmt.Errorf("native realm: user %q: %w", name, err)
}

// decodeNativeUser reads a stored document strictly.
func decodeNativeUser(doc json.RawMessage) (nativeUserDoc, error) {
	var d nativeUserDoc
	if err := jsonfile.DecodeStrict(doc, &d); err != nil {
		return d, fmt.Errorf("stored user document: %w", err)
	}
	return d, nil
}

func (u NativeUser) clone() NativeUser {
	u.Roles = slices.Clone(u.Roles)
	u.Metadata = maps.Clone(u.Metadata)
	return u
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
