package authz

import (
	"errors"
	"strings"
	"time"
)

// Index name resolution under security, as Elasticsearch's
// IndicesAndAliasesResolver does it before RBAC
// (IndexAbstractionResolver.resolveIndexAbstractions):
//
//   - wildcards, "_all" and an empty list expand only to the names (indices,
//     aliases, data streams) the user may access for the action, and only
//     to those expand_wildcards makes visible;
//   - an explicit name is kept when authorized (missing or not: the cluster
//     answers 404), refused otherwise, or silently dropped with
//     ignore_unavailable;
//   - "-expr" after a wildcard takes names away from what came before;
//   - an empty result becomes "match nothing" (allow_no_indices) or a 404.
//
// The result never holds a wildcard, an exclusion, date math or a
// selector: what is forwarded is exactly what was authorized.

// resolver resolves the index expressions of one request.
type resolver struct {
	md     *Metadata
	opts   IndicesOptions
	groups []*compiledGroup // the user's groups that grant the action
	// clock gives the time date math resolves at; now is that time, read
	// once, at the first expression that may hold date math.
	clock func() time.Time
	now   time.Time
	nowOK bool
	// groupBits are, per group, the names of md it grants (see
	// grantCache); nil without a cache.
	groupBits [][]uint64

	entries []entry         // names added, in order (see result)
	inList  map[string]bool // whether a name is in the result
	denied  []string        // explicit names refused (403)
	// notFound is the first authorized name that cannot exist (404 after
	// authorization, as the cluster would answer).
	notFound string
	// fail is an error that ends resolution at once: a malformed
	// expression (400) or a wildcard matching nothing under
	// allow_no_indices=false (404).
	fail *failure
}

// entry is one name of the result, with what the metadata says of it (nil
// when it does not know the name) and the groups that grant it.
type entry struct {
	name   string
	ab     *abstraction
	grants groupSet
}

// groupSet is a set of positions in resolver.groups. Users with more than
// 64 groups granting one action get allGroups, and the grants are
// recomputed where needed.
type groupSet uint64

const allGroups = ^groupSet(0)

// failure is a refusal other than 403.
type failure struct {
	status    int
	errorType string
	reason    string
	index     string // for index_not_found_exception
}

func notFoundFailure(index string) *failure {
	return &failure{status: 404, errorType: "index_not_found_exception", reason: "no such index [" + index + "]", index: index}
}

// run resolves exprs; the outcome is in r's fields.
func (r *resolver) run(exprs []string) {
	if len(exprs) > 1 {
		// One expression yields each name once; several need a set.
		r.inList = make(map[string]bool)
	}
	if isAllIndices(exprs) {
		if r.opts.ExpandWildcards.expands() {
			r.expand("*", false)
		}
		return
	}
	wildcardSeen := false
	for _, raw := range exprs {
		if raw == "" {
			continue
		}
		if !r.nowOK && strings.IndexByte(raw, '<') >= 0 {
			// Only date math ("<…>", maybe after '-') reads the clock.
			r.now, r.nowOK = r.clock(), true
		}
		e, err := parseExpression(raw, wildcardSeen, r.now)
		if err != nil {
			r.fail = badExpression(err)
			return
		}
		switch {
		case e.remote || e.failures:
			// Not supported yet: remote indices need remote_indices
			// privileges, failure stores read_failure_store; both are
			// refused whatever the options.
			r.denied = append(r.denied, e.text)
		case r.opts.ExpandWildcards.expands() && isWildcard(e.name):
			wildcardSeen = true
			if !r.expand(e.name, e.exclude) && r.opts.ForbidNoIndices {
				r.fail = notFoundFailure(e.name)
				return
			}
		case e.exclude:
			r.remove(e.name)
		default:
			r.explicit(e.name)
		}
	}
}

// badExpression turns a parse error into Elasticsearch's 400.
func badExpression(err error) *failure {
	var sel *selectorError
	if errors.As(err, &sel) {
		return &failure{status: 400, errorType: "illegal_argument_exception", reason: err.Error()}
	}
	return &failure{status: 400, errorType: "parse_exception", reason: err.Error()}
}

// expand adds (or, for an exclusion, removes) the visible, authorized names
// matching pattern. It reports whether any name matched.
func (r *resolver) expand(pattern string, exclude bool) bool {
	matched := false
	prefix := literalPrefix(pattern)
	candidates := r.md.withPrefix(prefix)
	// "prefix*" matches every candidate: no need to test each.
	prefixOnly := len(pattern) == len(prefix)+1
	if r.entries == nil {
		r.entries = make([]entry, 0, len(candidates))
	}
	for i := range candidates {
		ab := &candidates[i]
		if (!prefixOnly && !SimpleMatch(pattern, ab.name)) || !r.visible(pattern, ab) {
			continue
		}
		grants := r.grantsAbstraction(ab)
		if grants == 0 {
			continue
		}
		matched = true
		if exclude {
			r.remove(ab.name)
		} else {
			r.add(entry{name: ab.name, ab: ab, grants: grants})
		}
	}
	return matched
}

// visible is IndexAbstractionResolver.isIndexVisible.
func (r *resolver) visible(pattern string, ab *abstraction) bool {
	ew := r.opts.ExpandWildcards
	if r.opts.DataStreamsOnly && ab.kind != kindDataStream {
		return false
	}
	// A pattern starting with '.' reaches hidden names starting with '.'.
	vis := !ab.hidden || ew.has(ExpandHidden) || (pattern[0] == '.' && ab.name[0] == '.')
	switch ab.kind {
	case kindAlias:
		return vis && !r.opts.IgnoreAliases
	case kindDataStream:
		return vis && !r.opts.ExcludeDataStreams
	}
	if !vis {
		return false
	}
	if ab.closed {
		return ew.has(ExpandClosed)
	}
	return ew.has(ExpandOpen)
}

// explicit handles a name without wildcard.
func (r *resolver) explicit(name string) {
	ab := r.md.lookup(name)
	grants := r.grantsName(name, ab)
	if grants == 0 {
		if !r.opts.IgnoreUnavailable {
			r.denied = append(r.denied, name)
		}
		return
	}
	if !possibleIndexName(name) {
		// Authorized as a name, but no index can be called so: the cluster
		// would answer 404, or skip it with ignore_unavailable.
		if !r.opts.IgnoreUnavailable && r.notFound == "" {
			r.notFound = name
		}
		return
	}
	r.add(entry{name: name, ab: ab, grants: grants})
}

func (r *resolver) add(e entry) {
	if r.inList != nil {
		if r.inList[e.name] {
			return
		}
		r.inList[e.name] = true
	}
	r.entries = append(r.entries, e)
}

// remove takes a name out of the result (entries are compacted by result).
// Exclusions only follow a wildcard: there is a set.
func (r *resolver) remove(name string) {
	if r.inList[name] {
		r.inList[name] = false
	}
}

// result returns the resolved entries in the order they were first added.
func (r *resolver) result() []entry {
	if r.inList == nil {
		return r.entries
	}
	out := r.entries[:0]
	for _, e := range r.entries {
		if r.inList[e.name] {
			out = append(out, e)
			r.inList[e.name] = false // emit each name once
		}
	}
	r.entries = nil
	return out
}

// grantsName returns the groups granting a name: as what the metadata says
// it is (ab), or, when the cluster does not know it, as an index name.
func (r *resolver) grantsName(name string, ab *abstraction) groupSet {
	if ab != nil {
		return r.grantsAbstraction(ab)
	}
	restricted := IsRestrictedIndex(name)
	return r.collect(func(g *compiledGroup) bool { return g.matchesName(name, restricted) })
}

func (r *resolver) grantsAbstraction(ab *abstraction) groupSet {
	if r.groupBits == nil {
		return r.collect(func(g *compiledGroup) bool { return g.grantsAbstraction(ab) })
	}
	var set groupSet
	for i, bits := range r.groupBits {
		if !hasBit(bits, ab.pos) {
			continue
		}
		if i >= 64 {
			return allGroups
		}
		set |= 1 << i
	}
	return set
}

// collect returns the set of groups passing grants.
func (r *resolver) collect(grants func(*compiledGroup) bool) groupSet {
	var set groupSet
	for i, g := range r.groups {
		if !grants(g) {
			continue
		}
		if i >= 64 {
			return allGroups
		}
		set |= 1 << i
	}
	return set
}
