package esbody

import (
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// Error types used in refusals. Where Elasticsearch has a type for the same
// failure we use its name, so clients that branch on it keep working.
const (
	// TypeParse is what Elasticsearch reports when Jackson rejects JSON.
	TypeParse = "x_content_parse_exception"
	// TypeIllegalArgument is what Elasticsearch reports for structural errors
	// in NDJSON bodies and bad parameters.
	TypeIllegalArgument = "illegal_argument_exception"
	// TypeParseException is Elasticsearch's generic "could not read this" type.
	TypeParseException = "parse_exception"
	// TypeMediaTypeHeader is what Elasticsearch reports for a malformed or
	// repeated Content-Type header.
	TypeMediaTypeHeader = "media_type_header_exception"
	// TypeTooLarge marks bodies over the configured size bound.
	TypeTooLarge = "request_entity_too_large_exception"
)

// Error is a refusal of a request body: the status to answer with, an
// Elasticsearch-style type and reason, and where in the body it failed.
type Error struct {
	// Status is the HTTP status: 400 parse errors, 406 unsupported content
	// types, 413 too large, 415 unsupported encodings.
	Status int
	// Type is an Elasticsearch error type such as "x_content_parse_exception".
	Type string
	// Reason is the human-readable message, including the position.
	Reason string
	// Line is the 1-based NDJSON line the error is on, or 0.
	Line int
	// Offset is the byte offset of the error within the body, or -1.
	Offset int64
	// Pointer is the JSON pointer (RFC 6901) of the failing value within the
	// JSON document (or NDJSON line), or "".
	Pointer string
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Reason)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ESError converts e into the error the proxy sends to the client.
func (e *Error) ESError() *eserr.Error {
	return &eserr.Error{Status: e.Status, Type: e.Type, Reason: e.Reason}
}

func newError(status int, typ, reason string) *Error {
	return &Error{Status: status, Type: typ, Reason: reason, Offset: -1}
}

func badRequest(typ, format string, args ...any) *Error {
	return newError(http.StatusBadRequest, typ, fmt.Sprintf(format, args...))
}

func tooLarge(what string, limit int64) *Error {
	return newError(http.StatusRequestEntityTooLarge, TypeTooLarge,
		fmt.Sprintf("%s exceeds the limit of [%d] bytes", what, limit))
}

// lineCol turns a byte offset into Jackson-style 1-based line and column
// (columns count characters, not bytes), so positions read like the
// "[line:col]" prefix Elasticsearch puts on parse errors.
func lineCol(data []byte, off int64) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, start := 1, 0
	for i := 0; i < int(off); i++ {
		if data[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return line, utf8.RuneCount(data[start:off]) + 1
}

// atLine re-anchors an error found while parsing one NDJSON line: it records
// the line number, moves the offset from line-relative to body-relative and
// prefixes the reason so the client sees which line failed.
func atLine(e *Error, line int, lineStart int) *Error {
	e.Line = line
	if e.Offset >= 0 {
		e.Offset += int64(lineStart)
	}
	e.Reason = fmt.Sprintf("line [%d]: %s", line, e.Reason)
	return e
}
