package authz

import (
	"slices"
	"strings"
)

// Wildcards a role covers whole. The resolver replaces each wildcard with
// the concrete names it reaches, as Elasticsearch's
// IndicesAndAliasesResolver does inside the cluster, but the proxy must
// then send those names in the request line: past about a hundred daily
// indices the line outgrows the cluster's http.max_initial_line_length
// (4 KB by default) and every search over them is refused. When a group
// without document- or field-level security grants every name a wildcard
// can ever expand to (the wildcard's literal stem starts with the stem of
// one of the group's "stem*" patterns, or the group grants "*"), whatever
// the cluster expands it to, now or once new indices appear, is granted:
// the expression goes as written. Only lists too long for a request line
// are replaced (longIndexList): shorter ones keep the resolver's exact
// names, which the audit trail records.

// longIndexList is the length past which a list of resolved names is
// replaced by the wildcards it came from when they are covered whole: a
// quarter of the cluster's default request line, which must also hold the
// method, the API path and the query string.
const longIndexList = 1024

// namesLength is the length of names joined with commas.
func namesLength(names []string) int {
	n := len(names)
	for _, s := range names {
		n += len(s)
	}
	return n
}

// shortenedList is d, an unfiltered decision whose resolved names are too
// many for a request line, with the request's own expressions instead when
// they are covered whole, or, for a request over everything, with the
// grants' wildcards that cover every name resolved. Otherwise d as it is.
func shortenedList(req Request, groups []*compiledGroup, d Decision) Decision {
	switch {
	case coveredWhole(req.Indices, groups, req.Metadata):
		d.Indices, d.Access, d.Rewritten, d.Unrestricted = slices.Clone(req.Indices), nil, false, true
	case meansAll(req.Indices):
		// Never unrestricted: full access is decided on "*".
		if stems, ok := grantWildcards(d.Indices, groups, req.Metadata); ok {
			d.Indices = stems
		}
	}
	return d
}

// coveredWhole reports whether every expression is such a wildcard.
func coveredWhole(exprs []string, groups []*compiledGroup, md *Metadata) bool {
	if len(exprs) == 0 {
		return false
	}
	for _, x := range exprs {
		if !wildcardCovered(x, groups, md) {
			return false
		}
	}
	return true
}

// wildcardCovered reports whether x is a plain wildcard expression ("logs-*",
// "logs-acme-2024.*") that an unrestricted group grants whole. Exclusions,
// date math, remote and selector syntax, escapes, encoded text and anything
// that could reach a restricted index go through resolution instead.
func wildcardCovered(x string, groups []*compiledGroup, md *Metadata) bool {
	star := strings.IndexByte(x, '*')
	if star < 0 || strings.HasPrefix(x, "-") || strings.ContainsAny(x, "?\\:<>,%{}") || mayReachRestricted(x) {
		return false
	}
	stem := x[:star]
	if !slices.ContainsFunc(groups, func(g *compiledGroup) bool { return g.unfiltered() && g.coversStem(stem) }) {
		return false
	}
	// An alias reaching a restricted index is restricted itself (see
	// Metadata): a wildcard that matches one needs resolution to drop it.
	for _, ab := range md.withPrefix(stem) {
		if ab.restricted || ab.failureStore {
			return false
		}
	}
	return true
}

// unfiltered reports whether the group has neither document- nor
// field-level security.
func (g *compiledGroup) unfiltered() bool { return g.query == nil && g.fields == nil }

// coversStem reports whether the group grants every name starting with
// stem (restricted names aside).
func (g *compiledGroup) coversStem(stem string) bool {
	if g.everything {
		return true
	}
	for _, p := range g.patterns {
		if p.wild != nil && p.wild.stemStar && strings.HasPrefix(stem, p.wild.stem) {
			return true
		}
	}
	return false
}

// meansAll reports whether index expressions name every index: none at
// all, "_all" or "*".
func meansAll(exprs []string) bool {
	return len(exprs) == 0 || len(exprs) == 1 && (exprs[0] == "_all" || exprs[0] == "*")
}

// grantWildcards returns the "stem*" patterns of unrestricted groups that
// together grant every one of names, sorted, when each name has one and
// each of them is covered whole (as wildcardCovered checks): a request
// over everything then goes to them instead of to the names, and the
// cluster expands them to what the resolver found, or to names the
// groups grant as well.
func grantWildcards(names []string, groups []*compiledGroup, md *Metadata) ([]string, bool) {
	var stems []string
	for _, name := range names {
		p, ok := stemGranting(name, groups)
		if !ok {
			return nil, false
		}
		stems = append(stems, p)
	}
	slices.Sort(stems)
	stems = slices.Compact(stems)
	for _, p := range stems {
		if !wildcardCovered(p, groups, md) {
			return nil, false
		}
	}
	return stems, true
}

// stemGranting returns a "stem*" pattern of an unrestricted group that
// matches name.
func stemGranting(name string, groups []*compiledGroup) (string, bool) {
	for _, g := range groups {
		if !g.unfiltered() {
			continue
		}
		for _, p := range g.patterns {
			if p.wild != nil && p.wild.stemStar && p.wild.stem != "" && strings.HasPrefix(name, p.wild.stem) {
				return p.raw, true
			}
		}
	}
	return "", false
}
