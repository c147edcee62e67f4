package authn

import (
	"slices"
)

// Anonymous access, as Elasticsearch's xpack.security.authc.anonymous: a
// request without any credentials runs as a fixed user with fixed roles
// instead of being refused with 401; those roles are also added to every
// authenticated user. Credentials that are present but wrong are still
// refused.

// Anonymous realm names, as Elasticsearch reports them.
const (
	AnonymousRealm = "__anonymous"
	// DefaultAnonymousUser is xpack.security.authc.anonymous.username's default.
	DefaultAnonymousUser = "_es_anonymous_user"
)

// Anonymous is the anonymous user. A nil *Anonymous means anonymous
// access is off.
type Anonymous struct {
	// Username is the anonymous user's name (default DefaultAnonymousUser).
	Username string
	// Roles are given to anonymous requests and added to every user's.
	Roles []string
	// AuthzException: a refused anonymous request gets 403 (true, the
	// default) or 401 with a challenge, prompting for credentials (false).
	AuthzException bool
}

// NewAnonymous returns the anonymous user, or nil (off) without roles.
func NewAnonymous(username string, roles []string, authzException bool) *Anonymous {
	if len(roles) == 0 {
		return nil
	}
	if username == "" {
		username = DefaultAnonymousUser
	}
	return &Anonymous{Username: username, Roles: sortedRoles(roles), AuthzException: authzException}
}

// Principal is a fresh principal of the anonymous user.
func (a *Anonymous) Principal() *Principal {
	return &Principal{Username: a.Username, Realm: AnonymousRealm, RealmType: AnonymousRealm,
		Roles: slices.Clone(a.Roles), Metadata: map[string]any{}}
}

// AddRoles gives p the anonymous roles too (p's roles stay sorted and
// unique). A nil *Anonymous adds nothing. As in Elasticsearch (whose
// Subject adds them only for its USER type), service accounts and API keys
// get none: a service account has exactly its fixed role, and an API key's
// owner roles already include the anonymous ones the owner had when the
// key was created (its limited-by set).
func (a *Anonymous) AddRoles(p *Principal) {
	if a == nil || p == nil || p.RealmType == ServiceAccountRealm || p.RealmType == APIKeyRealm {
		return
	}
	p.Roles = sortedRoles(append(slices.Clone(p.Roles), a.Roles...))
}

// IsAnonymous reports whether p is the anonymous user.
func IsAnonymous(p *Principal) bool { return p != nil && p.RealmType == AnonymousRealm }

func sortedRoles(roles []string) []string {
	out := slices.Clone(roles)
	slices.Sort(out)
	return slices.Compact(out)
}
