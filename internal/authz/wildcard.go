package authz

import (
	"strings"
	"unicode/utf8"
)

// wildcard is a compiled Elasticsearch wildcard pattern (Automatons.wildcard):
// '*' matches any sequence of characters, '?' exactly one character, and '\'
// makes the next character literal. Everything else is literal. Matching is
// per Unicode code point, as Lucene automata are.
type wildcard struct {
	toks []wtok
	// stemStar says the pattern is a literal stem and one final star
	// ("indices:*", "logs-*"), the usual shape: it matches exactly the
	// strings starting with stem's bytes. Only set when stem is valid
	// UTF-8 without U+FFFD, where bytes and code points agree.
	stemStar bool
	stem     string
}

type wtokKind uint8

const (
	wLit wtokKind = iota
	wOne
	wStar
)

type wtok struct {
	kind wtokKind
	r    rune
}

// compileWildcard never fails: every string is a valid wildcard pattern. A
// trailing lone '\' is a literal backslash, as in Elasticsearch.
func compileWildcard(s string) wildcard {
	rs := []rune(s)
	toks := make([]wtok, 0, len(rs))
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '*':
			// Consecutive stars mean the same as one; collapsing keeps matching linear.
			if len(toks) == 0 || toks[len(toks)-1].kind != wStar {
				toks = append(toks, wtok{kind: wStar})
			}
		case '?':
			toks = append(toks, wtok{kind: wOne})
		case '\\':
			if i+1 < len(rs) {
				i++
			}
			toks = append(toks, wtok{kind: wLit, r: rs[i]})
		default:
			toks = append(toks, wtok{kind: wLit, r: rs[i]})
		}
	}
	w := wildcard{toks: toks}
	w.stem, w.stemStar = stemOfStemStar(toks)
	return w
}

// stemOfStemStar returns the literal before the final star of a pattern
// made of literals and one final star, and whether toks have that shape
// with a stem that matches byte for byte.
func stemOfStemStar(toks []wtok) (string, bool) {
	n := len(toks)
	if n == 0 || toks[n-1].kind != wStar {
		return "", false
	}
	var b strings.Builder
	for _, t := range toks[:n-1] {
		if t.kind != wLit || t.r == utf8.RuneError {
			return "", false
		}
		b.WriteRune(t.r)
	}
	stem := b.String()
	return stem, utf8.ValidString(stem)
}

// match reports whether s matches the whole pattern. It backtracks only to
// the last star, which is enough for glob patterns and stays O(len*len).
func (w wildcard) match(s string) bool {
	if w.stemStar {
		return strings.HasPrefix(s, w.stem)
	}
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for si < len(s) {
		r, size := utf8.DecodeRuneInString(s[si:])
		if ti < len(w.toks) {
			t := w.toks[ti]
			switch {
			case t.kind == wStar && ti == len(w.toks)-1:
				return true // a final star matches whatever is left
			case t.kind == wStar:
				starTi, starSi = ti, si
				ti++
				continue
			case t.kind == wOne || t.r == r:
				ti++
				si += size
				continue
			}
		}
		if starTi < 0 {
			return false
		}
		// Let the last star swallow one more character and retry.
		_, skip := utf8.DecodeRuneInString(s[starSi:])
		starSi += skip
		ti, si = starTi+1, starSi
	}
	for ti < len(w.toks) && w.toks[ti].kind == wStar {
		ti++
	}
	return ti == len(w.toks)
}

// matchesEverything reports whether the pattern is made of stars only.
func (w wildcard) matchesEverything() bool {
	return len(w.toks) == 1 && w.toks[0].kind == wStar
}

// coversPrefix reports whether the pattern matches every string that starts
// with prefix. That holds exactly when the pattern ends with a star and the
// part before that star matches some prefix of prefix (the star then absorbs
// the rest of any such string).
func (w wildcard) coversPrefix(prefix string) bool {
	n := len(w.toks)
	if n == 0 || w.toks[n-1].kind != wStar {
		return false
	}
	head := wildcard{toks: w.toks[:n-1]}
	for i := 0; i <= len(prefix); i++ {
		if i < len(prefix) && !utf8.RuneStart(prefix[i]) {
			continue
		}
		if head.match(prefix[:i]) {
			return true
		}
	}
	return false
}

// literalPrefix returns the literal text before the first wildcard token.
func (w wildcard) literalPrefix() string {
	var b strings.Builder
	for _, t := range w.toks {
		if t.kind != wLit {
			break
		}
		b.WriteRune(t.r)
	}
	return b.String()
}

// sample returns one string the pattern matches (stars empty, '?' as 'x');
// used to disprove inclusion between patterns.
func (w wildcard) sample() string {
	var b strings.Builder
	for _, t := range w.toks {
		switch t.kind {
		case wLit:
			b.WriteRune(t.r)
		case wOne:
			b.WriteByte('x')
		}
	}
	return b.String()
}

// ActionMatches reports whether an action name matches an action pattern,
// with Elasticsearch's wildcard syntax ('*', '?', '\' escape).
func ActionMatches(pattern, action string) bool {
	return compileWildcard(pattern).match(action)
}
