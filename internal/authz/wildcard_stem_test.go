package authz

import "testing"

// TestWildcardStemStarShortcut: patterns made of a literal and a final star
// match by byte prefix; the answers must be those of the general matcher,
// invalid UTF-8 and U+FFFD included.
func TestWildcardStemStarShortcut(t *testing.T) {
	patterns := []string{"*", "indices:*", "logs-*", "a*", "\\**", "é*", "\xff*", "\ufffd*", "a\\*b*", "a?*", "a*b*", "a**", "abc", ""}
	inputs := []string{"", "a", "ab", "*", "*x", "indices:data/read/search", "indices", "logs-", "logs-1", "é", "éa", "\xc3", "\xff",
		"\xfe", "\ufffd", "\ufffdz", "a*b", "a*bc", "a\\*b", "abc", "abcd", "xa"}
	shortcuts := 0
	for _, p := range patterns {
		w := compileWildcard(p)
		if w.stemStar {
			shortcuts++
		}
		general := wildcard{toks: w.toks}
		for _, s := range inputs {
			if got, want := w.match(s), general.match(s); got != want {
				t.Errorf("pattern %q on %q: %v, general matcher %v", p, s, got, want)
			}
		}
	}
	if shortcuts < 5 {
		t.Fatalf("only %d patterns take the shortcut", shortcuts)
	}
}
