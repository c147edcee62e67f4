package esbody

import (
	"fmt"
	"net/http"
	"strings"
)

// Canonical media types of an accepted body.
const (
	// MediaJSON is application/json and everything the cluster maps to it
	// (application/*, application/vnd.elasticsearch+json).
	MediaJSON = "application/json"
	// MediaNDJSON is application/x-ndjson and its vendor variant.
	MediaNDJSON = "application/x-ndjson"
)

// mediaType is a Content-Type parsed the way Elasticsearch's ParsedMediaType
// parses it: lower-cased, "type/subtype" made of RFC 7230 token characters,
// then ";key=value" parameters.
type mediaType struct {
	typ, sub string
	params   map[string]string
}

func (m mediaType) essence() string { return m.typ + "/" + m.sub }

// isTchar reports whether s is a non-empty RFC 7230 token.
func isTchar(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseMediaType mirrors ParsedMediaType.parseMediaType. ok=false with a nil
// error means "a media range" (a ',' or */*), which the cluster treats as no
// usable type; a non-nil error is a malformed header, which the cluster
// answers with 400 media_type_header_exception.
func parseMediaType(v string) (m mediaType, ok bool, err error) {
	if strings.Contains(v, ",") || v == "*/*" {
		return mediaType{}, false, nil
	}
	elems := strings.Split(strings.ToLower(v), ";")
	ts := strings.Split(elems[0], "/")
	if len(ts) != 2 || !isTchar(strings.TrimSpace(ts[0])) || !isTchar(strings.TrimSpace(ts[1])) {
		return mediaType{}, false, fmt.Errorf("invalid media-type [%s]", v)
	}
	m = mediaType{typ: strings.TrimSpace(ts[0]), sub: strings.TrimSpace(ts[1]), params: map[string]string{}}
	for _, p := range elems[1:] {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		// Spaces are allowed between parameters but not around '='.
		kv := strings.Split(p, "=")
		if len(kv) != 2 || kv[0] == "" || kv[1] == "" ||
			strings.TrimRight(kv[0], " \t") != kv[0] || strings.TrimLeft(kv[1], " \t") != kv[1] {
			return mediaType{}, false, fmt.Errorf("invalid parameters for header [%s]", v)
		}
		m.params[strings.TrimSpace(kv[0])] = strings.TrimSpace(kv[1])
	}
	return m, true, nil
}

// contentKind is what the cluster's media type registry makes of a type.
type contentKind int

const (
	kindUnknown    contentKind = iota // not in the registry: the cluster answers 406
	kindJSON                          // parsed with the JSON XContent
	kindNDJSON                        // JSON, NDJSON spelling
	kindBinary                        // SMILE, CBOR or YAML: the cluster parses it, the proxy cannot
	kindSafelisted                    // CORS-safelisted types the cluster refuses (CSRF protection)
)

// classify maps a parsed media type like XContentType's registry does:
// application/json, application/x-ndjson and application/* are JSON;
// application/vnd.elasticsearch+json and +x-ndjson are JSON when their
// compatible-with parameter, if any, is a number; smile, cbor and yaml (and
// their vendor forms) are other formats; text/plain,
// application/x-www-form-urlencoded and multipart/form-data are refused by
// the cluster since 8.0 before any parsing.
func classify(m mediaType) contentKind {
	switch m.essence() {
	case "application/json", "application/*":
		return kindJSON
	case "application/x-ndjson":
		return kindNDJSON
	case "application/vnd.elasticsearch+json", "application/vnd.elasticsearch+x-ndjson":
		if v, ok := m.params["compatible-with"]; ok && !isDigits(v) {
			return kindUnknown
		}
		if m.sub == "vnd.elasticsearch+x-ndjson" {
			return kindNDJSON
		}
		return kindJSON
	case "application/smile", "application/cbor", "application/yaml",
		"application/vnd.elasticsearch+smile", "application/vnd.elasticsearch+cbor", "application/vnd.elasticsearch+yaml":
		return kindBinary
	case "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
		return kindSafelisted
	}
	return kindUnknown
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// headerContentType validates the Content-Type header(s) the way the
// cluster's RestRequest constructor does, before anything looks at the body:
// more than one header or an empty or malformed value is a 400. It returns
// the single value ("" when absent).
func headerContentType(h http.Header) (string, *Error) {
	vals := h.Values("Content-Type")
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", mediaHeaderError("only one Content-Type header may be sent")
	case strings.TrimSpace(vals[0]) == "":
		return "", mediaHeaderError("Header [Content-Type] cannot be empty.")
	}
	if _, _, err := parseMediaType(vals[0]); err != nil {
		return "", mediaHeaderError(err.Error())
	}
	return vals[0], nil
}

func mediaHeaderError(cause string) *Error {
	return newError(http.StatusBadRequest, TypeMediaTypeHeader,
		"Invalid media-type value on headers [Content-Type]: "+cause)
}

// acceptContentType decides whether a body declared with value (a header
// value, or the source_content_type parameter) is one the proxy parses, and
// returns its canonical media type. Refusals use the cluster's own 406
// message, "Content-Type header [x] is not supported"; the proxy also
// refuses the binary formats the cluster would accept, since it cannot
// parse them, and any charset other than UTF-8 (the cluster ignores the
// parameter, a client that sends it expects something else).
func acceptContentType(value string) (string, *Error) {
	if value == "" {
		return "", newError(http.StatusNotAcceptable, TypeIllegalArgument, "Content-Type header is missing")
	}
	unsupported := newError(http.StatusNotAcceptable, TypeIllegalArgument,
		fmt.Sprintf("Content-Type header [%s] is not supported", value))
	m, ok, err := parseMediaType(value)
	if err != nil {
		return "", mediaHeaderError(err.Error())
	}
	if !ok {
		return "", unsupported
	}
	var media string
	switch classify(m) {
	case kindJSON:
		media = MediaJSON
	case kindNDJSON:
		media = MediaNDJSON
	case kindBinary:
		unsupported.Reason += " by the proxy: only JSON bodies can be checked"
		return "", unsupported
	default:
		return "", unsupported
	}
	if cs, ok := m.params["charset"]; ok && cs != "utf-8" && cs != "utf8" {
		return "", newError(http.StatusUnsupportedMediaType, TypeIllegalArgument,
			fmt.Sprintf("charset [%s] of Content-Type header [%s] is not supported: only UTF-8 bodies are accepted", cs, value))
	}
	return media, nil
}

// sniffFormat names the non-JSON format a body without a usable Content-Type
// looks like, using the same signatures XContentFactory.xContentType uses,
// so refusals can say what was sent. It returns "" when nothing matches.
func sniffFormat(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == ':' && b[1] == ')' && b[2] == '\n':
		return "SMILE"
	case len(b) >= 3 && b[0] == 0xD9 && b[1] == 0xD9 && b[2] == 0xF7:
		return "CBOR"
	case len(b) >= 1 && b[0]>>5 == 5: // CBOR major type 5: a map, definite or indefinite length
		return "CBOR"
	case len(b) >= 3 && string(b[:3]) == "---":
		return "YAML"
	}
	return ""
}
