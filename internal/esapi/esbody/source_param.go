package esbody

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Query parameters that carry a body instead of the request content.
const (
	paramSource            = "source"
	paramSourceContentType = "source_content_type"
)

// queryParam is one name/value pair of a query string as Elasticsearch's
// RestUtils.decodeQueryString splits it, with its raw extent so the pair can
// be removed from the query without re-encoding the others.
type queryParam struct {
	name, value string
	raw         string // the undecoded "name=value" segment
}

// splitQuery splits a raw query string exactly like RestUtils.decodeQueryString:
//   - it stops at the first '#';
//   - pairs are separated by '&' or ';' (Go's url.ParseQuery rejects ';');
//   - the name ends at the first '=', later '=' belong to the value;
//   - a segment without '=' is a name with an empty value, and an '='
//     with nothing before it is skipped, so "=x" is quirkily the name "x"
//     with an empty value (see splitPair);
//   - names and values are percent-decoded with '+' as space and "%%" as
//     '%' (decodeComponent), and a bad escape fails the whole request.
//
// Decoded bytes that are not valid UTF-8 are refused: Java would replace
// them with U+FFFD, which a Go reader would not.
func splitQuery(raw string) ([]queryParam, error) {
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	var out []queryParam
	for _, seg := range strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' }) {
		rawName, rawValue, ok := splitPair(seg)
		if !ok {
			continue
		}
		name, err := decodeComponent(rawName)
		if err != nil {
			return nil, err
		}
		value, err := decodeComponent(rawValue)
		if err != nil {
			return nil, err
		}
		out = append(out, queryParam{name: name, value: value, raw: seg})
	}
	return out, nil
}

// splitPair is decodeQueryString's state machine for one segment: the name
// is what precedes the first '=' that has something before it; an '=' with
// nothing before it is skipped; a segment left without a name becomes a
// name with an empty value ("=x" is the parameter x). ok is false when the
// segment yields no parameter at all ("=").
func splitPair(seg string) (name, value string, ok bool) {
	pos, named := 0, false
	for i := 0; i < len(seg); i++ {
		if seg[i] == '=' && !named {
			if pos != i {
				name, named = seg[pos:i], true
			}
			pos = i + 1
		}
	}
	switch {
	case pos != len(seg) && !named:
		return seg[pos:], "", true
	case pos != len(seg):
		return name, seg[pos:], true
	case named:
		return name, "", true
	}
	return "", "", false
}

// decodeComponent is Elasticsearch's query-string decoding: '+' is a space,
// "%%" is '%', "%XY" is a byte, anything else is copied.
func decodeComponent(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			switch {
			case i == len(s)-1:
				return "", fmt.Errorf("unterminated escape sequence at end of string: %s", s)
			case s[i+1] == '%':
				b = append(b, '%')
				i++
			case i+2 > len(s)-1:
				return "", fmt.Errorf("partial escape sequence at end of string: %s", s)
			default:
				hi, lo := unhex(s[i+1]), unhex(s[i+2])
				if hi < 0 || lo < 0 {
					return "", fmt.Errorf("invalid escape sequence `%%%s' at index %d of: %s", s[i+1:i+3], i, s)
				}
				b = append(b, byte(hi<<4|lo))
				i += 2
			}
		default:
			b = append(b, c)
		}
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("decoded parameter is not valid UTF-8: %s", s)
	}
	return string(b), nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// ParseQuery decodes a raw query string the way Elasticsearch does (see
// splitQuery for the differences from net/url), keeping every value of a
// repeated name in order. Other parts of the proxy that read query
// parameters the cluster acts on should use it instead of url.ParseQuery.
func ParseQuery(rawQuery string) (url.Values, error) {
	params, err := splitQuery(rawQuery)
	if err != nil {
		return nil, err
	}
	v := url.Values{}
	for _, p := range params {
		v[p.name] = append(v[p.name], p.value)
	}
	return v, nil
}

// sourceParam is the body carried by ?source=…&source_content_type=….
type sourceParam struct {
	present     bool
	body        []byte
	contentType string
}

// findSourceParam looks for the source parameter in the request URI as the
// cluster will see it. RestRequest.contentOrSourceParam uses it, with
// source_content_type, whenever the request has no content. The raw
// parameters must be ASCII: when no percent-escape needs decoding the
// cluster keeps the request line's bytes as Latin-1 characters and then
// re-encodes them to UTF-8, so raw UTF-8 bytes would reach it double-encoded.
func findSourceParam(r *http.Request) (sourceParam, *Error) {
	uri := r.RequestURI
	if uri == "" && r.URL != nil {
		uri = r.URL.RequestURI()
	}
	q := strings.IndexByte(uri, '?')
	if h := strings.IndexByte(uri, '#'); h >= 0 && (q < 0 || h < q) {
		// The cluster cuts the URI at the first '#', even in the path.
		return sourceParam{}, nil
	}
	if q < 0 {
		return sourceParam{}, nil
	}
	params, err := splitQuery(uri[q+1:])
	if err != nil {
		return sourceParam{}, badRequest(TypeIllegalArgument, "invalid query string: %v", err)
	}
	var sp sourceParam
	var sources, types int
	for _, p := range params {
		switch p.name {
		case paramSource:
			sources++
			sp.present, sp.body = true, []byte(p.value)
		case paramSourceContentType:
			types++
			sp.contentType = p.value
		default:
			continue
		}
		if !isASCII(p.raw) {
			return sourceParam{}, badRequest(TypeIllegalArgument,
				"query parameter [%s] must be percent-encoded ASCII", p.name)
		}
	}
	if sources > 1 || types > 1 {
		return sourceParam{}, badRequest(TypeIllegalArgument,
			"the [source] and [source_content_type] parameters may each be given once")
	}
	if !sp.present && types > 0 {
		// source_content_type without source is inert for the cluster.
		sp.contentType = ""
	}
	return sp, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// stripSourceParams removes every source and source_content_type pair from a
// raw query, keeping the other pairs byte for byte, so the request forwarded
// with the body in its content carries the body only once.
func stripSourceParams(rawQuery string) string {
	frag := ""
	if i := strings.IndexByte(rawQuery, '#'); i >= 0 {
		rawQuery, frag = rawQuery[:i], rawQuery[i:]
	}
	var kept []string
	for _, seg := range strings.FieldsFunc(rawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		params, err := splitQuery(seg)
		if err == nil && len(params) == 1 && (params[0].name == paramSource || params[0].name == paramSourceContentType) {
			continue
		}
		kept = append(kept, seg)
	}
	return strings.Join(kept, "&") + frag
}
