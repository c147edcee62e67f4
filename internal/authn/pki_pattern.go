package authn

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// asciiCaseInsensitive compiles pattern (Go RE2 syntax) to match as Java's
// Pattern.CASE_INSENSITIVE does without UNICODE_CASE, which is how
// Elasticsearch compiles username_pattern: only US-ASCII letters match
// their other case. Go's (?i) folds Unicode: the Kelvin sign K (U+212A)
// matches k, the long s ſ (U+017F) matches s, É matches é, so a subject
// could satisfy the pattern's literal text (and name the user it captures)
// where Elasticsearch finds no match.
func asciiCaseInsensitive(pattern string) (*regexp.Regexp, error) {
	tree, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(foldASCII(tree).String())
	if err != nil {
		return nil, fmt.Errorf("recompiling %q: %w", pattern, err)
	}
	return re, nil
}

// foldASCII rewrites re so that ASCII letters of its literals and classes
// match either case, and nothing else folds.
func foldASCII(re *syntax.Regexp) *syntax.Regexp {
	for i, sub := range re.Sub {
		re.Sub[i] = foldASCII(sub)
	}
	switch re.Op {
	case syntax.OpLiteral:
		flags := re.Flags &^ syntax.FoldCase
		var parts []*syntax.Regexp
		var run []rune
		flush := func() {
			if len(run) > 0 {
				parts = append(parts, &syntax.Regexp{Op: syntax.OpLiteral, Flags: flags, Rune: run})
				run = nil
			}
		}
		for _, r := range re.Rune {
			if other, ok := asciiOtherCase(r); ok {
				flush()
				lo, hi := min(r, other), max(r, other)
				parts = append(parts, &syntax.Regexp{Op: syntax.OpCharClass, Flags: flags, Rune: []rune{lo, lo, hi, hi}})
				continue
			}
			run = append(run, r)
		}
		flush()
		if len(parts) == 1 {
			return parts[0]
		}
		return &syntax.Regexp{Op: syntax.OpConcat, Flags: flags, Sub: parts}
	case syntax.OpCharClass:
		re.Rune = foldASCIIClass(re.Rune)
	}
	return re
}

// foldASCIIClass closes a class's ranges under ASCII case. A class that
// holds the last code point is taken for a negated one ([^s]): a letter
// stays in it only when its other case does too (Java's [^s] excludes s
// and S); another gains the other case of its letters.
func foldASCIIClass(ranges []rune) []rune {
	var in [utf8.RuneSelf]bool
	negated := false
	for i := 0; i+1 < len(ranges); i += 2 {
		for c := ranges[i]; c <= ranges[i+1] && c < utf8.RuneSelf; c++ {
			in[c] = true
		}
		if ranges[i+1] == utf8.MaxRune {
			negated = true
		}
	}
	folded := in
	for c := range in {
		if other, ok := asciiOtherCase(rune(c)); ok {
			if negated {
				folded[c] = in[c] && in[other]
			} else {
				folded[c] = in[c] || in[other]
			}
		}
	}
	var out []rune
	for c := 0; c < utf8.RuneSelf; c++ {
		if !folded[c] {
			continue
		}
		if n := len(out); n > 0 && out[n-1] == rune(c)-1 {
			out[n-1] = rune(c)
			continue
		}
		out = append(out, rune(c), rune(c))
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if hi < utf8.RuneSelf {
			continue
		}
		lo = max(lo, utf8.RuneSelf)
		if n := len(out); n > 0 && out[n-1] == lo-1 {
			out[n-1] = hi
			continue
		}
		out = append(out, lo, hi)
	}
	return out
}

// asciiOtherCase is the other case of an ASCII letter.
func asciiOtherCase(r rune) (rune, bool) {
	switch {
	case r >= 'a' && r <= 'z':
		return r - 'a' + 'A', true
	case r >= 'A' && r <= 'Z':
		return r - 'A' + 'a', true
	}
	return 0, false
}
