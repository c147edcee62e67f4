package fls

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// lexer reads the upstream response token by token, strictly: RFC 8259
// JSON in UTF-8, as jsontext.Decoder accepts it with duplicate names
// allowed (the differential fuzz target FuzzLexerMatchesJSONText holds it
// to that). Everything it returns is a complete, validated token or value,
// so what the filters copy verbatim is well-formed.
//
// It exists because jsontext's per-token cost is several times the budget
// of the streaming filter; it returns raw bytes only, allocates nothing
// per token, and reads ahead in large blocks.
//
// Duplicate member names are not detected: every filtering decision is
// taken per member on its unescaped name, so two members of one name are
// judged alike; where a duplicate would change the meaning (_index,
// _nested) the filters refuse it themselves.
type lexer struct {
	r io.Reader
	// buf holds the input being read: own's array when reading r, the
	// caller's bytes after resetBytes.
	buf, own []byte
	// pos is the next unread byte of buf; end is where the last token
	// read ends (pos may be past a separator after it).
	pos, end int
	// mark, when >= 0, is the start of a value being read whole: reading
	// more input keeps buf from there.
	mark int
	// base is the input offset of buf[0], for error messages.
	base int64
	// rerr is the reader's error (io.EOF at the end of input).
	rerr error
	// err is the first syntax or read error; every later call returns it.
	err   error
	stack []byte
	state lexState
	// escaped says the last string read holds a backslash escape.
	escaped bool
}

// lexState is where the lexer is in the grammar. Separators (',' and ':')
// are consumed lazily, by the next call, so that a returned slice is never
// invalidated by a read made to find the separator after it.
type lexState uint8

const (
	stTop      lexState = iota // before the top-level value
	stTopDone                  // after it
	stObjFirst                 // after '{'
	stObjName                  // after ',' in an object
	stObjColon                 // after a member name
	stObjValue                 // after a member name and its ':'
	stObjNext                  // after a member value
	stArrFirst                 // after '['
	stArrValue                 // after ',' in an array
	stArrNext                  // after an element
)

// maxDepth bounds the nesting of the input (jsontext's default).
const maxDepth = 10000

// lexerBlock is the initial buffer size and read granularity.
const lexerBlock = 64 << 10

func newLexer(r io.Reader) *lexer {
	l := &lexer{}
	l.reset(r)
	return l
}

// reset makes the lexer read r from its start.
func (l *lexer) reset(r io.Reader) {
	if l.own == nil {
		l.own = make([]byte, 0, lexerBlock)
	}
	*l = lexer{r: r, buf: l.own[:0], own: l.own, stack: l.stack[:0], mark: -1}
}

// resetBytes makes the lexer read b, in place: b must not change while
// the lexer reads it.
func (l *lexer) resetBytes(b []byte) {
	*l = lexer{buf: b, own: l.own, stack: l.stack[:0], mark: -1, rerr: io.EOF}
}

// fail records a syntax error at the current position.
func (l *lexer) fail(format string, args ...any) error {
	if l.err == nil {
		l.err = fmt.Errorf("fls: invalid JSON at offset %d: %s", l.base+int64(l.pos), fmt.Sprintf(format, args...))
	}
	return l.err
}

// more reads more input, keeping the unread bytes (and the marked value);
// it fills the free space of the buffer, doubling it when it is full, so
// that rescanning a long token after each read costs linear time. It
// returns false when nothing more can be read.
func (l *lexer) more() bool {
	if l.rerr != nil {
		return false
	}
	keep := l.pos
	if l.mark >= 0 {
		keep = l.mark
	}
	if keep > 0 {
		n := copy(l.buf, l.buf[keep:])
		l.buf = l.buf[:n]
		l.pos -= keep
		if l.mark >= 0 {
			l.mark -= keep
		}
		l.base += int64(keep)
	}
	if len(l.buf) == cap(l.buf) {
		grown := make([]byte, len(l.buf), 2*cap(l.buf)+lexerBlock)
		copy(grown, l.buf)
		l.buf, l.own = grown, grown
	}
	start := len(l.buf)
	for len(l.buf) < cap(l.buf) && l.rerr == nil {
		n, err := l.r.Read(l.buf[len(l.buf):cap(l.buf)])
		l.buf = l.buf[:len(l.buf)+n]
		if err != nil {
			l.rerr = err
		} else if n == 0 && len(l.buf) > start {
			break
		}
	}
	if l.rerr != nil && l.rerr != io.EOF && l.err == nil {
		l.err = fmt.Errorf("fls: reading the response: %w", l.rerr)
	}
	return len(l.buf) > start
}

// atEOF reports whether the input is exhausted after the buffered bytes.
func (l *lexer) atEOF() bool { return l.rerr == io.EOF }

// skipSpace skips whitespace; it returns false at the end of input.
func (l *lexer) skipSpace() bool {
	for {
		for l.pos < len(l.buf) {
			switch l.buf[l.pos] {
			case ' ', '\n', '\r', '\t':
				l.pos++
			default:
				return true
			}
		}
		if !l.more() {
			return false
		}
	}
}

// peek returns the kind of the next token without consuming it: one of
// { } [ ] " 0 t f n (0 stands for every number), or 0 at the end of input
// or on an error (which the next read returns).
func (l *lexer) peek() byte {
	if l.pos < len(l.buf) && !pendingSeparator[l.state] {
		if k := tokenKind[l.buf[l.pos]]; k != 0 {
			return k
		}
	}
	return l.peekSlow()
}

// peekSlow is peek when a separator or whitespace comes first, or more
// input is needed.
func (l *lexer) peekSlow() byte {
	if l.err != nil || !l.separate() || !l.skipSpace() {
		return 0
	}
	return tokenKind[l.buf[l.pos]]
}

// tokenKind maps the first byte of a token to its kind (0 for a byte no
// token starts with).
var tokenKind = func() (t [256]byte) {
	for _, c := range []byte("{}[]\"tfn") {
		t[c] = c
	}
	for _, c := range []byte("-0123456789") {
		t[c] = '0'
	}
	return t
}()

// pendingSeparator marks the states in which a separator comes before the
// next token.
var pendingSeparator = [...]bool{stObjNext: true, stArrNext: true, stObjColon: true}

// separate consumes the separator the grammar expects before the next
// token, if it is there; it returns false at the end of input.
func (l *lexer) separate() bool {
	var sep byte
	var next lexState
	switch l.state {
	case stObjNext:
		sep, next = ',', stObjName
	case stArrNext:
		sep, next = ',', stArrValue
	case stObjColon:
		sep, next = ':', stObjValue
	default:
		return true
	}
	if !l.skipSpace() {
		return false
	}
	if l.buf[l.pos] == sep {
		l.pos++
		l.state = next
	} else if l.state == stObjColon {
		l.fail("expected ':' after a member name, found %q", l.buf[l.pos])
		return false
	}
	return true
}

// delim consumes the next token, which must be a bracket.
func (l *lexer) delim() error {
	c := l.peek()
	if l.err != nil {
		return l.err
	}
	switch c {
	case '{', '[':
		if !l.atValue() {
			return l.unexpected()
		}
		if len(l.stack) >= maxDepth {
			return l.fail("nesting deeper than %d", maxDepth)
		}
		l.pos++
		l.stack = append(l.stack, c)
		if c == '{' {
			l.state = stObjFirst
		} else {
			l.state = stArrFirst
		}
		return nil
	case '}', ']':
		open := byte('{')
		if c == ']' {
			open = '['
		}
		n := len(l.stack)
		if n == 0 || l.stack[n-1] != open || !(l.state == stObjFirst || l.state == stObjNext || l.state == stArrFirst || l.state == stArrNext) {
			return l.unexpected()
		}
		l.pos++
		l.stack = l.stack[:n-1]
		l.afterValue()
		return nil
	}
	return l.unexpected()
}

// unexpected reports the next byte as out of place.
func (l *lexer) unexpected() error {
	if l.err != nil {
		return l.err
	}
	if l.pos >= len(l.buf) {
		return l.fail("unexpected end of input")
	}
	return l.fail("unexpected %q", l.buf[l.pos])
}

// atValue reports whether the grammar expects a value.
func (l *lexer) atValue() bool {
	switch l.state {
	case stTop, stObjValue, stArrFirst, stArrValue:
		return true
	}
	return false
}

// afterValue moves the state past a complete value, and past the comma
// that follows when it is already buffered.
func (l *lexer) afterValue() {
	l.end = l.pos
	n := len(l.stack)
	if n == 0 {
		l.state = stTopDone
		return
	}
	comma := l.pos < len(l.buf) && l.buf[l.pos] == ','
	switch {
	case l.stack[n-1] == '{' && comma:
		l.pos++
		l.state = stObjName
	case l.stack[n-1] == '{':
		l.state = stObjNext
	case comma:
		l.pos++
		l.state = stArrValue
	default:
		l.state = stArrNext
	}
}

// afterName moves the state past a member name, and past the colon that
// follows when it is already buffered.
func (l *lexer) afterName() {
	l.end = l.pos
	if l.pos < len(l.buf) && l.buf[l.pos] == ':' {
		l.pos++
		l.state = stObjValue
		return
	}
	l.state = stObjColon
}

// raw returns the next member name (quoted, escapes as received) or the
// next complete value. The bytes are only valid until the next call.
func (l *lexer) raw() ([]byte, error) {
	c := l.peek()
	if l.err != nil {
		return nil, l.err
	}
	if l.state == stObjFirst || l.state == stObjName {
		if c != '"' {
			return nil, l.unexpected()
		}
		start, err := l.scanScalar()
		if err != nil {
			return nil, err
		}
		l.afterName()
		return l.buf[start:l.end], nil
	}
	if !l.atValue() {
		return nil, l.unexpected()
	}
	if c != '{' && c != '[' {
		start, err := l.scanScalar()
		if err != nil {
			return nil, err
		}
		l.afterValue()
		return l.buf[start:l.end], nil
	}
	l.mark = l.pos
	err := l.skip()
	start := l.mark
	l.mark = -1
	if err != nil {
		return nil, err
	}
	return l.buf[start:l.end], nil
}

// skip consumes the next value without keeping it; a container is read
// token by token, so skipping does not hold it in memory.
func (l *lexer) skip() error {
	c := l.peek()
	if l.err != nil {
		return l.err
	}
	if c != '{' && c != '[' {
		_, err := l.raw()
		return err
	}
	depth := len(l.stack)
	if err := l.delim(); err != nil {
		return err
	}
	for len(l.stack) > depth {
		var err error
		switch l.peek() {
		case '{', '[', '}', ']':
			err = l.delim()
		default:
			if l.err != nil {
				return l.err
			}
			if l.pos >= len(l.buf) {
				return l.unexpected()
			}
			err = l.skipScalarOrName()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// skipScalarOrName consumes a name or a scalar value at the next token.
func (l *lexer) skipScalarOrName() error {
	switch l.state {
	case stObjFirst, stObjName:
		if l.buf[l.pos] != '"' {
			return l.unexpected()
		}
		if _, err := l.scanScalar(); err != nil {
			return err
		}
		l.afterName()
		return nil
	}
	if !l.atValue() {
		return l.unexpected()
	}
	if _, err := l.scanScalar(); err != nil {
		return err
	}
	l.afterValue()
	return nil
}

// nextMember reads the next member name of the object being read: it
// returns the raw name, or nil after consuming the object's closing
// brace. It is raw and delim for the common case, without peeking twice.
func (l *lexer) nextMember() ([]byte, error) {
	if l.pos < len(l.buf) && l.err == nil {
		switch c := l.buf[l.pos]; {
		case c == '"' && (l.state == stObjFirst || l.state == stObjName):
			start, err := l.scanScalar()
			if err != nil {
				return nil, err
			}
			l.afterName()
			return l.buf[start:l.end], nil
		case c == '}' && (l.state == stObjFirst || l.state == stObjNext):
			return nil, l.delim()
		}
	}
	switch l.peek() {
	case '}':
		return nil, l.delim()
	case '"':
		return l.raw()
	}
	return nil, l.unexpected()
}

// scalar reads the string, number or literal a peek just announced.
func (l *lexer) scalar() ([]byte, error) {
	if l.err != nil {
		return nil, l.err
	}
	if !l.atValue() || l.pos >= len(l.buf) {
		return nil, l.unexpected()
	}
	start, err := l.scanScalar()
	if err != nil {
		return nil, err
	}
	l.afterValue()
	return l.buf[start:l.end], nil
}

// scanScalar consumes the string, number or literal at l.pos, reading more
// input as needed, and returns where it starts in l.buf (reading moves the
// buffered bytes).
func (l *lexer) scanScalar() (int, error) {
	for {
		if l.pos < len(l.buf) {
			n, status, escaped := scanToken(l.buf[l.pos:], l.atEOF())
			l.escaped = escaped
			switch status {
			case scanOK:
				l.pos += n
				return l.pos - n, nil
			case scanInvalid:
				l.pos += n
				return 0, l.fail("invalid token")
			}
		}
		if l.more() {
			continue
		}
		if l.err != nil {
			return 0, l.err
		}
		// The input ends here: a number reaching the end is complete.
		if l.pos < len(l.buf) {
			if n, status, _ := scanToken(l.buf[l.pos:], true); status == scanOK {
				l.pos += n
				return l.pos - n, nil
			}
		}
		return 0, l.fail("unexpected end of input")
	}
}

// finish checks that the top-level value is complete (or absent) and that
// only whitespace follows it.
func (l *lexer) finish() error {
	if l.err != nil {
		return l.err
	}
	if l.skipSpace() {
		return l.fail("data after the top-level value")
	}
	if l.err != nil {
		return l.err
	}
	if l.state != stTopDone && l.state != stTop {
		return l.fail("unexpected end of input")
	}
	return nil
}

// scanStatus is the outcome of scanning one token.
type scanStatus uint8

const (
	scanOK      scanStatus = iota
	scanMore               // the buffer ends inside the token
	scanInvalid            // the token is malformed
)

// scanToken scans the string, number or literal at the start of b. At the
// end of b, a token is complete only if eof says no input follows.
// escaped reports a string holding an escape sequence.
func scanToken(b []byte, eof bool) (n int, st scanStatus, escaped bool) {
	switch b[0] {
	case '"':
		return scanString(b)
	case 't':
		n, st = scanLiteral(b, "true")
	case 'f':
		n, st = scanLiteral(b, "false")
	case 'n':
		n, st = scanLiteral(b, "null")
	default:
		n, st = scanNumber(b, eof)
	}
	return n, st, false
}

// plainString marks the bytes a string holds as they are: printable ASCII
// other than the quote and the backslash.
var plainString = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString scans a string: no control character, valid escapes (a
// \u escape of a UTF-16 surrogate must be a valid pair), valid UTF-8.
func scanString(b []byte) (int, scanStatus, bool) {
	i, escaped := 1, false
	for {
		for i+8 <= len(b) && plainString[b[i]] && plainString[b[i+1]] && plainString[b[i+2]] && plainString[b[i+3]] &&
			plainString[b[i+4]] && plainString[b[i+5]] && plainString[b[i+6]] && plainString[b[i+7]] {
			i += 8
		}
		for i < len(b) && plainString[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, scanMore, escaped
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, scanOK, escaped
		case c == '\\':
			n, st := scanEscape(b[i:])
			if st != scanOK {
				return i, st, escaped
			}
			i += n
			escaped = true
		case c < 0x20:
			return i, scanInvalid, escaped
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				if !utf8.FullRune(b[i:]) {
					return i, scanMore, escaped
				}
				return i, scanInvalid, escaped
			}
			i += size
		}
	}
}

// scanEscape scans the escape sequence at the start of b.
func scanEscape(b []byte) (int, scanStatus) {
	if len(b) < 2 {
		return 0, scanMore
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, scanOK
	case 'u':
	default:
		return 0, scanInvalid
	}
	r, st := hex4(b[2:])
	if st != scanOK {
		return 0, st
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, scanInvalid
	case r < 0xD800 || r > 0xDBFF:
		return 6, scanOK
	}
	// A high surrogate must be followed by an escaped low surrogate.
	if len(b) < 8 {
		return 0, scanMore
	}
	if b[6] != '\\' || b[7] != 'u' {
		return 0, scanInvalid
	}
	lo, st := hex4(b[8:])
	if st != scanOK {
		return 0, st
	}
	if lo < 0xDC00 || lo > 0xDFFF {
		return 0, scanInvalid
	}
	return 12, scanOK
}

// hex4 decodes four hex digits.
func hex4(b []byte) (rune, scanStatus) {
	if len(b) < 4 {
		for _, c := range b {
			if hexValue(c) < 0 {
				return 0, scanInvalid
			}
		}
		return 0, scanMore
	}
	var r rune
	for _, c := range b[:4] {
		v := hexValue(c)
		if v < 0 {
			return 0, scanInvalid
		}
		r = r<<4 | v
	}
	return r, scanOK
}

func hexValue(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

// scanLiteral scans true, false or null.
func scanLiteral(b []byte, lit string) (int, scanStatus) {
	n := min(len(b), len(lit))
	if string(b[:n]) != lit[:n] {
		return 0, scanInvalid
	}
	if n < len(lit) {
		return n, scanMore
	}
	return n, scanOK
}

// scanNumber scans -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; what
// follows it is left to the grammar.
func scanNumber(b []byte, eof bool) (int, scanStatus) {
	i := 0
	end := func(ok bool) (int, scanStatus) {
		if i == len(b) && !eof {
			return i, scanMore
		}
		if !ok {
			return i, scanInvalid
		}
		return i, scanOK
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i == len(b):
		return end(false)
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return i, scanInvalid
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i == len(b) || !isDigit(b[i]) {
			return end(false)
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i == len(b) || !isDigit(b[i]) {
			return end(false)
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return end(true)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// appendName appends the unescaped content of the string the lexer just
// read (raw), skipping the escape search when it held none.
func (l *lexer) appendName(dst, raw []byte) ([]byte, error) {
	if !l.escaped {
		return append(dst, raw[1:len(raw)-1]...), nil
	}
	return jsontext.AppendUnquote(dst, raw)
}

// appendUnquoted appends the unescaped content of a raw JSON string.
func appendUnquoted(dst, raw []byte) ([]byte, error) {
	if len(raw) >= 2 && bytes.IndexByte(raw, '\\') < 0 {
		return append(dst, raw[1:len(raw)-1]...), nil
	}
	return jsontext.AppendUnquote(dst, raw)
}
