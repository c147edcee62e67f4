package apikey

import (
	"encoding/json"
	"time"
)

// Key is one API key as the store keeps it. The secret itself is never
// stored, only Hash.
type Key struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Hash is the salted digest of the secret (secret.go).
	Hash string `json:"hash"`
	// Creation and Expiration are epoch milliseconds; Expiration 0 means
	// the key never expires (Elasticsearch's default).
	Creation   int64 `json:"creation"`
	Expiration int64 `json:"expiration,omitempty"`
	// Invalidated keys stay in the store (Elasticsearch keeps them until
	// its remover deletes them) but never authenticate again.
	Invalidated  bool  `json:"invalidated"`
	Invalidation int64 `json:"invalidation,omitempty"`
	// The owner: who created the key, in which realm, and the role names
	// the owner had then (the key is limited by them).
	Username  string `json:"username"`
	Realm     string `json:"realm"`
	RealmType string `json:"realm_type"`
	// OwnerIssuer is the owner's authn.Principal.Issuer: set when the
	// owner's realm trusts several OpenID providers, where it is part of
	// who the owner is.
	OwnerIssuer string   `json:"owner_issuer,omitempty"`
	OwnerRoles  []string `json:"owner_roles"`
	// The owner's own attributes when the key was made: they, not the
	// key's metadata, are the user of the key's requests (DLS templates
	// render {{_user.metadata.*}} from them), as in Elasticsearch.
	OwnerFullName string         `json:"owner_full_name,omitempty"`
	OwnerEmail    string         `json:"owner_email,omitempty"`
	OwnerMetadata map[string]any `json:"owner_metadata,omitempty"`
	// RoleDescriptors are the key's own role descriptors (a JSON object);
	// empty means the owner's privileges, no more.
	RoleDescriptors json.RawMessage `json:"role_descriptors,omitempty"`
	// Metadata is the key's own metadata (the creator's choice): shown by
	// the APIs, never used to decide anything.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// Expired reports whether the key has expired at now.
func (k *Key) Expired(now time.Time) bool {
	return k.Expiration != 0 && now.UnixMilli() >= k.Expiration
}

// Active reports whether the key may authenticate at now.
func (k *Key) Active(now time.Time) bool { return !k.Invalidated && !k.Expired(now) }

// Filter selects keys, as the get and invalidate APIs' parameters do:
// every non-empty field must match. IDs matches any of its ids.
type Filter struct {
	IDs       []string
	Name      string
	Username  string
	RealmName string
}

// Empty reports whether the filter selects every key.
func (f Filter) Empty() bool {
	return len(f.IDs) == 0 && f.Name == "" && f.Username == "" && f.RealmName == ""
}

// Matches reports whether k is selected. Name may end in "*" (a prefix),
// as Elasticsearch's get API allows.
func (f Filter) Matches(k *Key) bool {
	return f.matcher()(k)
}

// matcher is Matches with the ids made a set once: a request may list
// millions of ids, and the store is scanned key by key under its lock.
func (f Filter) matcher() func(*Key) bool {
	var ids map[string]bool
	if len(f.IDs) > 0 {
		ids = make(map[string]bool, len(f.IDs))
		for _, id := range f.IDs {
			ids[id] = true
		}
	}
	return func(k *Key) bool { return f.matchesWith(ids, k) }
}

func (f Filter) matchesWith(ids map[string]bool, k *Key) bool {
	if ids != nil && !ids[k.ID] {
		return false
	}
	if f.Name != "" && !matchName(f.Name, k.Name) {
		return false
	}
	if f.Username != "" && f.Username != k.Username {
		return false
	}
	return f.RealmName == "" || f.RealmName == k.Realm
}

func matchName(pattern, name string) bool {
	if pattern == "*" {
		return true
	}
	if p, ok := cutStar(pattern); ok {
		return len(name) >= len(p) && name[:len(p)] == p
	}
	return pattern == name
}

func cutStar(s string) (string, bool) {
	if len(s) > 0 && s[len(s)-1] == '*' {
		return s[:len(s)-1], true
	}
	return s, false
}
