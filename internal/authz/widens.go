package authz

import "slices"

// Elasticsearch refuses to add an alias that "has more permissions than"
// one of its indices (IndicesAliasesRequestInterceptor), and to resize an
// index into a target that has more permissions than the source
// (ResizeRequestInterceptor): otherwise a user who may manage an index but
// not read it would alias or clone it under a name they may read, and read
// it there. The permissions compared are the index actions the user's
// roles grant on each name, whichever group grants them.

// Widens reports whether the roles grant some index action on name that
// they do not grant on than (both plain names, not expressions). When it
// cannot tell (a group grants actions through patterns other than
// "prefix*"), it answers true: the caller refuses.
//
// Unlike Elasticsearch, which compares actions only, it also answers true
// when document- or field-level security restricts some group on than and
// name is reached by a group that does not reach than: that group's
// access (unrestricted, or restricted otherwise) would apply to than's
// documents through name. Elasticsearch lets a user whose read of an index
// is DLS-restricted, but who manages it and another name, alias it (or
// clone it) under that name and read it there without DLS.
func (e *Evaluator) Widens(roles []string, name, than string) bool {
	s := e.subject("", roles)
	var on, onThan []*compiledGroup
	for _, r := range s.roles {
		for _, g := range r.groups {
			if g.matchesName(name, IsRestrictedIndex(name)) {
				on = append(on, g)
			}
			if g.matchesName(than, IsRestrictedIndex(than)) {
				onThan = append(onThan, g)
			}
		}
	}
	if slices.ContainsFunc(onThan, (*compiledGroup).restricts) &&
		slices.ContainsFunc(on, func(g *compiledGroup) bool { return !containsGroup(onThan, g) }) {
		return true
	}
	return !groupsGrantSubset(on, onThan)
}

// restricts reports whether the group has document- or field-level
// security.
func (g *compiledGroup) restricts() bool { return g.query != nil || g.fields != nil }

// Widens is Evaluator.Widens against the current roles.
func (s *RoleStore) Widens(roles []string, name, than string) bool {
	return s.current.Load().Widens(roles, name, than)
}

// groupsGrantSubset reports whether every action some group of a grants is
// granted by some group of b. A group present in both needs no check; the
// others are compared on witnesses, exact for prefix patterns (see
// actionSet.subsetOf).
func groupsGrantSubset(a, b []*compiledGroup) bool {
	var rest []actionSet
	for _, g := range a {
		if !containsGroup(b, g) {
			rest = append(rest, g.grants)
		}
	}
	if len(rest) == 0 {
		return true
	}
	all := append([]actionSet(nil), rest...)
	for _, g := range b {
		all = append(all, g.grants)
	}
	for _, s := range all {
		for _, list := range [][]string{s.include, s.exclude} {
			for _, p := range list {
				if !isPrefixPattern(p) {
					return false
				}
			}
		}
	}
	for _, w := range witnesses(all...) {
		if anySetMatches(rest, w) && !anyGroupGrants(b, w) {
			return false
		}
	}
	return true
}

func containsGroup(gs []*compiledGroup, g *compiledGroup) bool {
	for _, h := range gs {
		if h == g {
			return true
		}
	}
	return false
}

func anySetMatches(sets []actionSet, action string) bool {
	for _, s := range sets {
		if s.matches(action) {
			return true
		}
	}
	return false
}

func anyGroupGrants(gs []*compiledGroup, action string) bool {
	for _, g := range gs {
		if g.grants.matches(action) {
			return true
		}
	}
	return false
}
