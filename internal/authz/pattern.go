package authz

import (
	"fmt"
	"strings"
)

// Pattern is an index name pattern from a role: an Elasticsearch wildcard
// ('*', '?', '\' escape) or, between slashes, a Lucene regular expression.
// Both match the whole name. The zero Pattern matches nothing.
type Pattern struct {
	raw  string
	wild *wildcard
	re   *luceneRegexp
}

// ParsePattern compiles an index name pattern the way Elasticsearch's
// Automatons.pattern does. Patterns starting with '/' must end with '/' and
// hold a regular expression of the supported subset (see lucene_regexp.go).
func ParsePattern(s string) (Pattern, error) {
	if !strings.HasPrefix(s, "/") {
		w := compileWildcard(s)
		return Pattern{raw: s, wild: &w}, nil
	}
	if len(s) == 1 || !strings.HasSuffix(s, "/") {
		return Pattern{}, fmt.Errorf("invalid pattern [%s]. patterns starting with '/' indicate regular expression pattern "+
			"and therefore must also end with '/'. other patterns (those that do not start with '/') will be treated as simple wildcard patterns", s)
	}
	re, err := compileLucene(s[1 : len(s)-1])
	if err != nil {
		return Pattern{}, fmt.Errorf("invalid regular expression pattern [%s]: %v", s, err)
	}
	return Pattern{raw: s, re: &re}, nil
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.raw }

// IsRegexp reports whether the pattern is a /regular expression/.
func (p Pattern) IsRegexp() bool { return p.re != nil }

// Matches reports whether name matches the pattern, ignoring restricted
// indices.
func (p Pattern) Matches(name string) bool {
	switch {
	case p.wild != nil:
		return p.wild.match(name)
	case p.re != nil:
		return p.re.match(name)
	}
	return false
}

// MatchesIndex reports whether the pattern grants access to the concrete
// index name: restricted indices match only when allowRestricted is true,
// whatever the pattern (Elasticsearch subtracts them from the group's
// automaton, so even an exact ".security" needs the flag).
func (p Pattern) MatchesIndex(name string, allowRestricted bool) bool {
	if !allowRestricted && IsRestrictedIndex(name) {
		return false
	}
	return p.Matches(name)
}

// MatchesEverything reports whether the pattern is the wildcard "*" (or only
// stars). Regular expressions are never treated as match-all.
func (p Pattern) MatchesEverything() bool {
	return p.wild != nil && p.wild.matchesEverything()
}
