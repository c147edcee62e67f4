package flsquery

import (
	"strings"
)

// queryText rewrites the field prefixes of query_string text (see the
// package documentation): hidden fields become NeutralField, wildcard
// prefixes become an OR over the visible fields, and exists checks
// (_exists_:f, f:*) cover only visible leaves. Text the tokenizer cannot
// read is refused; the cluster would fail on it too.
func (r *rewriter) queryText(path, text string) (string, error) {
	runes := []rune(text)
	toks, err := lexLucene(runes)
	if err != nil {
		return "", malformed(path, "query_string text that cannot be tokenized")
	}
	if len(toks) == 0 {
		return text, nil
	}
	t := &textRewriter{r: r, path: path, text: runes, toks: toks}
	body, err := t.render(0, len(toks))
	if err != nil {
		return "", err
	}
	out := string(runes[:toks[0].start]) + body + string(runes[toks[len(toks)-1].end:])
	if _, err := lexLucene([]rune(out)); err != nil {
		return "", malformed(path, "query_string text that cannot be rewritten")
	}
	return out, nil
}

// textRewriter renders a token range with its field prefixes rewritten.
type textRewriter struct {
	r    *rewriter
	path string
	text []rune
	toks []token
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

// render rewrites tokens [from, to), keeping the whitespace between them.
func (t *textRewriter) render(from, to int) (string, error) {
	var b strings.Builder
	for i := from; i < to; {
		if i > from {
			b.WriteString(t.gap(i - 1))
		}
		if !t.isPrefix(i) {
			b.WriteString(t.tokenText(i))
			i++
			continue
		}
		next, s, err := t.prefixed(i, to)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
		i = next
	}
	return b.String(), nil
}

// prefixed rewrites the clause starting with the field prefix at token i
// and returns the index of the token after its value.
func (t *textRewriter) prefixed(i, limit int) (int, string, error) {
	end, err := t.valueEnd(i+2, limit)
	if err != nil {
		return 0, "", err
	}
	name := "*"
	if t.kind(i) == tokTerm {
		if name, err = unescapeLucene(t.tokenText(i)); err != nil {
			return 0, "", malformed(t.path, "query_string field name that cannot be read")
		}
	}
	if name == "_exists_" {
		s, err := t.exists(i+2, end)
		return end, s, err
	}
	if t.kind(i) == tokStar && t.kind(i+2) == tokStar {
		// *:* matches every document and reads no field.
		return end, t.raw(i, end), nil
	}
	colon := t.gap(i) + ":" + t.gap(i+1)
	value, err := t.render(i+2, end)
	if err != nil {
		return 0, "", err
	}
	switch {
	case name == NeutralField:
		return end, t.tokenText(i) + colon + value, nil
	case t.kind(i+2) == tokStar:
		// f:* is an exists query on f, which for an object covers its
		// hidden children too; a wildcard name is one per visible leaf.
		// Either way it is written as _exists_, the form a second walk
		// leaves unchanged.
		suffix, err := t.render(i+3, end)
		if err != nil {
			return 0, "", err
		}
		if i+3 < end {
			suffix = t.gap(i+2) + suffix
		}
		if hasWildcard(name) {
			return end, t.existsAny(t.r.expand(name), suffix), nil
		}
		return end, t.existsText(name, suffix), nil
	case hasWildcard(name):
		return end, t.disjunction(t.r.expand(name), colon, value), nil
	case !t.r.visible(name):
		return end, escapeLucene(NeutralField) + colon + value, nil
	}
	return end, t.tokenText(i) + colon + value, nil
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
		depth := 0
		for k := j; k < limit; k++ {
			switch t.kind(k) {
			case tokLParen:
				depth++
			case tokRParen:
				depth--
				if depth == 0 {
					return t.boostEnd(k+1, limit, false), nil
				}
			}
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
func (t *textRewriter) exists(j, end int) (string, error) {
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
	suffix, err := t.render(j+1, end)
	if err != nil {
		return "", err
	}
	if j+1 < end {
		suffix = t.gap(j) + suffix
	}
	return t.existsText(name, suffix), nil
}

// existsText is an exists check on name limited to its visible leaves,
// followed by suffix (a boost).
func (t *textRewriter) existsText(name, suffix string) string {
	leaves := t.r.existsFields(name)
	switch {
	case len(leaves) == 0:
		return "_exists_:" + escapeLucene(NeutralField) + suffix
	case len(leaves) == 1:
		return "_exists_:" + escapeLucene(leaves[0]) + suffix
	}
	parts := make([]string, len(leaves))
	for i, f := range leaves {
		parts[i] = "_exists_:" + escapeLucene(f)
	}
	return "(" + strings.Join(parts, " OR ") + ")" + suffix
}

// existsAny is "_exists_" on any of fields (visible leaves), or on the
// neutral field when there is none.
func (t *textRewriter) existsAny(fields []string, suffix string) string {
	switch len(fields) {
	case 0:
		return "_exists_:" + escapeLucene(NeutralField) + suffix
	case 1:
		return "_exists_:" + escapeLucene(fields[0]) + suffix
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = "_exists_:" + escapeLucene(f)
	}
	return "(" + strings.Join(parts, " OR ") + ")" + suffix
}

// disjunction applies value to each field: one field keeps the prefix
// form, several become "(a:v OR b:v)", none the neutral field.
func (t *textRewriter) disjunction(fields []string, colon, value string) string {
	switch len(fields) {
	case 0:
		return escapeLucene(NeutralField) + colon + value
	case 1:
		return escapeLucene(fields[0]) + colon + value
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = escapeLucene(f) + ":" + value
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}
