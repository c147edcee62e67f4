package fls

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// The scanners validate one token (or one whole container) at the start
// of a byte slice. They report scanMore when the slice ends inside the
// token, so that the lexer reads more input and scans again from the
// token's start.

// scanComposite scans the object or array at the start of b whole,
// validating it as the lexer's grammar does; maxNesting bounds its depth
// and stack is scratch space. It reports scanMore when b ends inside it.
//
// Each grammar state is a block of its own, so that each decision has
// its own branch history.
func scanComposite(b []byte, maxNesting int, stack *[]byte) (n int, status scanStatus) {
	st := (*stack)[:0]
	defer func() { *stack = st[:0] }()
	i := 0
	var c byte

value: // a value is expected
	if i = skipWhitespace(b, i); i >= len(b) {
		return i, scanMore
	}
	switch c = b[i]; c {
	case '{':
		if len(st) >= maxNesting {
			return i, scanInvalid
		}
		st = append(st, '{')
		i++
		goto objectStart
	case '[':
		if len(st) >= maxNesting {
			return i, scanInvalid
		}
		st = append(st, '[')
		i++
		goto arrayStart
	case '"':
		n, status = scanString(b[i:])
	default:
		if len(st) == 0 {
			return i, scanInvalid
		}
		// A value cannot end the container: the buffer's end is never
		// the end of the input here.
		n, status = scanToken(b[i:], false)
	}
	if status != scanOK {
		return i + n, status
	}
	i += n
	goto next

objectStart: // after '{': a name or '}'
	if i = skipWhitespace(b, i); i >= len(b) {
		return i, scanMore
	}
	if b[i] == '}' {
		goto closing
	}
	goto name

name: // a member name is expected
	if i = skipWhitespace(b, i); i >= len(b) {
		return i, scanMore
	}
	if b[i] != '"' {
		return i, scanInvalid
	}
	if n, status = scanString(b[i:]); status != scanOK {
		return i + n, status
	}
	i += n
	if i = skipWhitespace(b, i); i >= len(b) {
		return i, scanMore
	}
	if b[i] != ':' {
		return i, scanInvalid
	}
	i++
	goto value

arrayStart: // after '[': a value or ']'
	if i = skipWhitespace(b, i); i >= len(b) {
		return i, scanMore
	}
	if b[i] == ']' {
		goto closing
	}
	goto value

next: // after a value: ',' or the closing bracket
	if i = skipWhitespace(b, i); i >= len(b) {
		return i, scanMore
	}
	switch c = b[i]; {
	case c == ',':
		i++
		if st[len(st)-1] == '{' {
			goto name
		}
		goto value
	case c == '}' || c == ']':
		goto closing
	}
	return i, scanInvalid

closing: // b[i] closes the innermost container, if it matches
	if c = b[i]; (c == '}') != (st[len(st)-1] == '{') {
		return i, scanInvalid
	}
	st = st[:len(st)-1]
	i++
	if len(st) == 0 {
		return i, scanOK
	}
	goto next
}

// skipWhitespace returns the position of the first non-blank byte of b
// from i.
func skipWhitespace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
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
func scanToken(b []byte, eof bool) (int, scanStatus) {
	switch b[0] {
	case '"':
		return scanString(b)
	case 't':
		return scanLiteral(b, "true")
	case 'f':
		return scanLiteral(b, "false")
	case 'n':
		return scanLiteral(b, "null")
	}
	return scanNumber(b, eof)
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
func scanString(b []byte) (int, scanStatus) {
	i := 1
	for {
		for i+8 <= len(b) {
			if m := specialBytes(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto special
			}
			i += 8
		}
		for i < len(b) && plainString[b[i]] {
			i++
		}
	special:
		if i >= len(b) {
			return i, scanMore
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, scanOK
		case c == '\\':
			n, st := scanEscape(b[i:])
			if st != scanOK {
				return i, st
			}
			i += n
		case c < 0x20:
			return i, scanInvalid
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				if !utf8.FullRune(b[i:]) {
					return i, scanMore
				}
				return i, scanInvalid
			}
			i += size
		}
	}
}

// specialBytes flags (with their high bit) the bytes of the little-endian
// word w that are not plain string bytes: below 0x20, from 0x80, the quote
// and the backslash. A subtraction can borrow into the next byte and flag
// it too, but only above a byte that is itself flagged, so the lowest flag
// always marks the first special byte; without special bytes nothing is
// flagged.
func specialBytes(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	control := w - 0x20*ones
	quote := (w ^ '"'*ones) - ones
	backslash := (w ^ '\\'*ones) - ones
	return (w | control | quote | backslash) & highs
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
	for i, want := range []byte{'\\', 'u'} {
		switch {
		case len(b) <= 6+i:
			return 0, scanMore
		case b[6+i] != want:
			return 0, scanInvalid
		}
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
