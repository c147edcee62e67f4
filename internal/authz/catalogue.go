package authz

import (
	"cmp"
	"slices"
)

// privilegeDef is one named privilege: the action patterns it grants.
type privilegeDef struct {
	name    string
	include []string
	exclude []string
	// selector says which part of a data stream an index privilege reaches.
	selector indexSelector
	// conditional marks cluster privileges whose grant depends on the
	// request (manage_own_api_key: only the caller's own keys). The proxy
	// cannot see that yet, so they never grant an action on their own.
	conditional bool
}

// indexSelector mirrors Elasticsearch's IndexComponentSelectorPredicate.
type indexSelector uint8

const (
	selectData indexSelector = iota
	selectFailures
	selectDataAndFailures
	selectAll
)

// grantsData reports whether the privilege reaches ordinary documents and
// indices (as opposed to a data stream's failure store only).
func (s indexSelector) grantsData() bool { return s != selectFailures }

// namedPrivilege is a privilegeDef with its compiled action set.
type namedPrivilege struct {
	privilegeDef
	set actionSet
}

// catalogue is an immutable, ordered table of named privileges.
type catalogue struct {
	ordered []namedPrivilege
	byName  map[string]int
}

func newCatalogue(ordered []namedPrivilege) *catalogue {
	c := &catalogue{ordered: ordered, byName: make(map[string]int, len(ordered))}
	for i, p := range ordered {
		c.byName[p.name] = i
	}
	return c
}

func compileDefs(defs []privilegeDef) []namedPrivilege {
	out := make([]namedPrivilege, len(defs))
	for i, d := range defs {
		out[i] = namedPrivilege{privilegeDef: d, set: newActionSet(d.include, d.exclude)}
	}
	return out
}

func (c *catalogue) get(name string) (namedPrivilege, bool) {
	i, ok := c.byName[name]
	if !ok {
		return namedPrivilege{}, false
	}
	return c.ordered[i], true
}

func (c *catalogue) names() []string {
	out := make([]string, len(c.ordered))
	for i, p := range c.ordered {
		out[i] = p.name
	}
	return out
}

// granting lists, in catalogue order, the privileges that grant action and
// pass keep.
func (c *catalogue) granting(action string, keep func(namedPrivilege) bool) []string {
	var out []string
	for _, p := range c.ordered {
		if keep(p) && p.set.matches(action) {
			out = append(out, p.name)
		}
	}
	return out
}

// sortBySupersets orders index privileges as Elasticsearch's
// Privilege.sortByAccessLevel: those contained in more other privileges come
// first (least privileged), ties by name.
func sortBySupersets(ps []namedPrivilege) []namedPrivilege {
	count := make(map[string]int, len(ps))
	for _, p := range ps {
		for _, q := range ps {
			if p.name != q.name && p.set.subsetOf(q.set) {
				count[p.name]++
			}
		}
	}
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b namedPrivilege) int {
		return cmp.Or(cmp.Compare(count[b.name], count[a.name]), cmp.Compare(a.name, b.name))
	})
	return out
}

// sortByImplied orders cluster privileges as ClusterPrivilegeResolver's
// sortByAccessLevel: those implying fewer other privileges come first, ties
// by name.
func sortByImplied(ps []namedPrivilege) []namedPrivilege {
	count := make(map[string]int, len(ps))
	for _, p := range ps {
		for _, q := range ps {
			if p.name != q.name && clusterImplies(p, q) {
				count[p.name]++
			}
		}
	}
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b namedPrivilege) int {
		return cmp.Or(cmp.Compare(count[a.name], count[b.name]), cmp.Compare(a.name, b.name))
	})
	return out
}

// clusterImplies follows ClusterPermission.implies: everything implies an
// empty privilege; a request-dependent privilege implies only empty ones and
// is implied by none (its check is of a different kind); otherwise it is
// action-set inclusion.
func clusterImplies(p, q namedPrivilege) bool {
	switch {
	case q.set.isEmpty():
		return true
	case p.conditional || q.conditional:
		return false
	}
	return q.set.subsetOf(p.set)
}
