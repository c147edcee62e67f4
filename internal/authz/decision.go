package authz

import (
	"encoding/json"
	"slices"
)

// Request is what authz needs to know about one request (no HTTP).
type Request struct {
	// User is the authenticated user name, as printed in refusals.
	User string
	// Roles are the role names assigned to the user; names that resolve to
	// no role are ignored (and named in refusals).
	Roles []string
	// Action is Elastic's action name ("indices:data/read/search"); empty
	// when the request could not be classified.
	Action string
	// Indices are the index expressions the request names, as given (may be
	// empty, may hold wildcards, date math, remote prefixes).
	Indices []string
}

// Decision is the outcome for one request.
//
// Today a decision is all or nothing. It is shaped to grow: a later
// evaluator will allow a request on some of its indices only, or with
// document- and field-level security, by clearing Unrestricted and listing
// what each index may show in Indices. Callers must therefore forward a
// request unchanged only when Allowed && Unrestricted.
type Decision struct {
	// Allowed says whether the request may proceed at all.
	Allowed bool
	// Unrestricted says the request may proceed exactly as sent.
	Unrestricted bool
	// Reason is Elasticsearch's refusal message (for 403 bodies) when
	// Allowed is false.
	Reason string
	// EffectiveRoles are the user's roles that exist, sorted.
	EffectiveRoles []string
	// MissingRoles are the user's role names that resolve to no role, sorted.
	MissingRoles []string
	// Indices, when Allowed but not Unrestricted, says what may be read or
	// written in each index (not produced yet).
	Indices []IndexAccess
}

// IndexAccess is the access a decision grants on one concrete index.
type IndexAccess struct {
	// Index is the concrete index name.
	Index string
	// Queries are the document-level security queries, OR-ed; empty means
	// every document.
	Queries []json.RawMessage
	// Fields is the field-level security; nil means every field.
	Fields *FieldSecurity
}

// Evaluator decides requests against a RoleSet. It is immutable and safe for
// concurrent use; Decide is a pure function of the role set and the request.
type Evaluator struct {
	roles *RoleSet
}

// NewEvaluator returns an evaluator over rs; a nil rs means the built-in
// roles only.
func NewEvaluator(rs *RoleSet) *Evaluator {
	if rs == nil {
		rs = newRoleSet(nil)
	}
	return &Evaluator{roles: rs}
}

// Decide decides one request. For now only superusers pass (roles granting
// cluster "all" and index "all" on "*"), and even they need
// allow_restricted_indices to name restricted indices; everybody else gets
// Elasticsearch's refusal.
func (e *Evaluator) Decide(req Request) Decision {
	roles, effective, missing := e.resolve(req.Roles)
	d := Decision{EffectiveRoles: effective, MissingRoles: missing}
	if !isSuperuser(roles) {
		plain, restricted := splitRestricted(req.Indices)
		d.Reason = denialMessage(req, effective, missing, plain, restricted)
		return d
	}
	if denied := restrictedNotGranted(roles, req); len(denied) > 0 {
		d.Reason = denialMessage(req, effective, missing, nil, denied)
		return d
	}
	d.Allowed, d.Unrestricted = true, true
	return d
}

// resolve maps role names to roles: the roles found, and the sorted names of
// those found and of those not found.
func (e *Evaluator) resolve(names []string) (roles []*Role, effective, missing []string) {
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if r, ok := e.roles.Get(name); ok {
			roles = append(roles, r)
			effective = append(effective, name)
		} else {
			missing = append(missing, name)
		}
	}
	slices.Sort(effective)
	slices.Sort(missing)
	return roles, effective, missing
}

// splitRestricted separates concrete restricted index names from the other
// expressions, as Elasticsearch lists them apart in refusals.
func splitRestricted(indices []string) (plain, restricted []string) {
	for _, ix := range indices {
		if !isWildcardExpression(ix) && IsRestrictedIndex(ix) {
			restricted = append(restricted, ix)
		} else {
			plain = append(plain, ix)
		}
	}
	return plain, restricted
}

// restrictedNotGranted returns the request's index expressions that may reach
// restricted indices without a group allowing it. Cluster actions name no
// index. A wildcard that may expand to restricted indices needs a group on
// "*" with allow_restricted_indices: the proxy cannot yet narrow the
// expansion to what is allowed, as Elasticsearch does, so it refuses.
func restrictedNotGranted(roles []*Role, req Request) []string {
	if IsClusterAction(req.Action) {
		return nil
	}
	var denied []string
	for _, ix := range req.Indices {
		if mayReachRestricted(ix) && !restrictedGranted(roles, req.Action, ix) {
			denied = append(denied, ix)
		}
	}
	return denied
}

func restrictedGranted(roles []*Role, action, expr string) bool {
	concrete := !isWildcardExpression(expr)
	return anyRole(roles, func(r *Role) bool {
		for _, g := range r.indices {
			if !g.AllowRestrictedIndices || !groupAllowsAction(g, action) {
				continue
			}
			if (concrete && g.MatchesIndex(expr)) || (!concrete && groupNamesEverything(g)) {
				return true
			}
		}
		return false
	})
}

// groupAllowsAction: an unclassified action could be anything, so only a
// group granting every index action allows it.
func groupAllowsAction(g IndexGroup, action string) bool {
	if IsIndexAction(action) {
		return g.Allows(action)
	}
	return groupGrantsAllActions(g)
}
