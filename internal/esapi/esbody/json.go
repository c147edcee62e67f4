package esbody

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// Bounds on what ParseJSON accepts. They match the defaults of Jackson's
// StreamReadConstraints (2.15+), which Elasticsearch keeps except for the
// string length: a document past them is one the cluster refuses anyway, and
// refusing first keeps the proxy's memory and recursion bounded.
const (
	// MaxDepth is the deepest nesting of objects and arrays accepted.
	MaxDepth = 1000
	// MaxNumberLength is the longest number literal accepted, in bytes.
	MaxNumberLength = 1000
	// MaxNameLength is the longest object member name accepted, in bytes.
	MaxNameLength = 50000
	// MaxValues is the largest number of JSON values (scalars, objects and
	// arrays) accepted in one body: in one document, and in all the lines
	// of an _msearch or of a _bulk read in memory together. Unlike the
	// bounds above it is the proxy's own (Jackson has none): a parsed
	// value takes the proxy about 80 bytes, and bodies are parsed before
	// they are authorized, so 20 KB of gzip (20 MB of "0,") took 790 MB
	// of a user without any privilege, and a body at the default 100 MiB
	// limit about 4 GB. No query or document a client sends comes near it
	// (a terms query takes at most 65,536 terms, a dense vector 4,096
	// dimensions).
	MaxValues = 1 << 21
)

// ParseJSON parses data as exactly one JSON value, the way Elasticsearch's
// Jackson parser would read it, or refuses it.
//
// Elasticsearch parses with Jackson configured with STRICT_DUPLICATE_DETECTION
// and ALLOW_COMMENTS. ParseJSON accepts strict RFC 8259 JSON only, encoded in
// UTF-8, and so refuses (400 x_content_parse_exception):
//   - duplicate member names, compared after unescaping ("a" and "\u0061"
//     collide), as Jackson does;
//   - comments (//, /* */): Jackson would skip them, but a proxy that strips
//     them must reproduce Jackson's lexer exactly; refusing is the safe
//     choice and no Elasticsearch client needs them;
//   - '#' comments, single quotes, unquoted names, NaN/Infinity, leading
//     zeros, leading '+', trailing commas (Jackson refuses these too with
//     Elasticsearch's settings);
//   - unescaped control characters in strings, invalid UTF-8, and escaped
//     lone surrogates such as "\ud800" (Jackson would accept those and build
//     a broken string);
//   - anything after the first value other than whitespace: Jackson stops
//     after the first value and several APIs ignore what follows, so a
//     second value would be invisible to one side;
//   - nesting deeper than MaxDepth, numbers longer than MaxNumberLength and
//     names longer than MaxNameLength;
//   - a body with no value at all.
//
// Every document ParseJSON accepts is one Jackson parses to the same tree,
// because strict JSON is a subset of what Jackson accepts and has one
// meaning. A UTF-8 byte order mark is not accepted here; Read strips one at
// the start of a body, as Jackson does.
func ParseJSON(data []byte) (Value, error) {
	v, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// ParseObject is ParseJSON for documents that must be a JSON object, such as
// search, count and mget bodies.
func ParseObject(data []byte) (*Object, error) {
	o, err := parseObject(data)
	if err != nil {
		return nil, err
	}
	return o, nil
}

func parseObject(data []byte) (*Object, *Error) {
	return new(parser).parseObject(data)
}

func (p *parser) parseObject(data []byte) (*Object, *Error) {
	v, err := p.parse(data)
	if err != nil {
		return nil, err
	}
	o, ok := v.(*Object)
	if !ok {
		return nil, parseError(data, firstNonSpace(data), "", fmt.Sprintf("expected a JSON object but found a %s", v.Kind()), nil)
	}
	return o, nil
}

// parser builds a Value tree from the jsontext token stream. jsontext does
// the lexing, UTF-8 validation and duplicate detection; the parser adds the
// bounds and keeps the error positions.
//
// A parser may be reused for many documents (the lines of an NDJSON body),
// which keeps the decoder's buffers; it is not safe for concurrent use.
type parser struct {
	data []byte
	src  bytes.Reader
	dec  *jsontext.Decoder
	// values counts the values of the document being parsed; total those
	// of every document since cumulative was set (the lines of one NDJSON
	// body kept in memory together), when it is.
	values, total int
	cumulative    bool
}

func parseJSON(data []byte) (Value, *Error) {
	return new(parser).parse(data)
}

func (p *parser) parse(data []byte) (Value, *Error) {
	p.data, p.values = data, 0
	p.src.Reset(data)
	// Both options are the defaults; spelled out because the whole
	// package depends on them.
	opts := []jsontext.Options{jsontext.AllowDuplicateNames(false), jsontext.AllowInvalidUTF8(false)}
	if p.dec == nil {
		p.dec = jsontext.NewDecoder(&p.src, opts...)
	} else {
		p.dec.Reset(&p.src, opts...)
	}
	tok, err := p.dec.ReadToken()
	if err == io.EOF {
		return nil, parseError(data, int64(len(data)), "", "the body contains no JSON value", nil)
	}
	if err != nil {
		return nil, p.fail(err)
	}
	v, perr := p.value(tok)
	if perr != nil {
		return nil, perr
	}
	// Exactly one value: anything but whitespace afterwards is refused.
	end := p.dec.InputOffset()
	if _, err := p.dec.ReadToken(); err != io.EOF {
		off := end + firstNonSpace(data[end:])
		return nil, parseError(data, off, "", "unexpected content after the end of the JSON value", err)
	}
	return v, nil
}

func (p *parser) value(tok jsontext.Token) (Value, *Error) {
	p.values++
	if p.cumulative {
		p.total++
	}
	if p.values > MaxValues || p.total > MaxValues {
		return nil, p.limit(fmt.Sprintf("more than %d JSON values in one body", MaxValues))
	}
	switch tok.Kind() {
	case 'n':
		return Null{}, nil
	case 't':
		return Bool(true), nil
	case 'f':
		return Bool(false), nil
	case '"':
		return String(tok.String()), nil
	case '0':
		s := tok.String()
		if len(s) > MaxNumberLength {
			return nil, p.limit(fmt.Sprintf("number literal longer than %d characters", MaxNumberLength))
		}
		return Number(s), nil
	case '{':
		if p.dec.StackDepth() > MaxDepth {
			return nil, p.limit(fmt.Sprintf("nesting deeper than %d levels", MaxDepth))
		}
		o := &Object{}
		for {
			nt, err := p.dec.ReadToken()
			if err != nil {
				return nil, p.fail(err)
			}
			if nt.Kind() == '}' {
				return o, nil
			}
			name := nt.String()
			if len(name) > MaxNameLength {
				return nil, p.limit(fmt.Sprintf("member name longer than %d bytes", MaxNameLength))
			}
			vt, err := p.dec.ReadToken()
			if err != nil {
				return nil, p.fail(err)
			}
			v, perr := p.value(vt)
			if perr != nil {
				return nil, perr
			}
			// jsontext has already refused duplicates, so append is safe.
			o.members = append(o.members, Member{Name: name, Value: v})
		}
	case '[':
		if p.dec.StackDepth() > MaxDepth {
			return nil, p.limit(fmt.Sprintf("nesting deeper than %d levels", MaxDepth))
		}
		a := Array{}
		for {
			et, err := p.dec.ReadToken()
			if err != nil {
				return nil, p.fail(err)
			}
			if et.Kind() == ']' {
				return a, nil
			}
			v, perr := p.value(et)
			if perr != nil {
				return nil, perr
			}
			a = append(a, v)
		}
	}
	// ReadToken only returns the kinds above at a value position.
	return nil, p.limit(fmt.Sprintf("unexpected token %q", tok.String()))
}

// limit reports a bound that was exceeded at the current position.
func (p *parser) limit(what string) *Error {
	return parseError(p.data, p.dec.InputOffset(), string(p.dec.StackPointer()), what, nil)
}

// fail converts a jsontext error into a positioned Error, phrased like the
// Jackson messages Elasticsearch relays where there is an equivalent.
func (p *parser) fail(err error) *Error {
	var se *jsontext.SyntacticError
	off := p.dec.InputOffset()
	ptr := ""
	msg := err.Error()
	if errors.As(err, &se) {
		off, ptr = se.ByteOffset, string(se.JSONPointer)
		switch {
		case errors.Is(se.Err, jsontext.ErrDuplicateName):
			msg = fmt.Sprintf("Duplicate field '%s'", se.JSONPointer.LastToken())
		case errors.Is(se.Err, io.ErrUnexpectedEOF):
			msg = "Unexpected end-of-input"
		default:
			msg = se.Err.Error()
		}
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "Unexpected end-of-input"
	}
	return parseError(p.data, off, ptr, msg, err)
}

// parseError builds the 400 for a JSON document: "[line:col] message" as
// Elasticsearch prints Jackson errors, followed by the byte offset and the
// JSON pointer so the client can find the spot in a large body.
func parseError(data []byte, off int64, ptr, msg string, cause error) *Error {
	l, c := lineCol(data, off)
	reason := fmt.Sprintf("[%d:%d] %s (byte offset %d", l, c, msg, off)
	if ptr != "" {
		shown := ptr
		if len(shown) > 200 {
			// Keep refusals readable when a huge name is the problem.
			shown = shown[:200] + "…"
		}
		reason += ", JSON pointer " + shown
	}
	e := newError(400, TypeParse, reason+")")
	e.Offset, e.Pointer, e.Err = off, ptr, cause
	return e
}

func firstNonSpace(data []byte) int64 {
	return int64(len(data) - len(bytes.TrimLeft(data, " \t\r\n")))
}
