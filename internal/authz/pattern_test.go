package authz

import (
	"strings"
	"testing"
)

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"logs-*", "logs-2024", true},
		{"logs-*", "logs-", true},
		{"logs-*", "log", false},
		{"logs-?", "logs-1", true},
		{"logs-?", "logs-12", false},
		{"logs-?", "logs-é", true}, // one code point, two bytes
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"a**b", "ab", true},
		{"*.kibana*", "x.kibana_1", true},
		{`logs-\*`, "logs-*", true},
		{`logs-\*`, "logs-x", false},
		{`a\?`, "a?", true},
		{`a\?`, "ab", false},
		{`trailing\`, `trailing\`, true},
		{"exact", "exact", true},
		{"exact", "exact2", false},
		{"", "", true},
		{"", "x", false},
		{"indices:data/write/index[*", "indices:data/write/index[s]", true},
		{"indices:data/write/index[*", "indices:data/write/index:op_type/create", false},
	} {
		if got := compileWildcard(tc.pattern).match(tc.s); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
		if got := ActionMatches(tc.pattern, tc.s); got != tc.want {
			t.Errorf("ActionMatches(%q, %q) = %v", tc.pattern, tc.s, got)
		}
	}
}

func TestWildcardCoversPrefix(t *testing.T) {
	for _, tc := range []struct {
		pattern, stem string
		want          bool
	}{
		{"cluster:*", "cluster:", true},
		{"*", "cluster:", true},
		{"cl*", "cluster:", true},
		{"c*r:*", "cluster:", true},
		{"cluster:*", "indices:admin/template/", false},
		{"cluster:admin/*", "cluster:", false},
		{"cluster:*?", "cluster:", false},
		{"cluster:", "cluster:", false},
		{"indices:**", "indices:", true},
	} {
		if got := compileWildcard(tc.pattern).coversPrefix(tc.stem); got != tc.want {
			t.Errorf("%q covers %q* = %v, want %v", tc.pattern, tc.stem, got, tc.want)
		}
	}
}

func TestParsePatternMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		yes, no []string
	}{
		{"logs-*", []string{"logs-2024", "logs-"}, []string{"log", "xlogs-1"}},
		{"/logs-20[0-9]{2}.*/", []string{"logs-2024.01", "logs-2099"}, []string{"logs-abc", "logs-202", "xlogs-2024"}},
		{"/metrics-(beats|elasticsearch|kibana).*/", []string{"metrics-beats-1", "metrics-kibana"}, []string{"metrics-logstash"}},
		{"/~(([.]|ilm-history-).*)/", []string{"logs", "a.b", "ilm-historyx"}, []string{".security", ".kibana", "ilm-history-1"}},
		{"/~~(abc)/", []string{"abc"}, []string{"abd"}},
		{"/a+b?c*/", []string{"a", "aab", "abcc", "ac"}, []string{"", "b", "abb"}},
		{"/a{2,}/", []string{"aa", "aaaa"}, []string{"a"}},
		{"/a{1,2}/", []string{"a", "aa"}, []string{"aaa"}},
		{"/a{2}/", []string{"aa"}, []string{"a", "aaa"}},
		{"/[^a-c]x/", []string{"dx", "\nx"}, []string{"ax", "cx"}},
		{"/.x/", []string{"\nx", "éx"}, []string{"x"}},
		{`/"a.b"c/`, []string{"a.bc"}, []string{"axbc"}},
		{"/@/", []string{"", "anything"}, nil},
		{"/#/", nil, []string{"", "a"}},
		{"/()/", []string{""}, []string{"a"}},
		{"//", []string{""}, []string{"a"}},
		{"/*a/", []string{"*a"}, []string{"a", "aa"}}, // a leading '*' is a literal in Lucene
		{"/a|*/", []string{"a", "*"}, []string{"b"}},
		{`/a\.b/`, []string{"a.b"}, []string{"axb"}},
		{"/[]a]/", []string{"]", "a"}, []string{"b"}},
		{"/(a|b)(c|d)/", []string{"ac", "bd"}, []string{"ab", "a"}},
	} {
		p, err := ParsePattern(tc.pattern)
		if err != nil {
			t.Errorf("%s: %v", tc.pattern, err)
			continue
		}
		for _, s := range tc.yes {
			if !p.Matches(s) {
				t.Errorf("%s must match %q", tc.pattern, s)
			}
		}
		for _, s := range tc.no {
			if p.Matches(s) {
				t.Errorf("%s must not match %q", tc.pattern, s)
			}
		}
	}
}

func TestParsePatternErrors(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{"/", "invalid pattern [/]. patterns starting with '/'"},
		{"/logs-*", "invalid pattern [/logs-*]"},
		{"/a&b/", "'&' (intersection) is not supported"},
		{"/a~b/", "'~' (complement) is only supported around the whole expression"},
		{"/(~a)b/", "'~' (complement) is only supported around the whole expression"},
		{"/<1-10>/", "'<…>' intervals and named automata are not supported"},
		{`/\d/`, `the escape \d is not supported`},
		{`/[\w]/`, `the escape \w is not supported`},
		{"/(a/", "expected ')' at position 2"},
		{"/a)/", "end-of-string expected at position 1"},
		{"/[ab/", "expected ']'"},
		{`/"ab/`, `expected '"'`},
		{"/a{/", "integer expected at position 2"},
		{"/a{1/", "expected '}' at position 3"},
		{"/a{3,2}/", "invalid repetition {3,2}"},
		{"/a|/", "unexpected end-of-string"},
		{"/a{2000}/", "cannot be translated"},
		{"/" + strings.Repeat("(", 300) + "a" + strings.Repeat(")", 300) + "/", "nested too deeply"},
	} {
		_, err := ParsePattern(tc.pattern)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.pattern, err, tc.want)
		}
	}
}

func TestPatternRestrictedIndices(t *testing.T) {
	star, _ := ParsePattern("*")
	exact, _ := ParsePattern(".security-7")
	re, _ := ParsePattern("/.*/")
	for _, tc := range []struct {
		p          Pattern
		name       string
		restricted bool
		want       bool
	}{
		{star, "logs", false, true},
		{star, ".security-7", false, false},
		{star, ".security-7", true, true},
		{star, ".security-tokens-7", false, false},
		{star, ".async-search-abc", false, false},
		{star, ".kibana_1", false, false},
		{star, ".opendistro_security", false, false},
		{star, ".hidden-but-not-system", false, true},
		{exact, ".security-7", false, false}, // even an exact name needs the flag
		{exact, ".security-7", true, true},
		{re, ".tasks", false, false},
		{re, ".tasks", true, true},
	} {
		if got := tc.p.MatchesIndex(tc.name, tc.restricted); got != tc.want {
			t.Errorf("%s on %s (allow_restricted %v) = %v, want %v", tc.p, tc.name, tc.restricted, got, tc.want)
		}
	}
	if !star.MatchesEverything() || exact.MatchesEverything() || re.MatchesEverything() {
		t.Error("MatchesEverything is for the '*' wildcard only")
	}
	var zero Pattern
	if zero.Matches("") || zero.Matches("x") {
		t.Error("the zero Pattern matches nothing")
	}
}

func TestMayReachRestricted(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{"", true},
		{"_all", true},
		{"*", true},
		{".sec*", true},
		{".security-7", true},
		{".kibana_task_manager", true},
		{"logs-*", false},
		{"logs", false},
		{".hidden", false},
		{".hid*", false},
		{"<.security-{now/d}>", true},
		{"<logs-{now/d}>", false},
		{"%2Esecurity", true},
		{"remote:.security", true},
		{".security::failures", true},
		{"-.security*", false},
		{"*,-x", true},
		{"logs,.security", true},
		{"logs%2C.security", true},
	} {
		if got := mayReachRestricted(tc.expr); got != tc.want {
			t.Errorf("mayReachRestricted(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

func TestRestrictedIndexPatternsShape(t *testing.T) {
	for _, p := range RestrictedIndexPatterns() {
		if !isPrefixPattern(p) || !strings.HasPrefix(p, ".") {
			t.Errorf("restricted pattern %q must be a dot-name or dot-prefix followed by '*'", p)
		}
	}
	if !IsRestrictedIndex(".security") || IsRestrictedIndex("security") || IsRestrictedIndex(".opendistro_securityx") {
		t.Error("IsRestrictedIndex")
	}
}
