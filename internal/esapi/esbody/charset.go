package esbody

import (
	"bytes"
	"fmt"
	"net/http"
	"unicode/utf8"
)

// utf8BOM is the UTF-8 byte order mark.
const utf8BOM = "\xEF\xBB\xBF"

// checkCharset makes sure the body is UTF-8 text the way the cluster will
// decode it, and returns it without a leading UTF-8 byte order mark.
//
// Jackson never looks at the charset parameter; its ByteSourceJsonBootstrapper
// guesses the encoding from the first four bytes: a UTF-8 BOM is skipped, a
// UTF-16 or UTF-32 BOM selects that encoding, and without a BOM zero bytes in
// the first two or four bytes select UTF-16 or UTF-32 (BE or LE). So a UTF-16
// body with no charset at all is parsed by the cluster, and a proxy reading
// it as UTF-8 sees something else. We refuse every such body (415), strip a
// UTF-8 BOM like Jackson (the forwarded body then has none, so both sides
// parse the same bytes), and refuse invalid UTF-8 (400), which Jackson would
// refuse too, or worse, decode leniently.
func checkCharset(b []byte) ([]byte, *Error) {
	if name := detectWideEncoding(b); name != "" {
		return nil, newError(http.StatusUnsupportedMediaType, TypeIllegalArgument, fmt.Sprintf(
			"request body looks like %s, which Elasticsearch would auto-detect and decode; only UTF-8 bodies are accepted", name))
	}
	b = bytes.TrimPrefix(b, []byte(utf8BOM))
	if !utf8.Valid(b) {
		off := invalidUTF8Offset(b)
		e := newError(http.StatusBadRequest, TypeParseException, fmt.Sprintf(
			"request body is not valid UTF-8 (first invalid byte at offset %d)", off))
		e.Offset = int64(off)
		return nil, e
	}
	return b, nil
}

// detectWideEncoding names the non-UTF-8 Unicode encoding Jackson would pick
// for a body starting with b, or returns "". A leading UTF-8 byte order mark
// is looked through: the proxy forwards the body without it, and the
// cluster then guesses the encoding from the bytes that followed it
// ("\uFEFF0\x00" is UTF-8 with a mark here, but "0\x00", UTF-16LE "0",
// there).
func detectWideEncoding(b []byte) string {
	if name := wideEncodingAtStart(b); name != "" {
		return name
	}
	if rest, ok := bytes.CutPrefix(b, []byte(utf8BOM)); ok {
		return wideEncodingAtStart(rest)
	}
	return ""
}

// wideEncodingAtStart is detectWideEncoding for the bytes the cluster's
// encoding detection sees first.
func wideEncodingAtStart(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0, 0, 0xFE, 0xFF}):
		return "UTF-32BE (byte order mark)"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0, 0}):
		return "UTF-32LE (byte order mark)"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return "UTF-16BE (byte order mark)"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return "UTF-16LE (byte order mark)"
	}
	// Without a BOM, Jackson checks the first four bytes for zeros. No UTF-8
	// JSON text can contain a zero byte (outside strings it is not
	// whitespace, inside strings it must be escaped), so any zero there
	// means the cluster would decode the body as UTF-16 or UTF-32.
	head := b[:min(len(b), 4)]
	if bytes.IndexByte(head, 0) >= 0 {
		return "UTF-16 or UTF-32 (zero bytes at the start, no byte order mark)"
	}
	return ""
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}
