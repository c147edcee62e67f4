package esapi

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// segment is one path segment as the cluster sees it: Raw is compared with
// the literal parts of route patterns (the cluster's PathTrie matches the
// undecoded token), Dec is what a path parameter bound to it receives (the
// cluster percent-decodes parameter values).
type segment struct {
	Raw string
	Dec string
}

// splitPath splits an escaped request path the way Elasticsearch's and
// OpenSearch's RestController do, and refuses every shape on which they and
// an intermediary could disagree.
//
// The cluster splits the raw path with Java's String.split("/"): the
// leading empty token is skipped and every trailing empty token is dropped,
// so "/i/_search/" routes like "/i/_search". Literal route parts are matched
// against the raw token; parameter values are decoded per segment, so %2F
// in a segment is never a separator and %2C inside an index segment splits
// the index list.
func splitPath(escaped string) ([]segment, error) {
	if escaped == "" || escaped[0] != '/' {
		return nil, fmt.Errorf("%w: path must start with '/'", ErrBadPath)
	}
	for i := 0; i < len(escaped); i++ {
		c := escaped[i]
		switch {
		case c == '?' || c == '#':
			// The query must have been split off by the caller; a raw '#'
			// is a fragment some intermediaries strip and others forward.
			return nil, fmt.Errorf("%w: raw %q in path", ErrBadPath, c)
		case c == '\\':
			// Some URL normalisers treat '\' as '/'; the cluster does not.
			return nil, fmt.Errorf("%w: backslash in path", ErrBadPath)
		case c <= 0x20 || c >= 0x7f:
			return nil, fmt.Errorf("%w: byte 0x%02x must be percent-encoded", ErrBadPath, c)
		}
	}
	parts := strings.Split(escaped[1:], "/")
	// Java's split drops trailing empty strings: "/a/_search//" == "/a/_search".
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	segs := make([]segment, 0, len(parts))
	for _, p := range parts {
		if p == "" {
			// "//_search" binds an empty {index}, which the cluster reads as
			// "all indices"; an intermediary collapsing slashes reads
			// "/_search". Both are plausible: refuse.
			return nil, fmt.Errorf("%w: empty path segment", ErrBadPath)
		}
		dec, err := decodeComponent(p)
		if err != nil {
			return nil, err
		}
		if p == "." || p == ".." || dec == "." || dec == ".." {
			// The cluster does not resolve dot segments, HTTP libraries and
			// proxies in front of it may: refuse rather than guess.
			return nil, fmt.Errorf("%w: dot segment", ErrBadPath)
		}
		if p != dec && strings.HasPrefix(dec, "_") {
			// An encoded API name ("%5Fsearch") does not match the literal
			// route on the cluster but reads like one everywhere else.
			return nil, fmt.Errorf("%w: percent-encoded API name %q", ErrBadPath, dec)
		}
		segs = append(segs, segment{Raw: p, Dec: dec})
	}
	return segs, nil
}

// decodeComponent percent-decodes s the way the cluster's
// RestUtils.decodeComponent does with its default settings: %XX sequences
// become bytes, the bytes are read as UTF-8, and '+' stays a '+'
// (plus-as-space is off unless a JVM system property turns it on).
// Malformed escapes, invalid UTF-8 and control characters are errors: the
// cluster either rejects them or replaces them with U+FFFD, which no
// authorization decision should depend on.
func decodeComponent(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return checkDecoded(s)
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("%w: truncated percent escape", ErrBadPath)
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", fmt.Errorf("%w: invalid percent escape %q", ErrBadPath, s[i:i+3])
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return checkDecoded(string(b))
}

func checkDecoded(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: invalid UTF-8 after decoding", ErrBadPath)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "", fmt.Errorf("%w: control character after decoding", ErrBadPath)
		}
	}
	return s, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
