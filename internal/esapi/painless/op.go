// Package painless reads what the proxy needs to know from a Painless
// script's source without running it.
//
// The proxy cannot run Painless. What it reads here it reads the way
// Painless's lexer does, or it refuses: every source the scan cannot follow
// exactly (a slash that may start a regular expression literal, a character
// outside Painless's tokens, an unterminated string or comment) is an error,
// never a guess.
package painless

import (
	"errors"
	"fmt"
	"strings"
)

// ErrDynamicOp says the script can set ctx.op to a value the scan cannot
// tell, or uses ctx in a way through which it could (ctx passed on, held in
// a variable, a method of ctx called, ctx indexed by a computed key).
var ErrDynamicOp = errors.New("the script can set ctx.op to a value the security proxy cannot tell without running it")

// ErrUnreadable says the scan cannot tokenize the source as Painless
// surely does.
var ErrUnreadable = errors.New("the security proxy cannot read the script as Painless does")

// OpValues returns the values an update script (_update, _update_by_query,
// a _bulk update) assigns to ctx.op, the operation the cluster then runs on
// the document ("index", "noop", "none", "delete", "create"), each as a
// string literal in a plain assignment (ctx.op = 'noop'; ctx['op'] = "noop").
// Reading ctx.op and writing other members of ctx (ctx._source.n += 1) are
// fine. A target in parentheses is the same target ((ctx.op) = 'delete'). Any other way the script could set it — a computed value
// (ctx.op = params.op, 'del' + 'ete', a ternary), ctx used other than
// through a member (passed to a function or lambda, assigned to a variable,
// a method call such as ctx.put or ctx.putAll, ctx[k] with a computed key),
// a compound assignment — is ErrDynamicOp; a source the scan cannot read as
// Painless does is ErrUnreadable (wrapped, with the offset).
//
// Painless's lexer tells a division from a regular expression literal by
// the token before the slash (EnhancedPainlessLexer.isSlashRegex); a string
// literal read on one side of that difference and not on the other would
// hide code from the scan. So a slash is read as a division only after ")",
// "]", a number or a name that is not one of Painless's keywords, where
// Painless divides (Elasticsearch 7.x to 9.x, OpenSearch); any other slash
// that does not start a comment is ErrUnreadable.
func OpValues(src string) ([]string, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	var values []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tokIdent && reservedIdents[t.text]:
			return nil, fmt.Errorf("%w: [%s] at offset %d", ErrDynamicOp, t.text, t.pos)
		case t.kind == tokString && (t.text == "ctx" || t.text == "op") && !isCtxIndexKey(toks, i):
			return nil, fmt.Errorf("%w: the string [%s] at offset %d", ErrDynamicOp, t.text, t.pos)
		case t.kind != tokIdent || t.text != "ctx":
			continue
		}
		member, next, ok := ctxMember(toks, i)
		if !ok {
			return nil, fmt.Errorf("%w: ctx used other than through a member at offset %d", ErrDynamicOp, t.pos)
		}
		if next < len(toks) && toks[next].is(tokPunct, "(") {
			return nil, fmt.Errorf("%w: a method of ctx called at offset %d", ErrDynamicOp, t.pos)
		}
		if member != "op" {
			i = next - 1
			continue
		}
		// Painless assigns through parentheses ((ctx.op) = 'delete'): its
		// walker drops them, so the target is ctx.op all the same.
		for next < len(toks) && toks[next].is(tokPunct, ")") {
			next++
		}
		v, after, assigned, err := opAssignment(toks, next)
		if err != nil {
			return nil, fmt.Errorf("%w: at offset %d", err, t.pos)
		}
		if assigned {
			values = append(values, v)
		}
		i = after - 1
	}
	return values, nil
}

// reservedIdents are names through which a script could reach its context
// other than as ctx (the script class's getters, the metadata API of newer
// versions).
var reservedIdents = map[string]bool{"getCtx": true, "metadata": true, "getMetadata": true, "this": true}

// isCtxIndexKey reports whether the string token at i is the key of
// ctx['…'].
func isCtxIndexKey(toks []token, i int) bool {
	return i >= 2 && toks[i-1].is(tokPunct, "[") && toks[i-2].is(tokIdent, "ctx") &&
		(i < 3 || !toks[i-3].is(tokPunct, ".")) && i+1 < len(toks) && toks[i+1].is(tokPunct, "]")
}

// ctxMember reads the member of ctx the token at i (ctx) is followed by:
// ".name" or "['name']". It returns the member's name and the index of the
// token after it.
func ctxMember(toks []token, i int) (string, int, bool) {
	switch {
	case i+2 < len(toks) && toks[i+1].is(tokPunct, ".") && toks[i+2].kind == tokIdent:
		return toks[i+2].text, i + 3, true
	case i+3 < len(toks) && toks[i+1].is(tokPunct, "[") && toks[i+2].kind == tokString && toks[i+3].is(tokPunct, "]"):
		return toks[i+2].text, i + 4, true
	}
	return "", 0, false
}

// opAssignment reads what follows ctx.op at j: a plain assignment of a
// string literal ending its statement (the value, assigned), or a read
// (ctx.op == 'x'). Any other assignment is ErrDynamicOp.
func opAssignment(toks []token, j int) (value string, after int, assigned bool, err error) {
	if j >= len(toks) || toks[j].kind != tokPunct {
		return "", j, false, nil
	}
	op := toks[j].text
	switch {
	case op == "=":
	case assignOps[op]:
		return "", 0, false, ErrDynamicOp
	default:
		return "", j, false, nil // a read
	}
	if j+1 >= len(toks) || toks[j+1].kind != tokString {
		return "", 0, false, ErrDynamicOp
	}
	if j+2 < len(toks) && !toks[j+2].is(tokPunct, ";") && !toks[j+2].is(tokPunct, "}") {
		return "", 0, false, ErrDynamicOp
	}
	return toks[j+1].text, j + 2, true, nil
}

// assignOps are Painless's assignment operators other than "=", and the
// increment and decrement operators.
var assignOps = map[string]bool{
	"+=": true, "-=": true, "*=": true, "/=": true, "%=": true, "&=": true, "^=": true, "|=": true,
	"<<=": true, ">>=": true, ">>>=": true, "++": true, "--": true, "?:": true, "??=": true,
}

type tokKind uint8

const (
	tokIdent tokKind = iota + 1
	tokNumber
	tokString
	tokPunct
)

type token struct {
	kind tokKind
	text string // an identifier, a string literal's value, a number or an operator
	pos  int
}

func (t token) is(kind tokKind, text string) bool { return t.kind == kind && t.text == text }

// punctuators are Painless's operators and separators, longest first.
var punctuators = []string{
	">>>=", "===", "!==", "==~", "<<=", ">>=", ">>>", "?:", "?.", "::", "->", "=~",
	"==", "!=", "<=", ">=", "&&", "||", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<", ">>",
	"{", "}", "[", "]", "(", ")", ".", ",", ";", "!", "~", "*", "/", "%", "+", "-", "<", ">", "&", "^", "|", "?", ":", "=", "$",
}

// tokenize splits src into Painless tokens, skipping whitespace and
// comments (see OpValues for the slash).
func tokenize(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			end := strings.IndexAny(src[i:], "\n\r")
			if end < 0 {
				return nil, fmt.Errorf("%w: a comment without a line end at offset %d", ErrUnreadable, i)
			}
			i += end
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("%w: an unterminated comment at offset %d", ErrUnreadable, i)
			}
			i += end + 4
		case c == '\'' || c == '"':
			v, n, err := readString(src[i:])
			if err != nil {
				return nil, fmt.Errorf("%w at offset %d", err, i)
			}
			toks = append(toks, token{kind: tokString, text: v, pos: i})
			i += n
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks = append(toks, token{kind: tokIdent, text: src[i:j], pos: i})
			i = j
		case c >= '0' && c <= '9':
			n := numberLength(src[i:])
			if i+n < len(src) && isIdentPart(src[i+n]) {
				return nil, fmt.Errorf("%w: a number followed by a name at offset %d", ErrUnreadable, i)
			}
			toks = append(toks, token{kind: tokNumber, text: src[i : i+n], pos: i})
			i += n
		default:
			p := punctuatorAt(src[i:])
			if p == "" {
				return nil, fmt.Errorf("%w: the character %q at offset %d", ErrUnreadable, c, i)
			}
			if p[0] == '/' && !divides(toks) {
				return nil, fmt.Errorf("%w: a slash that may start a regular expression at offset %d", ErrUnreadable, i)
			}
			toks = append(toks, token{kind: tokPunct, text: p, pos: i})
			i += len(p)
		}
	}
	return toks, nil
}

// divides reports whether a slash after toks is a division for Painless's
// lexer: after ")", "]", a number, or a name (not a keyword).
func divides(toks []token) bool {
	if len(toks) == 0 {
		return false
	}
	last := toks[len(toks)-1]
	switch last.kind {
	case tokNumber:
		return true
	case tokPunct:
		return last.text == ")" || last.text == "]"
	case tokIdent:
		// After a dot every word is a member name (DOTID).
		return !keywords[last.text] || len(toks) >= 2 && toks[len(toks)-2].is(tokPunct, ".")
	}
	return false
}

// keywords are the words Painless's lexer makes tokens of their own (not
// ID), after which a slash starts a regular expression.
var keywords = map[string]bool{
	"if": true, "in": true, "else": true, "while": true, "do": true, "for": true, "continue": true, "break": true,
	"return": true, "new": true, "try": true, "catch": true, "throw": true, "this": true, "instanceof": true,
	"true": true, "false": true, "null": true, "def": true, "boolean": true, "byte": true, "short": true, "char": true,
	"int": true, "long": true, "float": true, "double": true,
}

func punctuatorAt(s string) string {
	for _, p := range punctuators {
		if strings.HasPrefix(s, p) {
			return p
		}
	}
	return ""
}

// readString reads the string literal s starts with: Painless's only
// escapes are a backslash before the quote and before a backslash; any
// other backslash is an error there, and here.
func readString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case q:
			return b.String(), i + 1, nil
		case '\\':
			if i+1 < len(s) && (s[i+1] == q || s[i+1] == '\\') {
				b.WriteByte(s[i+1])
				i++
				continue
			}
			return "", 0, fmt.Errorf("%w: an escape Painless does not take", ErrUnreadable)
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("%w: an unterminated string", ErrUnreadable)
}

// numberLength is the length of the numeric literal s starts with:
// decimal digits with an optional fraction and exponent, or a hexadecimal
// literal, and a type suffix.
func numberLength(s string) int {
	i := 0
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isHex(s[2]) {
		i = 2
		for i < len(s) && isHex(s[i]) {
			i++
		}
	} else {
		i = digits(s, 0)
		if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
			i = digits(s, i+1)
		}
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			j := i + 1
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			if j < len(s) && isDigit(s[j]) {
				i = digits(s, j)
			}
		}
	}
	if i < len(s) && strings.IndexByte("lLfFdD", s[i]) >= 0 {
		i++
	}
	return i
}

func digits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isHex(c byte) bool        { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) }
