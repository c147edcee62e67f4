package authz

import "strings"

// coveringGroups returns the subject's index groups whose patterns cover
// every index the checked name or pattern can match (nil when none), as
// IndicesPermission.checkResourcePrivileges does: each group is judged on
// its own (a pattern split across two groups is covered by neither). trivial
// is true when the checked pattern matches no index at all once restricted
// indices are left out; Elasticsearch then answers true for every
// privilege.
//
// A concrete name is judged by plain matching, regular expressions of the
// roles included. For a pattern, the roles' /regular expressions/ are left
// out (they can only make a group cover more, so leaving them out can only
// answer false where Elasticsearch answers true), and a checked /regular
// expression/ is never covered: fail closed.
func (s *Subject) coveringGroups(index string, allowRestricted bool, budget *globBudget) (covering []IndexGroup, trivial bool) {
	if strings.HasPrefix(index, "/") {
		return nil, false
	}
	if !strings.ContainsAny(index, "*?\\") {
		for _, r := range s.roles {
			for _, g := range r.role.indices {
				if g.MatchesIndex(index) {
					covering = append(covering, g)
				}
			}
		}
		return covering, false
	}
	check := globTerm{include: []wildcard{compileWildcard(index)}}
	// isConcreteRestrictedIndex: a name without '*' that is restricted keeps
	// its restricted part.
	if !allowRestricted && !(!strings.Contains(index, "*") && IsRestrictedIndex(index)) {
		check.exclude = restrictedWildcards()
	}
	if empty, decided := globSubset(globSet{check}, nil, budget); decided && empty {
		return nil, true
	}
	for _, r := range s.roles {
		for _, g := range r.role.indices {
			if groupCovers(g, check, budget) {
				covering = append(covering, g)
			}
		}
	}
	return covering, false
}

// groupCovers reports whether every name of check is in the group's index
// automaton: its wildcard patterns, minus the restricted indices unless the
// group allows them.
func groupCovers(g IndexGroup, check globTerm, budget *globBudget) bool {
	var term globTerm
	for _, p := range g.Patterns {
		if p.wild != nil {
			term.include = append(term.include, *p.wild)
		}
	}
	if len(term.include) == 0 {
		return false
	}
	if !g.AllowRestrictedIndices {
		term.exclude = restrictedWildcards()
	}
	covered, _ := globSubset(globSet{check}, globSet{term}, budget)
	return covered
}

// restrictedWildcards are the restricted index patterns compiled.
func restrictedWildcards() []wildcard {
	globs := restrictedGlobs()
	out := make([]wildcard, len(globs))
	for i, g := range globs {
		out[i] = compileWildcard(g)
	}
	return out
}
