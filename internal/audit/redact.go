package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"
	"unicode"
)

// Redacted replaces every credential removed from a request body.
const Redacted = "::es_redacted::"

// sensitiveKeyParts: an object key containing one of these (case-insensitive)
// has its whole value replaced, wherever it is in the body. With
// isSensitiveKey's "ends in token" rule this covers Elasticsearch's filtered
// fields (password and password_hash of _security/user,
// password/refresh_token/kerberos_ticket of oauth2/token,
// password/access_token of api_key/grant and profile/_activate, …) and
// secrets in other APIs (repository secret_key/access_key, watcher auth
// passwords), without catching analysis settings such as token_chars.
func sensitiveKeyParts() []string {
	return []string{
		"password", "passwd", "passphrase", "secret", "credential",
		"api_key", "apikey", "private_key", "privatekey", "access_key",
		"kerberos_ticket", "authorization", "client_authentication",
	}
}

// pathSensitiveKeys are keys that hold credentials only on some endpoints:
// the SAML response, the OIDC redirect (it carries the code) and the PKI
// certificate chain being delegated.
func pathSensitiveKeys(path string) []string {
	switch {
	case strings.Contains(path, "/_security/saml/"):
		return []string{"content", "ids"}
	case strings.Contains(path, "/_security/oidc/"):
		return []string{"redirect_uri", "state", "nonce"}
	case strings.Contains(path, "/_security/delegate_pki"):
		return []string{"x509_certificate_chain"}
	}
	return nil
}

// isSensitiveKey: a key containing a sensitiveKeyParts word, ending in
// "token" (token, access_token, refresh_token, idToken…), or one of the
// endpoint's extra keys.
func isSensitiveKey(key string, extra []string) bool {
	k := foldKey(key)
	if strings.HasSuffix(k, "token") {
		return true
	}
	for _, p := range sensitiveKeyParts() {
		if strings.Contains(k, p) {
			return true
		}
	}
	for _, e := range extra {
		if k == e {
			return true
		}
	}
	return false
}

// RedactBody returns the request body for request.body with credentials
// removed. A JSON body (or NDJSON, one document per line, as for _bulk and
// _msearch) keeps its structure: the value of every sensitive key is replaced
// by Redacted, and the result is compact valid JSON. A body that is not JSON
// is kept verbatim unless it mentions a sensitive word, in which case it is
// replaced by Redacted as a whole: what cannot be parsed cannot be filtered.
func RedactBody(path, body string) string {
	if strings.TrimSpace(body) == "" {
		return ""
	}
	extra := pathSensitiveKeys(path)
	out, err := redactJSON(body, extra)
	if err == nil {
		return out
	}
	low := strings.ToLower(body)
	for _, p := range append(sensitiveKeyParts(), append(extra, "token")...) {
		if strings.Contains(low, p) {
			return Redacted
		}
	}
	return body
}

func redactJSON(body string, extra []string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	docs := 0
	for dec.More() {
		if docs > 0 {
			out.WriteByte('\n') // NDJSON: one document per line
		}
		if err := redactValue(dec, &out, extra); err != nil {
			return "", err
		}
		docs++
	}
	// Anything left that is not a value (a stray '}' or ']') is an error.
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("trailing data")
		}
		return "", err
	}
	if strings.HasSuffix(strings.TrimRight(body, " \t\r"), "\n") && docs > 1 {
		out.WriteByte('\n')
	}
	return out.String(), nil
}

// redactValue copies the next JSON value from dec to out, replacing the
// values of sensitive keys.
func redactValue(dec *json.Decoder, out *bytes.Buffer, extra []string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			for n := 0; dec.More(); n++ {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, ok := kt.(string)
				if !ok {
					return errors.New("object key is not a string")
				}
				if n > 0 {
					out.WriteByte(',')
				}
				out.Write(appendJSONString(nil, key))
				out.WriteByte(':')
				if isSensitiveKey(key, extra) {
					if err := skipValue(dec); err != nil {
						return err
					}
					out.Write(appendJSONString(nil, Redacted))
					continue
				}
				if err := redactValue(dec, out, extra); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return err
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for n := 0; dec.More(); n++ {
				if n > 0 {
					out.WriteByte(',')
				}
				if err := redactValue(dec, out, extra); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return err
			}
			out.WriteByte(']')
		default:
			return errors.New("unexpected delimiter")
		}
	case string:
		out.Write(appendJSONString(nil, t))
	case json.Number:
		out.WriteString(t.String())
	case bool:
		if t {
			out.WriteString("true")
		} else {
			out.WriteString("false")
		}
	case nil:
		out.WriteString("null")
	}
	return nil
}

// skipValue consumes the next JSON value, however nested.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// foldKey is key case-folded the way JSON decoders match field names
// (Unicode simple folding: "paſſword" and "PASSWORD" both become
// "password"), so that no spelling a decoder would take for a sensitive
// field escapes redaction.
func foldKey(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	for _, r := range key {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(unicode.ToLower(least))
	}
	return b.String()
}

// RedactQuery returns the query string of a request (url.query, without the
// '?') with credentials removed, so that a body sent in the `source`
// parameter, or a parameter named like a credential, is never written in
// clear text. Events of requests refused before their body was read (failed
// authentication, refused framing, an unknown endpoint) still carry the
// client's query as sent, `source` included.
//
// Pairs are split on '&' and ';' and names decoded as Elasticsearch does
// (leading '=' skipped, '+' as space); separators and untouched pairs are
// kept byte for byte. The value of `source` is redacted like a body
// (RedactBody) and re-encoded when that changed it; the value of a
// parameter whose name is a sensitive key is replaced by Redacted. A pair
// whose name cannot be decoded is replaced by Redacted as a whole when it
// mentions a sensitive word or "source".
func RedactQuery(path, rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	extra := pathSensitiveKeys(path)
	var b strings.Builder
	changed := false
	start := 0
	for i := 0; i <= len(rawQuery); i++ {
		if i < len(rawQuery) && rawQuery[i] != '&' && rawQuery[i] != ';' {
			continue
		}
		seg := rawQuery[start:i]
		red := redactQueryPair(path, seg, extra)
		if red != seg {
			changed = true
		}
		b.WriteString(red)
		if i < len(rawQuery) {
			b.WriteByte(rawQuery[i])
		}
		start = i + 1
	}
	if !changed {
		return rawQuery
	}
	return b.String()
}

// redactQueryPair redacts one "name=value" segment of a query string.
func redactQueryPair(path, seg string, extra []string) string {
	lead := len(seg) - len(strings.TrimLeft(seg, "="))
	rawName, rawValue, hasValue := strings.Cut(seg[lead:], "=")
	name, err := url.QueryUnescape(rawName)
	if err != nil {
		low := strings.ToLower(seg)
		for _, p := range append(sensitiveKeyParts(), append(extra, "token", "source")...) {
			if strings.Contains(low, p) {
				return Redacted
			}
		}
		return seg
	}
	if !hasValue || rawValue == "" {
		return seg
	}
	prefix := seg[:lead] + rawName + "="
	if isSensitiveKey(name, extra) {
		return prefix + url.QueryEscape(Redacted)
	}
	if foldKey(name) != "source" {
		return seg
	}
	value, err := url.QueryUnescape(rawValue)
	if err != nil {
		return prefix + url.QueryEscape(Redacted)
	}
	if red := RedactBody(path, value); red != value && strings.Contains(red, Redacted) {
		return prefix + url.QueryEscape(red)
	}
	return seg
}
