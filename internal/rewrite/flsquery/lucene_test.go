package flsquery

import (
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// TestLexLucene checks token kinds on the tricky corners of the classic
// parser's tokenizer.
func TestLexLucene(t *testing.T) {
	cases := []struct {
		text string
		want []lexKind
	}{
		{`a:b`, []lexKind{tokTerm, tokColon, tokTerm}},
		{`a : b`, []lexKind{tokTerm, tokColon, tokTerm}},
		{`*:*`, []lexKind{tokStar, tokColon, tokStar}},
		{`a* ?b a*b`, []lexKind{tokPrefixTerm, tokWildTerm, tokWildTerm}},
		{`AND OR NOT ANDY && || !`, []lexKind{tokAnd, tokOr, tokNot, tokTerm, tokAnd, tokOr, tokNot}},
		{`&&x ||y`, []lexKind{tokTerm, tokTerm}},
		{`+a -b ! c`, []lexKind{tokPlus, tokTerm, tokMinus, tokTerm, tokBareOper, tokTerm}},
		{`a-b+c`, []lexKind{tokTerm}},
		{`"a:b \" c"`, []lexKind{tokQuoted}},
		{`/a:b\/c/ d`, []lexKind{tokRegexpTerm, tokTerm}},
		{`a~2 b~0.5 c~`, []lexKind{tokTerm, tokFuzzySlop, tokTerm, tokFuzzySlop, tokTerm, tokFuzzySlop}},
		{`a~b:c`, []lexKind{tokTerm, tokFuzzySlop, tokTerm, tokColon, tokTerm}},
		{`a^2.5`, []lexKind{tokTerm, tokCarat, tokNumber}},
		{`f:[a TO "b ]"] g`, []lexKind{tokTerm, tokColon, tokRangeInStart, tokRangeGoop, tokRangeTo, tokRangeQuoted,
			tokRangeInEnd, tokTerm}},
		{`{* TO x:y}`, []lexKind{tokRangeExStart, tokRangeGoop, tokRangeTo, tokRangeGoop, tokRangeExEnd}},
		{`a\:b:c`, []lexKind{tokTerm, tokColon, tokTerm}},
		{`\u0073ecret:x`, []lexKind{tokTerm, tokColon, tokTerm}},
		{"a\u3000b", []lexKind{tokTerm, tokTerm}},
		{`(a OR b)^2`, []lexKind{tokLParen, tokTerm, tokOr, tokTerm, tokRParen, tokCarat, tokNumber}},
	}
	for _, tc := range cases {
		toks, err := lexLucene([]rune(tc.text))
		if err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		var got []lexKind
		for _, tok := range toks {
			got = append(got, tok.kind)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: kinds %v, want %v", tc.text, got, tc.want)
		}
	}
	for _, bad := range []string{`"open`, `/open`, `a\`, `a^`, `a^ 2`, `[a TO b`, `]`, `a}`} {
		if _, err := lexLucene([]rune(bad)); err == nil {
			t.Errorf("%q: tokenized, want a lexical error", bad)
		}
	}
}

// TestUnescapeLucene checks Lucene's discardEscapeChar.
func TestUnescapeLucene(t *testing.T) {
	cases := []struct{ in, want string }{
		{`secret_note`, `secret_note`},
		{`secret\_note`, `secret_note`},
		{`\u0073ecret`, `secret`},
		{`\uD83D\uDE00x`, "\U0001F600x"},
		{`a\\b`, `a\b`},
		{`bank.\*`, `bank.*`},
	}
	for _, tc := range cases {
		got, err := unescapeLucene(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("unescape(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`a\`, `\u00`, `\u00zz`, `\uD800x`} {
		if _, err := unescapeLucene(bad); err == nil {
			t.Errorf("unescape(%q) succeeded, want an error", bad)
		}
	}
	for _, name := range []string{"a:b", "AND", "x y", `c\d`, "e*", "-f", NeutralField, "@timestamp"} {
		got, err := unescapeLucene(escapeLucene(name))
		if err != nil || got != name {
			t.Errorf("escape round trip of %q gave %q, %v", name, got, err)
		}
		toks, err := lexLucene([]rune(escapeLucene(name) + ":x"))
		if err != nil || len(toks) != 3 || toks[0].kind != tokTerm || toks[1].kind != tokColon {
			t.Errorf("escaped %q does not lex as one field prefix: %v %v", name, toks, err)
		}
	}
}

// TestQueryText checks the rewrite of field prefixes in query_string text
// for alice's view.
func TestQueryText(t *testing.T) {
	cases := []struct{ text, want, refuse string }{
		{text: `amber`, want: `amber`},
		{text: `tenant:acme`, want: `tenant:acme`},
		{text: `secret_note:amber`, want: `.portcullis_hidden_field:amber`},
		{text: `secret\_note:amber`, want: `.portcullis_hidden_field:amber`},
		{text: `\u0073ecret_note:amber`, want: `.portcullis_hidden_field:amber`},
		{text: `salary:>1000`, want: `.portcullis_hidden_field:>1000`},
		{text: `salary:[7733900 TO *]`, want: `.portcullis_hidden_field:[7733900 TO *]`},
		{text: `+secret_note:(amber OR basalt) -tenant:x`, want: `+.portcullis_hidden_field:(amber OR basalt) -tenant:x`},
		{text: `message:(a secret_note:b)`, want: `message:(a .portcullis_hidden_field:b)`},
		{text: `message:"secret_note:b"`, want: `message:"secret_note:b"`},
		{text: `message:/secret_note:b/`, want: `message:/secret_note:b/`},
		{text: `_exists_:secret_note`, want: `_exists_:.portcullis_hidden_field`},
		{text: `_exists_:tenant`, want: `_exists_:tenant`},
		{text: `_exists_:user`, want: `_exists_:user.name`},
		{text: `_exists_:"user"^2`, want: `_exists_:user.name^2`},
		{text: `_exists_:sec*`, refuse: "one field name"},
		{text: `_exists_:sec\*`, refuse: "pattern"},
		{text: `_exists_:(a b)`, refuse: "one field name"},
		{text: `user:*`, want: `_exists_:user.name`},
		{text: `user:*^3`, want: `_exists_:user.name^3`},
		{text: `code:*`, want: `_exists_:.portcullis_hidden_field`},
		{text: `*:*`, want: `*:*`},
		{text: `*:amber`, want: `(@timestamp:amber OR tenant:amber OR message:amber OR user.name:amber)`},
		{text: `user.\*:(a OR b)`, want: `user.name:(a OR b)`},
		{text: `bank.\*:x`, want: `.portcullis_hidden_field:x`},
		{text: `te\*:x~2^3 y`, want: `tenant:x~2^3 y`},
		{text: `*:x^2`, want: `(@timestamp:x^2 OR tenant:x^2 OR message:x^2 OR user.name:x^2)`},
		{text: `a:b:c`, refuse: "without a value"},
		{text: `secret_note:`, refuse: "without a value"},
		{text: `"unterminated`, refuse: "cannot be tokenized"},
	}
	r := &rewriter{plan: newPlan(oneIndex("i", aliceView())), view: aliceView()}
	for _, tc := range cases {
		got, err := r.queryText("q", tc.text)
		if tc.refuse != "" {
			if err == nil || !strings.Contains(err.Error(), tc.refuse) {
				t.Errorf("%q: got %q, %v; want refusal containing %q", tc.text, got, err, tc.refuse)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.text, got, err, tc.want)
		}
	}
}

// TestQueryTextBounded: query_string text whose rewrite would grow without
// bound is refused quickly, never built. A wildcard prefix repeats its
// value once per visible field, so "*:(*:(...(x)...))" grows exponentially
// with the nesting: 57 bytes once took the proxy to 22 GB and the OOM
// killer. Deep nesting of plain prefixes cost quadratic time (8 s for
// 200 KB) and, deeper still, would exhaust the goroutine stack.
func TestQueryTextBounded(t *testing.T) {
	cases := []struct{ name, text, refuse string }{
		{"nested wildcard prefixes", strings.Repeat("*:(", 14) + "x" + strings.Repeat(")", 14), "expand to more than"},
		{"nested pattern prefixes", strings.Repeat("user*:(*:(", 10) + "x" + strings.Repeat("))", 10), "expand to more than"},
		{"nested exists over a wildcard", strings.Repeat("*:(", 12) + "x:* _exists_:user" + strings.Repeat(")", 12), "expand to more than"},
		{"deeply nested prefixes", strings.Repeat("message:(", 100000) + "x" + strings.Repeat(")", 100000), "deeper than"},
		{"many wildcard prefixes", strings.Repeat("*:x ", 1<<18-1), "expand to more than"},
		{"a text longer than the bound", strings.Repeat("message:x ", 1<<17), "more than the [1048576] the security proxy rewrites"},
	}
	for _, tc := range cases {
		r := &rewriter{plan: newPlan(oneIndex("i", aliceView())), view: aliceView()}
		var got string
		var err error
		allocated := allocatedBy(func() { got, err = r.queryText("q", tc.text) })
		if err == nil || !strings.Contains(err.Error(), tc.refuse) {
			t.Errorf("%s: got %d bytes, %v; want a refusal containing %q", tc.name, len(got), err, tc.refuse)
		}
		// Refused before it is built: the allocations (a few tens of MiB
		// for the nested cases, about 130 MiB of tokens for a quarter of
		// a million prefixes) stay far from the exponential size (22 GB
		// before).
		if allocated > 512<<20 {
			t.Errorf("%s: %d MiB allocated", tc.name, allocated>>20)
		}
	}
	// Within the bounds, nesting is rewritten as before, in linear time.
	r := &rewriter{plan: newPlan(oneIndex("i", aliceView())), view: aliceView()}
	text := strings.Repeat("secret_note:(", 200) + "x" + strings.Repeat(")", 200)
	want := strings.Repeat(".portcullis_hidden_field:(", 200) + "x" + strings.Repeat(")", 200)
	if got, err := r.queryText("q", text); err != nil || got != want {
		t.Errorf("200 nested prefixes: %v", err)
	}
	text = strings.Repeat("*:(", 3) + "x" + strings.Repeat(")", 3)
	if got, err := r.queryText("q", text); err != nil || strings.Count(got, "message:") != 1+4+4*4 {
		t.Errorf("3 nested wildcard prefixes: %d message prefixes, %v", strings.Count(got, "message:"), err)
	}
}

// TestRewriteBodyExpansionBudget: field patterns repeated through a body
// (exists on "*", docvalue_fields) count against one budget; past it the
// whole body is refused.
func TestRewriteBodyExpansionBudget(t *testing.T) {
	var should []string
	for range 300000 {
		should = append(should, `{"exists":{"field":"*"}}`)
	}
	body, err := esbody.ParseObject([]byte(`{"query":{"bool":{"should":[` + strings.Join(should, ",") + `]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Rewrite(body, oneIndex("i", aliceView())); err == nil || !strings.Contains(err.Error(), "expand to more than") {
		t.Errorf("300000 exists on *: %v, want a refusal", err)
	}
	body, _ = esbody.ParseObject([]byte(`{"query":{"bool":{"should":[` + strings.Join(should[:100], ",") + `]}}}`))
	if _, err := Rewrite(body, oneIndex("i", aliceView())); err != nil {
		t.Errorf("100 exists on *: %v", err)
	}
}

// allocatedBy returns the bytes the heap allocated while f ran (the test
// runs alone: no parallel test allocates meanwhile).
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
