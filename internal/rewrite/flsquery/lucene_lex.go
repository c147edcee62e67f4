package flsquery

import (
	"errors"
	"strings"
	"unicode/utf16"
)

// lexKind is a token kind of Lucene's classic query parser
// (org.apache.lucene.queryparser.classic, QueryParser.jj), the parser
// behind query_string in Elasticsearch and OpenSearch.
type lexKind uint8

const (
	tokAnd lexKind = iota + 1
	tokOr
	tokNot
	tokPlus
	tokMinus
	tokBareOper
	tokLParen
	tokRParen
	tokColon
	tokStar
	tokCarat
	tokQuoted
	tokTerm
	tokFuzzySlop
	tokPrefixTerm
	tokWildTerm
	tokRegexpTerm
	tokRangeInStart
	tokRangeExStart
	tokNumber
	tokRangeTo
	tokRangeInEnd
	tokRangeExEnd
	tokRangeQuoted
	tokRangeGoop
)

// token is one lexed token: its kind and its rune offsets in the text.
type token struct {
	kind       lexKind
	start, end int
}

// errLex reports text Lucene's tokenizer would fail on (a TokenMgrError in
// the cluster, which fails the query).
var errLex = errors.New("query_string text cannot be tokenized")

// lexLucene splits query_string text into tokens the way the classic
// parser's JavaCC tokenizer does: in each state the longest match wins,
// ties going to the token defined first.
//
// One deliberate difference: FUZZY_SLOP is lexed as Lucene 8 defines it
// ("~" digits ["." digits]); Lucene 9 also swallows term characters after
// it. The shorter token can only expose more terms followed by a colon,
// that is, more candidate field prefixes, so the rewrite errs towards
// checking too much.
func lexLucene(text []rune) ([]token, error) {
	l := lexer{text: text}
	for {
		tok, ok, err := l.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		l.tokens = append(l.tokens, tok)
	}
	if l.state != stateDefault {
		return nil, errLex
	}
	return l.tokens, nil
}

type lexState uint8

const (
	stateDefault lexState = iota
	stateBoost
	stateRange
)

type lexer struct {
	text   []rune
	pos    int
	state  lexState
	tokens []token
}

func isLuceneSpace(c rune) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u3000'
}

// isTermStart reports an unescaped _TERM_START_CHAR.
func isTermStart(c rune) bool {
	if isLuceneSpace(c) {
		return false
	}
	return !strings.ContainsRune(`+-!():^[]"{}~*?\/`, c)
}

// next returns the next token, or ok=false at the end of the text.
func (l *lexer) next() (token, bool, error) {
	switch l.state {
	case stateBoost:
		return l.number()
	case stateRange:
		return l.rangeToken()
	}
	for l.pos < len(l.text) && isLuceneSpace(l.text[l.pos]) {
		l.pos++
	}
	if l.pos >= len(l.text) {
		return token{}, false, nil
	}
	return l.defaultToken()
}

// emit records a token of n runes at the current position.
func (l *lexer) emit(kind lexKind, n int) (token, bool, error) {
	t := token{kind: kind, start: l.pos, end: l.pos + n}
	l.pos += n
	return t, true, nil
}

func (l *lexer) at(i int) rune {
	if i < len(l.text) {
		return l.text[i]
	}
	return -1
}

func (l *lexer) defaultToken() (token, bool, error) {
	c := l.text[l.pos]
	word, wordKind := l.termFamily()
	switch c {
	case '&', '|':
		if l.at(l.pos+1) == c && word <= 2 {
			if c == '&' {
				return l.emit(tokAnd, 2)
			}
			return l.emit(tokOr, 2)
		}
	case '!', '+', '-':
		if isLuceneSpace(l.at(l.pos + 1)) {
			return l.emit(tokBareOper, 2)
		}
		switch c {
		case '!':
			return l.emit(tokNot, 1)
		case '+':
			return l.emit(tokPlus, 1)
		}
		return l.emit(tokMinus, 1)
	case '(':
		return l.emit(tokLParen, 1)
	case ')':
		return l.emit(tokRParen, 1)
	case ':':
		return l.emit(tokColon, 1)
	case '^':
		l.state = stateBoost
		return l.emit(tokCarat, 1)
	case '"':
		return l.quoted()
	case '~':
		return l.fuzzySlop()
	case '/':
		return l.regexp()
	case '[':
		l.state = stateRange
		return l.emit(tokRangeInStart, 1)
	case '{':
		l.state = stateRange
		return l.emit(tokRangeExStart, 1)
	case '*':
		if word == 1 {
			return l.emit(tokStar, 1)
		}
	}
	if word == 0 {
		return token{}, false, errLex
	}
	if wordKind == tokTerm {
		switch string(l.text[l.pos : l.pos+word]) {
		case "AND":
			wordKind = tokAnd
		case "OR":
			wordKind = tokOr
		case "NOT":
			wordKind = tokNot
		}
	}
	return l.emit(wordKind, word)
}

// termFamily measures the longest TERM, PREFIXTERM or WILDTERM at the
// current position (WILDTERM's match always contains the others) and
// classifies it: TERM when it holds no unescaped wildcard, PREFIXTERM when
// its only wildcard is a final '*', WILDTERM otherwise. Zero means none
// matches (an escape at the very end of the text matches nothing).
func (l *lexer) termFamily() (int, lexKind) {
	i := l.pos
	wildcards, lastWildcard := 0, -1
	first := true
	for i < len(l.text) {
		c := l.text[i]
		switch {
		case c == '\\':
			if i+1 >= len(l.text) {
				return l.classify(i-l.pos, wildcards, lastWildcard)
			}
			i += 2
		case c == '*' || c == '?':
			wildcards++
			lastWildcard = i
			i++
		case isTermStart(c) || (!first && (c == '-' || c == '+')):
			i++
		default:
			return l.classify(i-l.pos, wildcards, lastWildcard)
		}
		first = false
	}
	return l.classify(i-l.pos, wildcards, lastWildcard)
}

func (l *lexer) classify(n, wildcards, lastWildcard int) (int, lexKind) {
	switch {
	case n == 0:
		return 0, 0
	case wildcards == 0:
		return n, tokTerm
	case wildcards == 1 && lastWildcard == l.pos+n-1 && l.text[lastWildcard] == '*':
		return n, tokPrefixTerm
	}
	return n, tokWildTerm
}

// quoted lexes "..." with backslash escapes; an unterminated quote is a
// lexical error.
func (l *lexer) quoted() (token, bool, error) {
	for i := l.pos + 1; i < len(l.text); i++ {
		switch l.text[i] {
		case '\\':
			i++
		case '"':
			return l.emit(tokQuoted, i+1-l.pos)
		}
	}
	return token{}, false, errLex
}

// fuzzySlop lexes "~" with an optional number (Lucene 8 form).
func (l *lexer) fuzzySlop() (token, bool, error) {
	i := l.pos + 1
	digits := func(from int) int {
		j := from
		for j < len(l.text) && l.text[j] >= '0' && l.text[j] <= '9' {
			j++
		}
		return j
	}
	if j := digits(i); j > i {
		i = j
		if l.at(i) == '.' {
			if k := digits(i + 1); k > i+1 {
				i = k
			}
		}
	}
	return l.emit(tokFuzzySlop, i-l.pos)
}

// regexp lexes /.../: the longest match ends at the first '/' not preceded
// by a backslash.
func (l *lexer) regexp() (token, bool, error) {
	for i := l.pos + 1; i < len(l.text); i++ {
		if l.text[i] == '/' && (i == l.pos+1 || l.text[i-1] != '\\') {
			return l.emit(tokRegexpTerm, i+1-l.pos)
		}
	}
	return token{}, false, errLex
}

// number lexes the boost after '^'; the Boost state skips no whitespace.
func (l *lexer) number() (token, bool, error) {
	i := l.pos
	for i < len(l.text) && l.text[i] >= '0' && l.text[i] <= '9' {
		i++
	}
	if i == l.pos {
		return token{}, false, errLex
	}
	if l.at(i) == '.' {
		j := i + 1
		for j < len(l.text) && l.text[j] >= '0' && l.text[j] <= '9' {
			j++
		}
		if j > i+1 {
			i = j
		}
	}
	l.state = stateDefault
	return l.emit(tokNumber, i-l.pos)
}

// rangeToken lexes inside [...] or {...}. Only the end of the range matters
// to the rewrite (a range holds no field prefix), but the tokens are kept
// faithful so the end is found where Lucene finds it.
func (l *lexer) rangeToken() (token, bool, error) {
	for {
		if l.pos >= len(l.text) {
			return token{}, false, errLex
		}
		c := l.text[l.pos]
		goop := l.goop()
		if c == ' ' || (isLuceneSpace(c) && goop <= 1) {
			l.pos++
			continue
		}
		switch {
		case c == ']':
			l.state = stateDefault
			return l.emit(tokRangeInEnd, 1)
		case c == '}':
			l.state = stateDefault
			return l.emit(tokRangeExEnd, 1)
		case c == '"':
			if q := l.rangeQuoted(); q > 0 && q >= goop {
				return l.emit(tokRangeQuoted, q)
			}
		case goop == 2 && c == 'T' && l.at(l.pos+1) == 'O':
			return l.emit(tokRangeTo, 2)
		}
		return l.emit(tokRangeGoop, goop)
	}
}

// goop measures RANGE_GOOP: anything but ' ', ']' and '}'.
func (l *lexer) goop() int {
	i := l.pos
	for i < len(l.text) && l.text[i] != ' ' && l.text[i] != ']' && l.text[i] != '}' {
		i++
	}
	return i - l.pos
}

// rangeQuoted measures RANGE_QUOTED ("..." with at least one character,
// \" not ending it), or 0.
func (l *lexer) rangeQuoted() int {
	for i := l.pos + 1; i < len(l.text); i++ {
		if l.text[i] == '"' && l.text[i-1] != '\\' {
			if i == l.pos+1 {
				return 0
			}
			return i + 1 - l.pos
		}
	}
	return 0
}

// unescapeLucene is Lucene's discardEscapeChar: a backslash keeps the next
// character, \uXXXX is a UTF-16 code unit. Field names reach the cluster
// in this form, so "\u0073ecret" names the field "secret".
func unescapeLucene(s string) (string, error) {
	var units []uint16
	escaped := false
	codeUnit, digits := 0, 0
	for _, c := range s {
		switch {
		case digits > 0:
			v := hexValue(c)
			if v < 0 {
				return "", errLex
			}
			codeUnit = codeUnit*16 + v
			digits--
			if digits == 0 {
				units = append(units, uint16(codeUnit))
				codeUnit = 0
			}
		case escaped:
			escaped = false
			if c == 'u' {
				digits = 4
				continue
			}
			units = utf16.AppendRune(units, c)
		case c == '\\':
			escaped = true
		default:
			units = utf16.AppendRune(units, c)
		}
	}
	if escaped || digits > 0 {
		return "", errLex
	}
	runes := utf16.Decode(units)
	// A lone surrogate decodes to U+FFFD; Java would keep it. Such a name
	// maps to no field, but it must not be compared as another name.
	if strings.ContainsRune(string(runes), '\uFFFD') && !strings.ContainsRune(s, '\uFFFD') {
		return "", errLex
	}
	return string(runes), nil
}

func hexValue(c rune) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// escapeLucene writes a field name so the classic parser reads it back as
// one TERM naming exactly that field.
func escapeLucene(name string) string {
	var b strings.Builder
	for i, c := range name {
		if strings.ContainsRune(`\+-!():^[]"{}~*?|&/`, c) || isLuceneSpace(c) {
			b.WriteByte('\\')
		} else if i == 0 && (name == "AND" || name == "OR" || name == "NOT" || name == "TO") {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
