package authz

import (
	"fmt"
	"regexp"
	"strings"
)

// Elasticsearch compiles "/…/" patterns with Lucene's RegExp (all syntax
// flags on). Go's regexp is a different language, so we parse Lucene's
// grammar ourselves and emit an equivalent RE2 expression for the subset
// whose meaning we are sure of. Everything else is refused: a pattern that
// matched differently here than in Elasticsearch would grant or hide the
// wrong indices.
//
// Supported: literals, '\' escapes of punctuation, '.', '?', '*', '+',
// '{n}', '{n,}', '{n,m}', '|', grouping, '()' (empty string), character
// classes with ranges and '^' negation, "quoted strings", '@' (any string),
// '#' (empty language), and '~' complement when it applies to the whole
// expression (the built-in viewer/editor roles use /~(…)/).
// Refused: '&' intersection, '~' anywhere else, '<…>' numeric intervals and
// named automata, '\d' '\w' '\s' and their negations (their meaning changed
// between Lucene versions).

type lop uint8

const (
	lChar lop = iota
	lAnyChar
	lAnyString
	lEmptyLang
	lEmptyString
	lClass
	lConcat
	lUnion
	lRepeat
	lComplement
	lIntersection
)

type runeRange struct{ lo, hi rune }

type lnode struct {
	op       lop
	r        rune
	ranges   []runeRange
	negated  bool
	subs     []*lnode
	min, max int // repeat bounds; max < 0 means unbounded
}

// maxRegexpDepth bounds recursion so a hostile roles.yml cannot exhaust the stack.
const maxRegexpDepth = 200

type lparser struct {
	src   []rune
	pos   int
	depth int
}

// luceneRegexp is a compiled Lucene regular expression: a Go regexp anchored
// at both ends, possibly negated (top-level complement).
type luceneRegexp struct {
	re     *regexp.Regexp
	negate bool
}

func (l luceneRegexp) match(s string) bool {
	return l.re.MatchString(s) != l.negate
}

// compileLucene parses a Lucene regexp (without the surrounding slashes).
func compileLucene(src string) (luceneRegexp, error) {
	n, err := parseLucene(src)
	if err != nil {
		return luceneRegexp{}, err
	}
	negate := false
	for n.op == lComplement {
		negate = !negate
		n = n.subs[0]
	}
	var b strings.Builder
	if err := emitLucene(n, &b); err != nil {
		return luceneRegexp{}, err
	}
	re, err := regexp.Compile(`\A(?:` + b.String() + `)\z`)
	if err != nil {
		return luceneRegexp{}, fmt.Errorf("cannot be translated: %v", err)
	}
	return luceneRegexp{re: re, negate: negate}, nil
}

func parseLucene(src string) (*lnode, error) {
	p := &lparser{src: []rune(src)}
	if len(p.src) == 0 {
		return &lnode{op: lEmptyString}, nil
	}
	n, err := p.union()
	if err != nil {
		return nil, err
	}
	if p.more() {
		return nil, fmt.Errorf("end-of-string expected at position %d", p.pos)
	}
	return n, nil
}

func (p *lparser) more() bool { return p.pos < len(p.src) }

func (p *lparser) peek(set string) bool {
	return p.more() && strings.ContainsRune(set, p.src[p.pos])
}

func (p *lparser) match(c rune) bool {
	if p.more() && p.src[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *lparser) next() (rune, error) {
	if !p.more() {
		return 0, fmt.Errorf("unexpected end-of-string")
	}
	c := p.src[p.pos]
	p.pos++
	return c, nil
}

func (p *lparser) enter() error {
	p.depth++
	if p.depth > maxRegexpDepth {
		return fmt.Errorf("nested too deeply")
	}
	return nil
}

// union and intersection collect their operands in a loop: long "a|b|c…"
// lists must not cost stack depth.
func (p *lparser) union() (*lnode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	return p.list(lUnion, '|', p.intersection)
}

func (p *lparser) intersection() (*lnode, error) {
	return p.list(lIntersection, '&', p.concat)
}

func (p *lparser) list(op lop, sep rune, operand func() (*lnode, error)) (*lnode, error) {
	var items []*lnode
	for {
		e, err := operand()
		if err != nil {
			return nil, err
		}
		items = append(items, e)
		if !p.match(sep) {
			break
		}
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return &lnode{op: op, subs: items}, nil
}

// concat mirrors Lucene: items follow each other until ')', '|', '&' or the end.
func (p *lparser) concat() (*lnode, error) {
	var items []*lnode
	for {
		e, err := p.repeat()
		if err != nil {
			return nil, err
		}
		items = append(items, e)
		if !p.more() || p.peek(")|&") {
			break
		}
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return &lnode{op: lConcat, subs: items}, nil
}

func (p *lparser) repeat() (*lnode, error) {
	e, err := p.complement()
	if err != nil {
		return nil, err
	}
	for p.peek("?*+{") {
		c, _ := p.next()
		lo, hi := 0, -1
		switch c {
		case '?':
			hi = 1
		case '+':
			lo = 1
		case '{':
			if lo, hi, err = p.bounds(); err != nil {
				return nil, err
			}
		}
		e = &lnode{op: lRepeat, subs: []*lnode{e}, min: lo, max: hi}
	}
	return e, nil
}

// bounds parses "n}", "n,}" or "n,m}" after a '{'.
func (p *lparser) bounds() (int, int, error) {
	lo, ok := p.integer()
	if !ok {
		return 0, 0, fmt.Errorf("integer expected at position %d", p.pos)
	}
	hi := lo
	if p.match(',') {
		if m, ok := p.integer(); ok {
			hi = m
		} else {
			hi = -1
		}
	}
	if !p.match('}') {
		return 0, 0, fmt.Errorf("expected '}' at position %d", p.pos)
	}
	if hi >= 0 && lo > hi {
		return 0, 0, fmt.Errorf("invalid repetition {%d,%d}", lo, hi)
	}
	return lo, hi, nil
}

func (p *lparser) integer() (int, bool) {
	start, n := p.pos, 0
	for p.more() && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		if n > 100000 {
			return 0, false
		}
		n = n*10 + int(p.src[p.pos]-'0')
		p.pos++
	}
	return n, p.pos > start
}

func (p *lparser) complement() (*lnode, error) {
	if p.match('~') {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		e, err := p.complement()
		if err != nil {
			return nil, err
		}
		return &lnode{op: lComplement, subs: []*lnode{e}}, nil
	}
	return p.charClassExp()
}

func (p *lparser) charClassExp() (*lnode, error) {
	if !p.match('[') {
		return p.simple()
	}
	negated := p.match('^')
	var ranges []runeRange
	for {
		r, err := p.classItem()
		if err != nil {
			return nil, err
		}
		ranges = append(ranges, r)
		if !p.more() || p.peek("]") {
			break
		}
	}
	if !p.match(']') {
		return nil, fmt.Errorf("expected ']' at position %d", p.pos)
	}
	return &lnode{op: lClass, ranges: ranges, negated: negated}, nil
}

func (p *lparser) classItem() (runeRange, error) {
	lo, err := p.char()
	if err != nil {
		return runeRange{}, err
	}
	if !p.match('-') {
		return runeRange{lo, lo}, nil
	}
	hi, err := p.char()
	if err != nil {
		return runeRange{}, err
	}
	if lo > hi {
		return runeRange{}, fmt.Errorf("invalid range: from (%q) cannot be > to (%q)", lo, hi)
	}
	return runeRange{lo, hi}, nil
}

func (p *lparser) simple() (*lnode, error) {
	switch {
	case p.match('.'):
		return &lnode{op: lAnyChar}, nil
	case p.match('#'):
		return &lnode{op: lEmptyLang}, nil
	case p.match('@'):
		return &lnode{op: lAnyString}, nil
	case p.match('"'):
		return p.quoted()
	case p.match('('):
		return p.group()
	case p.match('<'):
		return nil, fmt.Errorf("'<…>' intervals and named automata are not supported (position %d)", p.pos-1)
	}
	c, err := p.char()
	if err != nil {
		return nil, err
	}
	return &lnode{op: lChar, r: c}, nil
}

func (p *lparser) quoted() (*lnode, error) {
	start := p.pos
	for p.more() && p.src[p.pos] != '"' {
		p.pos++
	}
	if !p.more() {
		return nil, fmt.Errorf("expected '\"' at position %d", p.pos)
	}
	text := p.src[start:p.pos]
	p.pos++
	if len(text) == 0 {
		return &lnode{op: lEmptyString}, nil
	}
	items := make([]*lnode, len(text))
	for i, r := range text {
		items[i] = &lnode{op: lChar, r: r}
	}
	return &lnode{op: lConcat, subs: items}, nil
}

func (p *lparser) group() (*lnode, error) {
	if p.match(')') {
		return &lnode{op: lEmptyString}, nil
	}
	e, err := p.union()
	if err != nil {
		return nil, err
	}
	if !p.match(')') {
		return nil, fmt.Errorf("expected ')' at position %d", p.pos)
	}
	return e, nil
}

// char reads one possibly escaped character. Lucene gives '\d', '\w', '\s'
// (and capitals) class meanings in recent versions and literal meanings in
// older ones, so they are refused rather than guessed.
func (p *lparser) char() (rune, error) {
	if p.match('\\') {
		c, err := p.next()
		if err != nil {
			return 0, err
		}
		if strings.ContainsRune("dDwWsS", c) {
			return 0, fmt.Errorf("the escape \\%c is not supported", c)
		}
		return c, nil
	}
	return p.next()
}

// emitLucene writes RE2 syntax for n. Every sub-expression is wrapped in a
// non-capturing group so Lucene's stacked quantifiers ("a**") stay valid.
func emitLucene(n *lnode, b *strings.Builder) error {
	switch n.op {
	case lChar:
		b.WriteString(regexp.QuoteMeta(string(n.r)))
	case lAnyChar:
		b.WriteString(`(?s:.)`)
	case lAnyString:
		b.WriteString(`(?s:.*)`)
	case lEmptyLang:
		b.WriteString(`[^\x{0}-\x{10FFFF}]`)
	case lEmptyString:
		b.WriteString(`(?:)`)
	case lClass:
		emitClass(n, b)
	case lConcat, lUnion:
		return emitList(n, b)
	case lRepeat:
		return emitRepeat(n, b)
	case lComplement:
		return fmt.Errorf("'~' (complement) is only supported around the whole expression")
	case lIntersection:
		return fmt.Errorf("'&' (intersection) is not supported")
	}
	return nil
}

func emitClass(n *lnode, b *strings.Builder) {
	b.WriteByte('[')
	if n.negated {
		b.WriteByte('^')
	}
	for _, r := range n.ranges {
		fmt.Fprintf(b, `\x{%x}`, r.lo)
		if r.hi != r.lo {
			fmt.Fprintf(b, `-\x{%x}`, r.hi)
		}
	}
	b.WriteByte(']')
}

func emitList(n *lnode, b *strings.Builder) error {
	b.WriteString("(?:")
	for i, s := range n.subs {
		if i > 0 && n.op == lUnion {
			b.WriteByte('|')
		}
		b.WriteString("(?:")
		if err := emitLucene(s, b); err != nil {
			return err
		}
		b.WriteByte(')')
	}
	b.WriteByte(')')
	return nil
}

func emitRepeat(n *lnode, b *strings.Builder) error {
	b.WriteString("(?:")
	if err := emitLucene(n.subs[0], b); err != nil {
		return err
	}
	b.WriteByte(')')
	switch {
	case n.min == 0 && n.max < 0:
		b.WriteByte('*')
	case n.min == 1 && n.max < 0:
		b.WriteByte('+')
	case n.min == 0 && n.max == 1:
		b.WriteByte('?')
	case n.max < 0:
		fmt.Fprintf(b, "{%d,}", n.min)
	case n.min == n.max:
		fmt.Fprintf(b, "{%d}", n.min)
	default:
		fmt.Fprintf(b, "{%d,%d}", n.min, n.max)
	}
	return nil
}
