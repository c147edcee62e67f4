package fls

import (
	"bytes"
	"fmt"
	"io"

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
	// mark, when >= 0, is the start of a value being read whole,
	// nameMark the start of the member name nextMember last returned, and
	// runMark the start of a run of members copied as they are: reading
	// more input keeps buf from the earliest of them.
	mark, nameMark, runMark int
	// runStop is the end of the run's last member.
	runStop int
	// base is the input offset of buf[0], for error messages.
	base int64
	// rerr is the reader's error (io.EOF at the end of input).
	rerr error
	// err is the first syntax or read error; every later call returns it.
	err   error
	stack []byte
	state lexState
	// scratch is the container stack of scanComposite.
	scratch []byte
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

// maxBuffered bounds what the lexer holds at once: one token, or one value
// read whole (a _source copied as it is, a hit held back). Past it the
// response is refused rather than buffered; Elasticsearch's own documents
// stay under http.max_content_length (100 MB by default).
const maxBuffered = 256 << 20

// maxEmptyReads bounds the reads in a row that return nothing and no
// error, which io.Reader discourages but allows.
const maxEmptyReads = 100

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
	*l = lexer{r: r, buf: l.own[:0], own: l.own, stack: l.stack[:0], scratch: l.scratch, mark: -1, nameMark: -1, runMark: -1}
}

// resetBytes makes the lexer read b, in place: b must not change while
// the lexer reads it.
func (l *lexer) resetBytes(b []byte) {
	*l = lexer{buf: b, own: l.own, stack: l.stack[:0], scratch: l.scratch, mark: -1, nameMark: -1, runMark: -1, rerr: io.EOF}
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
		keep = min(keep, l.mark)
	}
	if l.nameMark >= 0 {
		keep = min(keep, l.nameMark)
	}
	if l.runMark >= 0 {
		keep = min(keep, l.runMark)
	}
	if keep > 0 {
		n := copy(l.buf, l.buf[keep:])
		l.buf = l.buf[:n]
		l.pos -= keep
		if l.mark >= 0 {
			l.mark -= keep
		}
		if l.nameMark >= 0 {
			l.nameMark -= keep
		}
		if l.runMark >= 0 {
			l.runMark -= keep
			l.runStop -= keep
		}
		l.base += int64(keep)
	}
	if len(l.buf) == cap(l.buf) {
		if len(l.buf) >= maxBuffered {
			l.fail("a single value of the response exceeds %d bytes", maxBuffered)
			return false
		}
		grown := make([]byte, len(l.buf), min(2*cap(l.buf)+lexerBlock, maxBuffered))
		copy(grown, l.buf)
		l.buf, l.own = grown, grown
	}
	start := len(l.buf)
	for empty := 0; len(l.buf) < cap(l.buf) && l.rerr == nil; {
		n, err := l.r.Read(l.buf[len(l.buf):cap(l.buf)])
		l.buf = l.buf[:len(l.buf)+n]
		switch {
		case err != nil:
			l.rerr = err
		case n > 0:
			empty = 0
		case len(l.buf) > start:
			// Nothing more for now: use what came.
			return true
		default:
			if empty++; empty >= maxEmptyReads {
				l.rerr = io.ErrNoProgress
			}
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
	if l.pos < len(l.buf) {
		// A closing bracket needs no separator before it.
		if k := tokenKind[l.buf[l.pos]]; k != 0 && (!pendingSeparator[l.state] || k == '}' || k == ']') {
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
	for {
		n, status := scanComposite(l.buf[l.pos:], maxDepth-len(l.stack), &l.scratch)
		switch status {
		case scanOK:
			l.pos += n
			l.afterValue()
			return l.buf[l.end-n : l.end], nil
		case scanInvalid:
			l.pos += n
			return nil, l.fail("invalid JSON value")
		}
		if !l.more() {
			if l.err != nil {
				return nil, l.err
			}
			return nil, l.fail("unexpected end of input")
		}
	}
}

// skip consumes the next value without keeping it; a container is read
// token by token, so skipping does not hold it in memory.
func (l *lexer) skip() error {
	c := l.peek()
	if l.err != nil {
		return l.err
	}
	if !l.atValue() {
		return l.unexpected()
	}
	if c != '{' && c != '[' {
		_, err := l.scalar()
		return err
	}
	// A container already buffered whole is skipped in one scan; a longer
	// one is read token by token, without holding it in memory.
	if n, status := scanComposite(l.buf[l.pos:], maxDepth-len(l.stack), &l.scratch); status != scanMore {
		l.pos += n
		if status == scanInvalid {
			return l.fail("invalid JSON value")
		}
		l.afterValue()
		return nil
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
//
// The name stays in the buffer, at memberName, until dropName or the next
// nextMember: reading the member's value does not invalidate it.
func (l *lexer) nextMember() ([]byte, error) {
	l.nameMark = -1
	if l.pos < len(l.buf) && l.err == nil {
		switch c := l.buf[l.pos]; {
		case c == '"' && (l.state == stObjFirst || l.state == stObjName):
			return l.markedName()
		case c == '}' && (l.state == stObjFirst || l.state == stObjNext):
			return nil, l.delim()
		}
	}
	switch l.peek() {
	case '}':
		return nil, l.delim()
	case '"':
		if l.state == stObjFirst || l.state == stObjName {
			return l.markedName()
		}
	}
	return nil, l.unexpected()
}

// markedName reads the member name at l.pos and marks it.
func (l *lexer) markedName() ([]byte, error) {
	start, err := l.scanScalar()
	if err != nil {
		return nil, err
	}
	l.afterName()
	l.nameMark = start
	return l.buf[start:l.end], nil
}

// memberName returns the name nextMember returned, n bytes long, where it
// now is in the buffer.
func (l *lexer) memberName(n int) []byte { return l.buf[l.nameMark : l.nameMark+n] }

// dropName releases the name nextMember returned.
func (l *lexer) dropName() { l.nameMark = -1 }

// startRun starts a run of members at the name nextMember returned: the
// input from there stays buffered until endRun.
func (l *lexer) startRun() { l.runMark, l.runStop = l.nameMark, l.nameMark }

// extendRun ends the run at the end of the last token read (a member's
// value).
func (l *lexer) extendRun() { l.runStop = l.end }

// run returns the run: members with their separators, as received.
func (l *lexer) run() []byte { return l.buf[l.runMark:l.runStop] }

// endRun releases the run.
func (l *lexer) endRun() { l.runMark = -1 }

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
			var n int
			var status scanStatus
			if b := l.buf[l.pos:]; b[0] == '"' {
				n, status = scanString(b)
			} else {
				n, status = scanToken(b, l.atEOF())
			}
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
			if n, status := scanToken(l.buf[l.pos:], true); status == scanOK {
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

// appendUnquoted appends the unescaped content of a raw JSON string.
func appendUnquoted(dst, raw []byte) ([]byte, error) {
	if len(raw) >= 2 && bytes.IndexByte(raw, '\\') < 0 {
		return append(dst, raw[1:len(raw)-1]...), nil
	}
	return jsontext.AppendUnquote(dst, raw)
}
