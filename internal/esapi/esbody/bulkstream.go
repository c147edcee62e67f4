package esbody

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"
)

// BulkStream parses a _bulk request body while it is read, item by item,
// with exactly the rules of Read followed by ParseBulk (both use the same
// line assembler), so that a body far larger than memory can be checked.
//
// Memory is bounded by the longest line (one action or document), not by
// the body. The caller keeps what it needs of each item and the raw lines
// (e.g. in a spool file) and must not execute anything before Next
// returned io.EOF: like Elasticsearch, which parses the whole bulk before
// executing an item, a malformed line anywhere refuses the whole request.
type BulkStream struct {
	body *Body
	in   *bufio.Reader // decoded body
	asm  bulkAssembler
	num  int   // number of the last line read
	off  int64 // offset of the next line in the decoded body, BOM excluded
	act  []byte
	src  []byte
	done bool
}

// BulkLines are the raw lines of one item as the proxy parsed them,
// without their '\n'. Source is nil for a delete. They are valid until the
// next call of Next.
type BulkLines struct {
	Action []byte
	Source []byte
}

// OpenBulkStream checks r's headers like Read does (Content-Type syntax,
// Content-Encoding) and starts decoding its body, bounded by maxBytes
// before and after decompression (413). Requests whose body is in the
// `source` query parameter are refused: they are small, read them with
// Read. Errors are *Error.
func OpenBulkStream(r *http.Request, maxBytes int64) (*BulkStream, error) {
	s, err := openBulkStream(r, maxBytes)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func openBulkStream(r *http.Request, maxBytes int64) (*BulkStream, *Error) {
	maxBytes = max(maxBytes, 0)
	headerCT, err := headerContentType(r.Header)
	if err != nil {
		return nil, err
	}
	c, err := contentCoding(r.Header)
	if err != nil {
		return nil, err
	}
	sp, err := findSourceParam(r)
	if err != nil {
		return nil, err
	}
	if sp.present {
		return nil, badRequest(TypeIllegalArgument, "a streamed bulk request cannot carry a [source] parameter")
	}
	if r.ContentLength > maxBytes {
		return nil, tooLarge("request body", maxBytes)
	}
	var raw io.Reader = http.NoBody
	if r.Body != nil {
		raw = &limitedBody{r: r.Body, max: maxBytes}
	}
	s := &BulkStream{
		body: &Body{},
		in:   bufio.NewReaderSize(newDecodedBody(raw, c, maxBytes), 64<<10),
		asm:  bulkAssembler{p: new(parser)},
	}
	if err := s.start(headerCT, c); err != nil {
		return nil, err
	}
	return s, nil
}

// start looks at the first bytes: an empty body needs no Content-Type;
// otherwise the type must be acceptable and the text UTF-8 (a UTF-8 byte
// order mark is dropped, as in checkCharset).
func (s *BulkStream) start(headerCT string, c coding) *Error {
	// A UTF-8 byte order mark and the four bytes after it: the encoding
	// the cluster guesses is decided by those (detectWideEncoding).
	head, err := s.in.Peek(len(utf8BOM) + 4)
	if err != nil && err != io.EOF {
		return asError(err)
	}
	if len(head) == 0 {
		s.done = true
		return nil
	}
	media, e := acceptContentType(headerCT)
	if e != nil {
		return e
	}
	if name := detectWideEncoding(head); name != "" {
		return newError(http.StatusUnsupportedMediaType, TypeIllegalArgument, fmt.Sprintf(
			"request body looks like %s, which Elasticsearch would auto-detect and decode; only UTF-8 bodies are accepted", name))
	}
	if bytes.HasPrefix(head, []byte(utf8BOM)) {
		_, _ = s.in.Discard(len(utf8BOM))
	}
	s.body.ContentType, s.body.MediaType, s.body.Encoded = headerCT, media, c != codingIdentity
	return nil
}

// Body describes the body (content type, encoding) for forwarding; its Raw
// is empty: the bytes are the lines Next returned.
func (s *BulkStream) Body() *Body { return s.body }

// Next parses the next item. It returns io.EOF after the last one, once
// the whole body was read and found valid; any other error is an *Error
// refusing the whole request.
func (s *BulkStream) Next() (BulkItem, BulkLines, error) {
	it, lines, err := s.next()
	if err != nil {
		if err == io.EOF {
			return BulkItem{}, BulkLines{}, io.EOF
		}
		return BulkItem{}, BulkLines{}, err
	}
	return it, lines, nil
}

func (s *BulkStream) next() (BulkItem, BulkLines, error) {
	for {
		buf := &s.act
		if s.asm.awaitsSource() {
			buf = &s.src
		}
		l, err := s.readLine(buf)
		if err == io.EOF {
			if e := s.asm.finish(); e != nil {
				return BulkItem{}, BulkLines{}, e
			}
			return BulkItem{}, BulkLines{}, io.EOF
		}
		if err != nil {
			return BulkItem{}, BulkLines{}, err
		}
		it, done, e := s.asm.feed(l)
		if e != nil {
			return BulkItem{}, BulkLines{}, e
		}
		if done {
			lines := BulkLines{Action: s.act}
			if it.Action != "delete" {
				lines.Source = s.src
			}
			return it, lines, nil
		}
	}
}

// readLine reads the next '\n'-terminated line into *buf (reused) and
// checks that it is UTF-8. A '\n' never occurs inside a multi-byte
// sequence, so line-wise validity is whole-body validity.
func (s *BulkStream) readLine(buf *[]byte) (ndLine, error) {
	if s.done {
		return ndLine{}, io.EOF
	}
	b := (*buf)[:0]
	var err error
	for {
		var chunk []byte
		chunk, err = s.in.ReadSlice('\n')
		b = append(b, chunk...)
		if err != bufio.ErrBufferFull {
			break
		}
	}
	*buf = b
	start := s.off
	s.num++
	switch {
	case err == io.EOF && len(b) == 0:
		s.done = true
		return ndLine{}, io.EOF
	case err == io.EOF:
		e := newError(400, TypeIllegalArgument,
			fmt.Sprintf(`The bulk request must be terminated by a newline [\n] (line [%d] at byte offset %d is not)`, s.num, start))
		e.Line, e.Offset = s.num, start
		return ndLine{}, e
	case err != nil:
		return ndLine{}, asError(err)
	}
	s.off += int64(len(b))
	text := b[:len(b)-1]
	if !utf8.Valid(text) {
		off := start + int64(invalidUTF8Offset(text))
		e := newError(http.StatusBadRequest, TypeParseException, fmt.Sprintf(
			"request body is not valid UTF-8 (first invalid byte at offset %d)", off))
		e.Offset = off
		return ndLine{}, e
	}
	*buf = text
	return ndLine{num: s.num, start: int(start), text: text}, nil
}

// asError returns err as the *Error the body readers produce.
func asError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	e := newError(http.StatusBadRequest, TypeParseException, fmt.Sprintf("failed to read the request body: %v", err))
	e.Err = err
	return e
}
