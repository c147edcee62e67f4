package authz

// The interim decision lets through only users whose roles add up to a
// superuser: every cluster action and every index action on every index.
// "Every" is checked against what the named privilege "all" grants, so a
// role spelling it as raw patterns ("cluster:*" plus the template actions)
// counts too, while "manage" (all minus security) does not.

// allClusterStems and allIndexStems are the prefixes that the "all" cluster
// and index privileges grant (their patterns are "<stem>*").
var (
	allClusterStems = []string{"cluster:", "indices:admin/template/", "indices:admin/index_template/"}
	allIndexStems   = []string{"indices:", "internal:transport/proxy/indices:"}
)

// isSuperuser reports whether the roles grant cluster "all" and, in one
// index group on "*", index "all".
func isSuperuser(roles []*Role) bool {
	return grantsAllCluster(roles) && grantsAllIndicesOnEverything(roles)
}

func grantsAllCluster(roles []*Role) bool {
	for _, stem := range allClusterStems {
		if !anyRole(roles, func(r *Role) bool { return setsCoverPrefix(r.clusterGrants, stem) }) {
			return false
		}
	}
	return true
}

func grantsAllIndicesOnEverything(roles []*Role) bool {
	return anyRole(roles, func(r *Role) bool {
		for _, g := range r.indices {
			if groupNamesEverything(g) && groupGrantsAllActions(g) {
				return true
			}
		}
		return false
	})
}

func anyRole(roles []*Role, f func(*Role) bool) bool {
	for _, r := range roles {
		if f(r) {
			return true
		}
	}
	return false
}

// groupNamesEverything reports whether one of the group's patterns is "*".
func groupNamesEverything(g IndexGroup) bool {
	for _, p := range g.Patterns {
		if p.MatchesEverything() {
			return true
		}
	}
	return false
}

// groupGrantsAllActions reports whether the group grants every index action.
func groupGrantsAllActions(g IndexGroup) bool {
	for _, stem := range allIndexStems {
		if !setsCoverPrefix([]actionSet{g.grants}, stem) {
			return false
		}
	}
	return true
}

// setsCoverPrefix reports whether one pattern of the sets grants every action
// starting with stem. Sets with exclusions are skipped: proving that the
// exclusion does not bite would need more than this check, and skipping can
// only deny.
func setsCoverPrefix(sets []actionSet, stem string) bool {
	for _, s := range sets {
		if len(s.exc) > 0 {
			continue
		}
		for _, w := range s.inc {
			if w.coversPrefix(stem) {
				return true
			}
		}
	}
	return false
}

// decideUnclassified lets only superusers through (every cluster action and
// every index action on every index), and even they need
// allow_restricted_indices to name restricted indices.
func (e *Evaluator) decideUnclassified(req Request, roles []*compiledRole, d Decision) Decision {
	plain := make([]*Role, len(roles))
	for i, r := range roles {
		plain[i] = r.role
	}
	d.Status, d.ErrorType = 403, "security_exception"
	if !isSuperuser(plain) {
		p, restricted := splitRestricted(req.Indices)
		d.Reason = denialMessage(req, d.EffectiveRoles, d.MissingRoles, p, restricted)
		return d
	}
	if denied := restrictedNotGranted(plain, req); len(denied) > 0 {
		d.Reason = denialMessage(req, d.EffectiveRoles, d.MissingRoles, nil, denied)
		return d
	}
	d.Status, d.ErrorType = 0, ""
	d.Allowed, d.Unrestricted = true, true
	return d
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
// restricted indices without a group allowing it. A wildcard that may
// expand to restricted indices needs a group on "*" with
// allow_restricted_indices.
func restrictedNotGranted(roles []*Role, req Request) []string {
	var denied []string
	for _, ix := range req.Indices {
		if mayReachRestricted(ix) && !restrictedGranted(roles, ix) {
			denied = append(denied, ix)
		}
	}
	return denied
}

// restrictedGranted: an unclassified action could be anything, so only a
// group granting every index action counts.
func restrictedGranted(roles []*Role, expr string) bool {
	concrete := !isWildcardExpression(expr)
	return anyRole(roles, func(r *Role) bool {
		for _, g := range r.indices {
			if !g.AllowRestrictedIndices || !groupGrantsAllActions(g) {
				continue
			}
			if (concrete && g.MatchesIndex(expr)) || (!concrete && groupNamesEverything(g)) {
				return true
			}
		}
		return false
	})
}
