package audit

import (
	"fmt"
	"sort"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// IgnoreFilter is one ignore policy, Elasticsearch's
// xpack.security.audit.logfile.events.ignore_filters.<name>.*. Values are
// Elasticsearch patterns: wildcards ('*', '?') or /Lucene regexps/.
//
// Matching follows Elasticsearch's LoggingAuditTrail:
//   - a filter matches when any of its patterns matches;
//   - Roles and Indices match only when every role / index of the event
//     matches (a user whose roles are all ignored, a request whose indices
//     are all ignored);
//   - a policy matches when all of its filters match, and an event is
//     dropped when any policy matches;
//   - an event lacking an attribute (no user, no indices, …) has the value
//     "" for it, which the pattern "" matches (and "*", which matches
//     everything);
//   - a filter left unset (nil) is "*": it matches any value and a missing
//     one; a filter set to an empty list matches only a missing value.
//
// security_config_change events are never dropped by policies.
type IgnoreFilter struct {
	Users   []string `yaml:"users" json:"users,omitempty"`     // user.name (the effective user)
	Realms  []string `yaml:"realms" json:"realms,omitempty"`   // user.realm (the effective user's)
	Roles   []string `yaml:"roles" json:"roles,omitempty"`     // user.roles: all must match
	Indices []string `yaml:"indices" json:"indices,omitempty"` // indices: all must match
	Actions []string `yaml:"actions" json:"actions,omitempty"` // action
}

// Policies is a compiled set of ignore policies. It is immutable and safe
// for concurrent use; a nil *Policies ignores nothing.
type Policies struct {
	list []policy
}

type policy struct {
	name                                   string
	users, realms, roles, indices, actions matcher
}

// matcher is a compiled filter: nil means "unset" (matches everything).
type matcher []pattern

type pattern struct {
	empty bool // matches exactly ""
	p     authz.Pattern
}

// NewPolicies compiles the ignore policies; a pattern that does not compile
// is an error naming the policy and filter.
func NewPolicies(filters map[string]IgnoreFilter) (*Policies, error) {
	names := make([]string, 0, len(filters))
	for n := range filters {
		names = append(names, n)
	}
	sort.Strings(names)
	ps := &Policies{}
	for _, n := range names {
		f := filters[n]
		p := policy{name: n}
		var err error
		for _, c := range []struct {
			key string
			src []string
			dst *matcher
		}{
			{"users", f.Users, &p.users},
			{"realms", f.Realms, &p.realms},
			{"roles", f.Roles, &p.roles},
			{"indices", f.Indices, &p.indices},
			{"actions", f.Actions, &p.actions},
		} {
			if *c.dst, err = compileMatcher(c.src); err != nil {
				return nil, fmt.Errorf("ignore_filters.%s.%s: %w", n, c.key, err)
			}
		}
		ps.list = append(ps.list, p)
	}
	return ps, nil
}

func compileMatcher(src []string) (matcher, error) {
	if src == nil {
		return nil, nil
	}
	m := matcher{}
	if len(src) == 0 {
		return append(m, pattern{empty: true}), nil
	}
	for _, s := range src {
		if s == "" || s == "//" {
			m = append(m, pattern{empty: true})
			continue
		}
		p, err := authz.ParsePattern(s)
		if err != nil {
			return nil, err
		}
		m = append(m, pattern{p: p})
	}
	return m, nil
}

func (m matcher) match(v string) bool {
	if m == nil {
		return true
	}
	for _, p := range m {
		if p.empty {
			if v == "" {
				return true
			}
			continue
		}
		if p.p.Matches(v) {
			return true
		}
	}
	return false
}

// matchAll applies the filter to every value; no values stands for "".
func (m matcher) matchAll(vs []string) bool {
	if m == nil {
		return true
	}
	if len(vs) == 0 {
		return m.match("")
	}
	for _, v := range vs {
		if !m.match(v) {
			return false
		}
	}
	return true
}

// Ignored reports whether a policy drops the event, and which.
func (ps *Policies) Ignored(e *Event) (bool, string) {
	if ps == nil || len(ps.list) == 0 || e.EventType == TypeSecurityConfigChange {
		return false, ""
	}
	user, realm := e.UserName, e.UserRealm
	if (e.EventAction == RunAsGranted || e.EventAction == RunAsDenied) && e.UserRunAsName != "" {
		// Elasticsearch filters on the effective subject: the run_as target.
		user, realm = e.UserRunAsName, e.UserRunAsRealm
	}
	if realm == "" && e.EventAction == RealmAuthenticationFailed {
		realm = e.Realm
	}
	for _, p := range ps.list {
		if p.users.match(user) && p.realms.match(realm) && p.actions.match(e.Action) &&
			p.roles.matchAll(e.UserRoles) && p.indices.matchAll(e.Indices) {
			return true, p.name
		}
	}
	return false, ""
}
