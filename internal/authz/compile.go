package authz

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
)

// Roles are compiled once per RoleSet into the structures decisions run on:
// each index group keeps its exact names in a set, its other patterns
// compiled, its action set, and its document- and field-level security
// ready to combine. Which groups grant an action is remembered per role.

// compiledRole is a role ready for decisions.
type compiledRole struct {
	role   *Role
	groups []*compiledGroup
	// runAs are the role's run_as patterns (invalid ones are dropped:
	// they grant nothing).
	runAs []Pattern
	// byAction caches, per action name, the groups granting it.
	byAction sync.Map // string -> []*compiledGroup
	cached   atomic.Int32
}

// maxCachedActions bounds byAction: action names come from the request
// classifier, a bounded set, but nothing here relies on it.
const maxCachedActions = 512

// compiledGroup is one index group ready for decisions.
type compiledGroup struct {
	// role is the role's name, for stable ordering of DLS queries.
	role string
	// exact are the group's patterns without any wildcard.
	exact map[string]struct{}
	// patterns are the other patterns.
	patterns []Pattern
	// everything: one pattern matches every name.
	everything      bool
	allowRestricted bool
	grants          actionSet
	// query is the DLS query; nil when the group has none.
	query json.RawMessage
	// queries is []json.RawMessage{query} with no spare capacity, to share.
	queries []json.RawMessage
	// fields is the FLS rule; nil when the group has none (every field).
	fields *fieldRule
}

// compileRole compiles r.
func compileRole(r *Role) *compiledRole {
	cr := &compiledRole{role: r}
	for _, raw := range r.runAs {
		if p, err := ParsePattern(raw); err == nil {
			cr.runAs = append(cr.runAs, p)
		}
	}
	for _, g := range r.indices {
		cg := &compiledGroup{role: r.name, allowRestricted: g.AllowRestrictedIndices, grants: g.grants, query: g.Query}
		for _, p := range g.Patterns {
			switch {
			case p.MatchesEverything():
				cg.everything = true
			case !p.IsRegexp() && !strings.ContainsAny(p.raw, "*?\\"):
				if cg.exact == nil {
					cg.exact = make(map[string]struct{}, len(g.Patterns))
				}
				cg.exact[p.raw] = struct{}{}
			default:
				cg.patterns = append(cg.patterns, p)
			}
		}
		if g.Query != nil {
			cg.queries = []json.RawMessage{g.Query}[:1:1]
		}
		if g.FieldSecurity != nil {
			cg.fields = compileFieldRule(*g.FieldSecurity)
		}
		cr.groups = append(cr.groups, cg)
	}
	return cr
}

// groupsFor returns the role's groups that grant action (shared; do not
// modify).
func (cr *compiledRole) groupsFor(action string) []*compiledGroup {
	if v, ok := cr.byAction.Load(action); ok {
		return v.([]*compiledGroup)
	}
	var out []*compiledGroup
	for _, g := range cr.groups {
		if g.grants.matches(action) {
			out = append(out, g)
		}
	}
	if cr.cached.Load() < maxCachedActions {
		if _, loaded := cr.byAction.LoadOrStore(action, out); !loaded {
			cr.cached.Add(1)
		}
	}
	return out
}

// matchesName reports whether the group's patterns name the resource;
// restricted resources need allow_restricted_indices.
func (g *compiledGroup) matchesName(name string, restricted bool) bool {
	if restricted && !g.allowRestricted {
		return false
	}
	if g.everything {
		return true
	}
	if _, ok := g.exact[name]; ok {
		return true
	}
	for _, p := range g.patterns {
		if p.Matches(name) {
			return true
		}
	}
	return false
}

// grantsAbstraction reports whether the group grants a name the metadata
// knows: by its own name, or a backing index by its data stream's name.
// Failure-store indices are never granted (see Decide).
func (g *compiledGroup) grantsAbstraction(ab *abstraction) bool {
	if ab.failureStore {
		return false
	}
	if g.matchesName(ab.name, ab.restricted) {
		return true
	}
	return ab.parent != nil && g.matchesName(ab.parent.name, ab.parent.restricted || ab.restricted)
}

// unconditional reports whether the group grants every name, restricted
// ones included, without document- or field-level security: whatever the
// cluster resolves a request to is then allowed as it is.
func (g *compiledGroup) unconditional() bool {
	return g.everything && g.allowRestricted && g.query == nil && g.fields == nil
}
