package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// redactedReason replaces, in the cluster's errors and shard failures, a
// text that quotes a value of the user's role queries.
const redactedReason = "[redacted by the security proxy: the text quotes the document level security query of the user's roles]"

// maxRedactedError bounds the error answer read to redact it; a longer
// one is replaced whole.
const maxRedactedError = 1 << 20

// roleLiterals lists the values (strings and numbers of two characters or
// more, lower-cased) of the rendered role queries of the request's
// indices. The cluster evaluates
// these queries as part of the request, and its errors quote them: a role
// query {"term":{"customer":"acme"}} on an index where customer is a long
// fails every search with "failed to create query: For input string:
// \"acme\"", in the error or in _shards.failures. Elasticsearch never
// shows a role query to the user it restricts; nor does the proxy.
func (rr *restrictedRequest) roleLiterals() ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, a := range rr.d.Access {
		if len(a.Queries) == 0 {
			continue
		}
		qs, err := rr.rs.Queries.Queries(a.Queries, dlsUser(rr.st.Principal))
		if err != nil {
			return nil, fmt.Errorf("rendering the role queries of [%s]: %w", a.Index, err)
		}
		for _, q := range qs {
			collectLiterals(q, func(s string) {
				s = strings.ToLower(strings.TrimSpace(s))
				// A one-character value (a 0 or 1 in a range) would redact
				// every parse position of every error, and is no secret.
				if len(s) > 1 && !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			})
		}
	}
	return out, nil
}

// collectLiterals calls f with every string and number value of v (member
// names are the query's structure, not its values).
func collectLiterals(v esbody.Value, f func(string)) {
	switch t := v.(type) {
	case esbody.String:
		f(string(t))
	case esbody.Number:
		f(string(t))
	case esbody.Array:
		for _, e := range t {
			collectLiterals(e, f)
		}
	case *esbody.Object:
		for _, e := range t.All() {
			collectLiterals(e, f)
		}
	}
}

// quotesLiteral reports whether s holds one of literals (lower-cased) as a
// whole token: not inside a longer word or number, so that a role value
// "me" does not redact "time".
func quotesLiteral(s string, literals []string) bool {
	ls := strings.ToLower(s)
	for _, lit := range literals {
		for from := 0; from <= len(ls)-len(lit); {
			i := strings.Index(ls[from:], lit)
			if i < 0 {
				break
			}
			i += from
			before, _ := utf8.DecodeLastRuneInString(ls[:i])
			after, _ := utf8.DecodeRuneInString(ls[i+len(lit):])
			okBefore := !wordRune(before) || !wordRune(firstRune(lit))
			okAfter := !wordRune(after) || !wordRune(lastRune(lit))
			if okBefore && okAfter {
				return true
			}
			from = i + 1
		}
	}
	return false
}

func wordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}

func firstRune(s string) rune { r, _ := utf8.DecodeRuneInString(s); return r }
func lastRune(s string) rune  { r, _ := utf8.DecodeLastRuneInString(s); return r }

// redactFailures copies a JSON document, replacing every string value
// under an "error", "failures" or "failed_shards" member (at any depth)
// that quotes one of literals with redactedReason. Everything else is
// copied unchanged, so it can stream a search answer.
func redactFailures(dst io.Writer, src io.Reader, literals []string) error {
	dec := jsontext.NewDecoder(src)
	enc := jsontext.NewEncoder(dst)
	if err := copyRedacted(dec, enc, literals, false); err != nil {
		return fmt.Errorf("redacting role query values: %w", err)
	}
	return nil
}

func copyRedacted(dec *jsontext.Decoder, enc *jsontext.Encoder, literals []string, inFailure bool) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case '{':
		if err := enc.WriteToken(tok); err != nil {
			return err
		}
		for dec.PeekKind() != '}' {
			name, err := dec.ReadToken()
			if err != nil {
				return err
			}
			if err := enc.WriteToken(name); err != nil {
				return err
			}
			n := name.String()
			if err := copyRedacted(dec, enc, literals, inFailure || n == "error" || n == "failures" || n == "failed_shards"); err != nil {
				return err
			}
		}
		end, err := dec.ReadToken()
		if err != nil {
			return err
		}
		return enc.WriteToken(end)
	case '[':
		if err := enc.WriteToken(tok); err != nil {
			return err
		}
		for dec.PeekKind() != ']' {
			if err := copyRedacted(dec, enc, literals, inFailure); err != nil {
				return err
			}
		}
		end, err := dec.ReadToken()
		if err != nil {
			return err
		}
		return enc.WriteToken(end)
	case '"':
		if inFailure && quotesLiteral(tok.String(), literals) {
			return enc.WriteToken(jsontext.String(redactedReason))
		}
		return enc.WriteToken(tok)
	case '0':
		if inFailure && quotesLiteral(tok.String(), literals) {
			return enc.WriteToken(jsontext.String(redactedReason))
		}
		return enc.WriteToken(tok)
	}
	return enc.WriteToken(tok)
}

// redactedSuccessActions are the actions whose successful answers carry
// shard or item failures the role queries can cause.
var redactedSuccessActions = map[string]bool{
	"indices:data/read/search":              true,
	"indices:data/read/msearch":             true,
	"indices:data/read/async_search/submit": true,
	"indices:data/write/delete/byquery":     true,
}

// redactFilter is the bodyFilter of a successful answer under DLS:
// role query values are redacted from its shard failures, then next (if
// any) filters it.
func redactFilter(literals []string, next bodyFilter) bodyFilter {
	return func(dst io.Writer, src io.Reader) error {
		if next == nil {
			return redactFailures(dst, src, literals)
		}
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			err := runRecovered(func() error { return redactFailures(pw, src, literals) })
			pw.CloseWithError(err)
			done <- err
		}()
		// Unblocks the redactor if next stopped early, or panicked (the
		// panic goes on to runRecovered; the redactor ends on its own).
		defer pr.CloseWithError(io.ErrClosedPipe)
		err := next(dst, pr)
		pr.CloseWithError(io.ErrClosedPipe)
		if rerr := <-done; err == nil && rerr != nil && rerr != io.ErrClosedPipe {
			err = rerr
		}
		return err
	}
}

// errorRedactingWriter passes a successful answer on and reads an error
// answer whole to redact the role query values it quotes. An error that
// cannot be read (not JSON, compressed, too long) is replaced by a generic
// one with the same status.
type errorRedactingWriter struct {
	http.ResponseWriter
	literals []string
	status   int
	buf      *bytes.Buffer
	overflow bool
}

func (e *errorRedactingWriter) WriteHeader(status int) {
	if e.status != 0 || informational(status) {
		return
	}
	e.status = status
	if status < 400 {
		e.ResponseWriter.WriteHeader(status)
		return
	}
	e.buf = &bytes.Buffer{}
}

func (e *errorRedactingWriter) Write(p []byte) (int, error) {
	if e.status == 0 {
		e.WriteHeader(http.StatusOK)
	}
	if e.buf == nil {
		return e.ResponseWriter.Write(p)
	}
	if e.buf.Len()+len(p) > maxRedactedError {
		e.overflow = true
		return len(p), nil
	}
	return e.buf.Write(p)
}

// Flush passes on a successful answer's flushes; an error is held whole.
func (e *errorRedactingWriter) Flush() {
	if e.buf == nil {
		if f, ok := e.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
	}
}

// finish writes the held error answer, redacted.
func (e *errorRedactingWriter) finish() {
	if e.buf == nil {
		return
	}
	h := e.ResponseWriter.Header()
	var out bytes.Buffer
	ok := !e.overflow && h.Get("Content-Encoding") == "" && isJSONContentType(h.Get("Content-Type")) &&
		redactFailures(&out, bytes.NewReader(e.buf.Bytes()), e.literals) == nil
	if !ok {
		if e.buf.Len() == 0 && !e.overflow {
			e.ResponseWriter.WriteHeader(e.status) // a HEAD answer, or an empty body
			return
		}
		for k := range h {
			delete(h, k)
		}
		eserr.Security(e.status, "the cluster's error answer cannot be checked by the security proxy").Write(e.ResponseWriter)
		return
	}
	h.Del("Content-Length")
	e.ResponseWriter.WriteHeader(e.status)
	_, _ = e.ResponseWriter.Write(out.Bytes())
}
