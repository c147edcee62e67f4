package authz

import "strings"

// actionSet is a set of action names: those matching an include pattern and
// no exclude pattern (Elasticsearch's "manage" is "all" minus security).
type actionSet struct {
	include, exclude []string
	inc, exc         []wildcard
}

func newActionSet(include, exclude []string) actionSet {
	s := actionSet{include: include, exclude: exclude}
	for _, p := range include {
		s.inc = append(s.inc, compileWildcard(p))
	}
	for _, p := range exclude {
		s.exc = append(s.exc, compileWildcard(p))
	}
	return s
}

func (s actionSet) matches(action string) bool {
	return anyWildcardMatches(s.inc, action) && !anyWildcardMatches(s.exc, action)
}

func (s actionSet) isEmpty() bool { return len(s.inc) == 0 }

func anyWildcardMatches(ws []wildcard, s string) bool {
	for _, w := range ws {
		if w.match(s) {
			return true
		}
	}
	return false
}

// isPrefixPattern reports whether p is a literal, or a literal followed by a
// single trailing '*'. The catalogue only uses such patterns, which is what
// makes subsetOf exact.
func isPrefixPattern(p string) bool {
	stem := strings.TrimSuffix(p, "*")
	return !strings.ContainsAny(stem, "*?\\\x00")
}

// subsetOf reports whether every action in s is also in t. Both sets must be
// built from prefix patterns. Membership of any string in such sets depends
// only on which pattern stems it equals or starts with, so it is enough to
// test each stem, and each stem followed by a character no stem contains.
func (s actionSet) subsetOf(t actionSet) bool {
	for _, w := range witnesses(s, t) {
		if s.matches(w) && !t.matches(w) {
			return false
		}
	}
	return true
}

func witnesses(sets ...actionSet) []string {
	out := []string{"", "\x00"}
	for _, set := range sets {
		for _, list := range [][]string{set.include, set.exclude} {
			for _, p := range list {
				stem := strings.TrimSuffix(p, "*")
				out = append(out, stem, stem+"\x00")
			}
		}
	}
	return out
}
