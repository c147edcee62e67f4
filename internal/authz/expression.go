package authz

import (
	"fmt"
	"strings"
	"time"
)

// expression is one index expression of a request, taken apart the way
// Elasticsearch's resolvers read it.
type expression struct {
	// text is the expression as given, without the exclusion dash.
	text string
	// name is what is left to resolve: the selector removed and date math
	// resolved.
	name string
	// exclude: "-name" after a wildcard, taken away from what came before.
	exclude bool
	// remote: "cluster:index", an index on a remote cluster.
	remote bool
	// failures: the "::failures" (or "::*") selector, a data stream's
	// failure store.
	failures bool
}

// selectorError is an unknown "::" selector (Elasticsearch answers 400).
type selectorError struct{ msg string }

func (e *selectorError) Error() string { return e.msg }

// parseExpression takes raw apart. wildcardSeen says whether an earlier
// expression held a wildcard, which is what makes a leading '-' an
// exclusion rather than part of a name.
func parseExpression(raw string, wildcardSeen bool, now time.Time) (expression, error) {
	e := expression{text: raw}
	if wildcardSeen && len(raw) > 1 && raw[0] == '-' {
		e.exclude, e.text = true, raw[1:]
	}
	s := e.text
	if i := strings.LastIndex(s, "::"); i >= 0 && !strings.ContainsAny(s[i+2:], "<>{}|:") {
		switch sel := s[i+2:]; sel {
		case "data":
		case "failures", "*":
			e.failures = true
		default:
			return e, &selectorError{msg: fmt.Sprintf("Invalid usage of :: separator, [%s] is not a recognized selector", sel)}
		}
		s = s[:i]
	}
	if !isDateMath(s) && strings.Contains(s, ":") {
		e.remote, e.name = true, s
		return e, nil
	}
	name, err := resolveDateMath(s, now)
	if err != nil {
		return e, err
	}
	e.name = name
	// A date math expression may resolve to a name with a cluster prefix.
	e.remote = strings.Contains(name, ":")
	return e, nil
}

// isWildcard reports whether a resolved name is a wildcard expression
// (Regex.isSimpleMatchPattern: only '*' is a wildcard in index names).
func isWildcard(name string) bool { return strings.IndexByte(name, '*') >= 0 }

// isAllIndices reports whether the expressions mean every index: none at
// all, or "_all" alone.
func isAllIndices(exprs []string) bool {
	return len(exprs) == 0 || (len(exprs) == 1 && exprs[0] == "_all")
}

// SimpleMatch is Elasticsearch's Regex.simpleMatch: '*' matches any
// sequence of characters; every other character matches itself.
func SimpleMatch(pattern, s string) bool {
	first := strings.IndexByte(pattern, '*')
	if first < 0 {
		return pattern == s
	}
	if !strings.HasPrefix(s, pattern[:first]) {
		return false
	}
	s, pattern = s[first:], pattern[first+1:]
	last := strings.LastIndexByte(pattern, '*')
	if last < 0 {
		return strings.HasSuffix(s, pattern)
	}
	if !strings.HasSuffix(s, pattern[last+1:]) {
		return false
	}
	s = s[:len(s)-(len(pattern)-last-1)]
	// The middle parts must appear in order between prefix and suffix.
	for _, part := range strings.Split(pattern[:last], "*") {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return true
}

// literalPrefix returns the part of a wildcard before its first '*'.
func literalPrefix(pattern string) string {
	if i := strings.IndexByte(pattern, '*'); i >= 0 {
		return pattern[:i]
	}
	return pattern
}

// possibleIndexName reports whether a concrete index, alias or data stream
// could have this name. Names that cannot exist are never forwarded: the
// cluster could read them as something else (a wildcard, a list, a remote
// index, a percent-encoded expression). Elasticsearch refuses the same
// characters in new names, '%' aside, which is refused here to be safe.
func possibleIndexName(name string) bool {
	if name == "" || name == "." || name == ".." || len(name) > 255 {
		return false
	}
	switch name[0] {
	case '-', '_', '+':
		return false
	}
	return !strings.ContainsAny(name, "\\/*?\"<>| ,#:%")
}
