package flsquery

import (
	"fmt"
	"strings"
)

// queryText rewrites the field prefixes of query_string text (see the
// package documentation): hidden fields become NeutralField, wildcard
// prefixes become an OR over the visible fields, and exists checks
// (_exists_:f, f:*) cover only visible leaves. Text the tokenizer cannot
// read is refused; the cluster would fail on it too.
func (r *rewriter) queryText(path, text string) (string, error) {
	if len(text) > maxQueryTextBytes {
		return "", malformed(path, fmt.Sprintf("query_string text of [%d] bytes, more than the [%d] the security proxy rewrites", len(text), maxQueryTextBytes))
	}
	runes := []rune(text)
	toks, err := lexLucene(runes)
	if err != nil {
		return "", malformed(path, "query_string text that cannot be tokenized")
	}
	if len(toks) == 0 {
		return text, nil
	}
	t := &textRewriter{r: r, path: path, text: runes, toks: toks, closing: matchParens(toks)}
	var b strings.Builder
	b.Grow(len(text))
	b.WriteString(string(runes[:toks[0].start]))
	if err := t.render(&b, 0, len(toks), 0); err != nil {
		return "", err
	}
	b.WriteString(string(runes[toks[len(toks)-1].end:]))
	out := b.String()
	if _, err := lexLucene([]rune(out)); err != nil {
		return "", malformed(path, "query_string text that cannot be rewritten")
	}
	return out, nil
}

// maxQueryTextBytes bounds the query_string text rewritten under FLS: its
// tokens take about a hundred times the text's size while it is rewritten
// (a 4 MiB text of short prefixed terms, 500 MiB), and the body may hold
// 100 MiB of it. OpenSearch refuses texts over 32,000 characters itself
// (search.query.max_query_string_length); Elasticsearch has no such
// bound, but a text of a million characters is no query a person or a
// tool writes.
const maxQueryTextBytes = 1 << 20

// maxTextDepth is the deepest nesting of field-prefixed groups
// ("a:(b:(c:x))") rewritten in query_string text: each level is one
// recursion of the rewrite, so without a bound a long enough text would
// exhaust the goroutine's stack, which crashes the process. No query
// written by a person or a tool nests field prefixes nearly as deep.
const maxTextDepth = 256

// textRewriter renders a token range with its field prefixes rewritten.
type textRewriter struct {
	r    *rewriter
	path string
	text []rune
	toks []token
	// closing[i] is the index of the ")" matching the "(" at token i, -1
	// when there is none; computed once so that finding a group's end
	// costs nothing however deep the groups nest.
	closing []int
}

// matchParens pairs each "(" token with its ")".
func matchParens(toks []token) []int {
	closing := make([]int, len(toks))
	var open []int
	for i, tok := range toks {
		closing[i] = -1
		switch tok.kind {
		case tokLParen:
			open = append(open, i)
		case tokRParen:
			if n := len(open); n > 0 {
				closing[open[n-1]] = i
				open = open[:n-1]
			}
		}
	}
	return closing
}

func (t *textRewriter) tokenText(i int) string {
	return string(t.text[t.toks[i].start:t.toks[i].end])
}

// raw is the original text of tokens [from, to).
func (t *textRewriter) raw(from, to int) string {
	return string(t.text[t.toks[from].start:t.toks[to-1].end])
}

// gap is the (whitespace) text between token i and token i+1.
func (t *textRewriter) gap(i int) string {
	return string(t.text[t.toks[i].end:t.toks[i+1].start])
}

func (t *textRewriter) kind(i int) lexKind {
	if i < len(t.toks) {
		return t.toks[i].kind
	}
	return 0
}

// isPrefix reports a field prefix: a TERM (or "*") followed by a colon.
// Every such pair is taken as one, whatever the grammar around it, so
// nothing the parser could read as a field escapes the check.
func (t *textRewriter) isPrefix(i int) bool {
	k := t.kind(i)
	return (k == tokTerm || k == tokStar) && t.kind(i+1) == tokColon
}

// render writes tokens [from, to) to b rewritten, keeping the whitespace
// between them. depth is the number of field-prefixed groups around them.
func (t *textRewriter) render(b *strings.Builder, from, to, depth int) error {
	for i := from; i < to; {
		if i > from {
			b.WriteString(t.gap(i - 1))
		}
		if !t.isPrefix(i) {
			b.WriteString(t.tokenText(i))
			i++
			continue
		}
		next, err := t.prefixed(b, i, to, depth)
		if err != nil {
			return err
		}
		i = next
	}
	return nil
}

// renderString is render into a new string.
func (t *textRewriter) renderString(from, to, depth int) (string, error) {
	var b strings.Builder
	if err := t.render(&b, from, to, depth); err != nil {
		return "", err
	}
	return b.String(), nil
}

// prefixed writes the clause starting with the field prefix at token i,
// rewritten, and returns the index of the token after its value.
func (t *textRewriter) prefixed(b *strings.Builder, i, limit, depth int) (int, error) {
	if depth >= maxTextDepth {
		return 0, malformed(t.path, fmt.Sprintf("query_string text nesting field prefixes deeper than %d levels", maxTextDepth))
	}
	end, err := t.valueEnd(i+2, limit)
	if err != nil {
		return 0, err
	}
	name := "*"
	if t.kind(i) == tokTerm {
		if name, err = unescapeLucene(t.tokenText(i)); err != nil {
			return 0, malformed(t.path, "query_string field name that cannot be read")
		}
	}
	if name == "_exists_" {
		s, err := t.exists(i+2, end, depth+1)
		b.WriteString(s)
		return end, err
	}
	if t.kind(i) == tokStar && t.kind(i+2) == tokStar {
		// *:* matches every document and reads no field.
		b.WriteString(t.raw(i, end))
		return end, nil
	}
	colon := t.gap(i) + ":" + t.gap(i+1)
	// one writes the clause on a single field, its value rendered straight
	// into b (no copy, however deep the nesting).
	one := func(field string) (int, error) {
		b.WriteString(field)
		b.WriteString(colon)
		return end, t.render(b, i+2, end, depth+1)
	}
	switch {
	case name == NeutralField:
		return one(t.tokenText(i))
	case t.kind(i+2) == tokStar:
		// f:* is an exists query on f, which for an object covers its
		// hidden children too; a wildcard name is one per visible leaf.
		// Either way it is written as _exists_, the form a second walk
		// leaves unchanged.
		suffix, err := t.renderString(i+3, end, depth+1)
		if err != nil {
			return 0, err
		}
		if i+3 < end {
			suffix = t.gap(i+2) + suffix
		}
		if hasWildcard(name) {
			s, err := t.existsAny(t.r.expand(name), suffix)
			b.WriteString(s)
			return end, err
		}
		s, err := t.existsText(name, suffix)
		b.WriteString(s)
		return end, err
	case hasWildcard(name):
		fields := t.r.expand(name)
		if len(fields) < 2 {
			if len(fields) == 0 {
				return one(escapeLucene(NeutralField))
			}
			return one(escapeLucene(fields[0]))
		}
		value, err := t.renderString(i+2, end, depth+1)
		if err != nil {
			return 0, err
		}
		s, err := t.disjunction(fields, colon, value)
		b.WriteString(s)
		return end, err
	case !t.r.visible(name):
		return one(escapeLucene(NeutralField))
	}
	return one(t.tokenText(i))
}

// valueEnd finds the end of the value of a field prefix whose value starts
// at token j: a term with its boost and fuzziness, a range, or a group.
func (t *textRewriter) valueEnd(j, limit int) (int, error) {
	bad := malformed(t.path, "query_string field prefix without a value it can read")
	if j >= limit {
		return 0, bad
	}
	switch t.kind(j) {
	case tokLParen:
		if k := t.closing[j]; k >= 0 && k < limit {
			return t.boostEnd(k+1, limit, false), nil
		}
		return 0, bad
	case tokRangeInStart, tokRangeExStart:
		for k := j; k < limit; k++ {
			if kk := t.kind(k); kk == tokRangeInEnd || kk == tokRangeExEnd {
				return t.boostEnd(k+1, limit, false), nil
			}
		}
		return 0, bad
	case tokTerm, tokStar, tokPrefixTerm, tokWildTerm, tokRegexpTerm, tokBareOper, tokQuoted, tokNumber:
		if t.kind(j+1) == tokColon {
			return 0, bad
		}
		return t.boostEnd(j+1, limit, true), nil
	}
	return 0, bad
}

// boostEnd skips a "^n" boost and, for terms, a "~n" fuzziness in either
// order.
func (t *textRewriter) boostEnd(k, limit int, fuzzy bool) int {
	boost := func(k int) int {
		if k+1 < limit && t.kind(k) == tokCarat && t.kind(k+1) == tokNumber {
			return k + 2
		}
		return k
	}
	slop := func(k int) int {
		if fuzzy && k < limit && t.kind(k) == tokFuzzySlop {
			return k + 1
		}
		return k
	}
	if b := boost(k); b > k {
		return slop(b)
	}
	if s := slop(k); s > k {
		return boost(s)
	}
	return k
}

// exists rewrites the value of _exists_, which names a field (or object).
// Only a single term or phrase is accepted; a group or a pattern would
// need the cluster's own resolution.
func (t *textRewriter) exists(j, end, depth int) (string, error) {
	var raw string
	switch t.kind(j) {
	case tokTerm:
		raw = t.tokenText(j)
	case tokQuoted:
		q := t.tokenText(j)
		raw = q[1 : len(q)-1]
	default:
		return "", refuse(t.path, "query_string [_exists_] on anything but one field name")
	}
	name, err := unescapeLucene(raw)
	if err != nil || hasWildcard(name) {
		return "", refuse(t.path, "query_string [_exists_] on a pattern")
	}
	suffix, err := t.renderString(j+1, end, depth)
	if err != nil {
		return "", err
	}
	if j+1 < end {
		suffix = t.gap(j) + suffix
	}
	return t.existsText(name, suffix)
}

// existsText is an exists check on name limited to its visible leaves,
// followed by suffix (a boost).
func (t *textRewriter) existsText(name, suffix string) (string, error) {
	return t.existsAny(t.r.existsFields(name), suffix)
}

// existsAny is "_exists_" on any of fields (visible leaves), or on the
// neutral field when there is none.
func (t *textRewriter) existsAny(fields []string, suffix string) (string, error) {
	switch len(fields) {
	case 0:
		return "_exists_:" + escapeLucene(NeutralField) + suffix, nil
	case 1:
		return "_exists_:" + escapeLucene(fields[0]) + suffix, nil
	}
	if err := t.charge(fields, len("_exists_: OR ")); err != nil {
		return "", err
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = "_exists_:" + escapeLucene(f)
	}
	return "(" + strings.Join(parts, " OR ") + ")" + suffix, nil
}

// charge counts, against the body's expansion budget, a disjunction
// repeating each bytes per field, before it is built: the value of a
// nested wildcard prefix is repeated once per field at each level, so its
// size is what grows, exponentially with the nesting.
func (t *textRewriter) charge(fields []string, each int) error {
	n := 0
	for _, f := range fields {
		n += 2*len(f) + each // escaping at most doubles a name
		if n > maxExpansionBytes {
			break
		}
	}
	if !t.r.plan.charge(n) {
		return errTooLarge()
	}
	return nil
}

// disjunction applies value to each field: one field keeps the prefix
// form, several become "(a:v OR b:v)", none the neutral field.
func (t *textRewriter) disjunction(fields []string, colon, value string) (string, error) {
	switch len(fields) {
	case 0:
		return escapeLucene(NeutralField) + colon + value, nil
	case 1:
		return escapeLucene(fields[0]) + colon + value, nil
	}
	if len(value) > maxExpansionBytes {
		return "", errTooLarge()
	}
	if err := t.charge(fields, len(value)+len(": OR ")); err != nil {
		return "", err
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = escapeLucene(f) + ":" + value
	}
	return "(" + strings.Join(parts, " OR ") + ")", nil
}
