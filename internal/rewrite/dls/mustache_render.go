package dls

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// maxRenderedBytes bounds a rendered role query: sections over user
// metadata multiply output, and a role query is never this large.
const maxRenderedBytes = 1 << 20

// renderer renders one template against a scope stack.
type renderer struct {
	out   []byte
	scope []esbody.Value // innermost last
}

// render renders t with the given root scope.
func (t *template) render(root esbody.Value) (string, error) {
	r := &renderer{scope: []esbody.Value{root}}
	if err := r.nodes(t.nodes); err != nil {
		return "", err
	}
	return string(r.out), nil
}

func (r *renderer) nodes(nodes []node) error {
	for i := range nodes {
		if err := r.node(&nodes[i]); err != nil {
			return err
		}
		if len(r.out) > maxRenderedBytes {
			return fmt.Errorf("%w: rendered query is larger than %d bytes", errTemplate, maxRenderedBytes)
		}
	}
	return nil
}

func (r *renderer) node(n *node) error {
	switch n.kind {
	case nodeText:
		r.out = append(r.out, n.text...)
	case nodeValue:
		v, err := r.lookup(n.text)
		if err != nil {
			return err
		}
		return r.scalar(n.text, v)
	case nodeSection:
		return r.section(n)
	case nodeInverted:
		v, err := r.lookup(n.text)
		if err != nil {
			return err
		}
		if falsy(v) {
			return r.nodes(n.children)
		}
	case nodeToJSON:
		return r.toJSON(n.text)
	case nodeJoin:
		return r.join(n.text, n.delim)
	case nodeURL:
		return r.url(n.children)
	}
	return nil
}

// scalar writes a value tag: strings JSON-escaped (Elasticsearch compiles
// role templates with the JSON content type), numbers and booleans as
// text, missing and null as nothing. Arrays and objects are refused:
// mustache.java would print Java's toString of them ("{0=a, 1=b}"), which
// is never a meaningful query; {{#toJson}} is the way to embed them.
func (r *renderer) scalar(name string, v esbody.Value) error {
	switch v := v.(type) {
	case nil, esbody.Null:
	case esbody.String:
		r.out = appendJSONEscaped(r.out, string(v))
	case esbody.Number:
		r.out = append(r.out, v...)
	case esbody.Bool:
		r.out = strconv.AppendBool(r.out, bool(v))
	default:
		return fmt.Errorf("%w: {{%s}} is a %s; use {{#toJson}}%s{{/toJson}} or {{#join}}%s{{/join}}", errTemplate, name, v.Kind(), name, name)
	}
	return nil
}

// section renders {{#name}}: once per element of an array, once with the
// value pushed for any other truthy value, not at all for falsy ones.
func (r *renderer) section(n *node) error {
	v, err := r.lookup(n.text)
	if err != nil || falsy(v) {
		return err
	}
	items := esbody.Array{v}
	if a, ok := v.(esbody.Array); ok {
		items = a
	}
	for _, item := range items {
		r.scope = append(r.scope, item)
		err := r.nodes(n.children)
		r.scope = r.scope[:len(r.scope)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// toJSON renders {{#toJson}}name{{/toJson}}: arrays and objects as JSON;
// scalars as text; missing and null as nothing (Elasticsearch's ToJsonCode).
// A string is JSON-escaped, where Elasticsearch prints it raw: a raw user
// string would be an injection point.
func (r *renderer) toJSON(name string) error {
	v, err := r.lookup(name)
	if err != nil {
		return err
	}
	switch v.(type) {
	case esbody.Array, *esbody.Object:
		b, err := esbody.AppendEncode(r.out, v)
		if err != nil {
			return fmt.Errorf("%w: {{#toJson}}%s: %v", errTemplate, name, err)
		}
		r.out = b
		return nil
	}
	return r.scalar(name, v)
}

// join renders {{#join}}name{{/join}}: the elements of an array joined by
// the delimiter. Elements are JSON-escaped (Elasticsearch writes them raw,
// which would let a user value end the JSON string); the delimiter is the
// role author's and is written as is. A name that is not an array renders
// as the name itself, as in Elasticsearch.
func (r *renderer) join(name, delim string) error {
	v, err := r.lookup(name)
	if err != nil {
		return err
	}
	a, ok := v.(esbody.Array)
	if !ok {
		r.out = appendJSONEscaped(r.out, name)
		return nil
	}
	for i, e := range a {
		if i > 0 {
			r.out = append(r.out, delim...)
		}
		switch e.(type) {
		case esbody.String, esbody.Number, esbody.Bool:
			if err := r.scalar(name, e); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: {{#join}}%s: element %d is a %s", errTemplate, name, i, e.Kind())
		}
	}
	return nil
}

// url renders {{#url}}…{{/url}}: the content, rendered as usual, then
// form-encoded like java.net.URLEncoder (whose output is safe anywhere in
// JSON).
func (r *renderer) url(children []node) error {
	start := len(r.out)
	if err := r.nodes(children); err != nil {
		return err
	}
	inner := string(r.out[start:])
	r.out = appendFormEncoded(r.out[:start], inner)
	return nil
}

// lookup resolves a (dotted) name the way mustache.java does: "." is the
// current scope; otherwise each scope, innermost first, is tried with the
// whole path, and the first that resolves it wins. Arrays answer "size" and
// element indices, as in Elasticsearch's CustomReflectionObjectHandler. A
// name that resolves nowhere is missing (nil, no error).
func (r *renderer) lookup(name string) (esbody.Value, error) {
	if name == "." {
		return r.scope[len(r.scope)-1], nil
	}
	parts := strings.Split(name, ".")
	for i := len(r.scope) - 1; i >= 0; i-- {
		v, found, err := resolvePath(r.scope[i], parts)
		if err != nil {
			return nil, fmt.Errorf("%w: {{%s}}: %v", errTemplate, name, err)
		}
		if found {
			return v, nil
		}
	}
	return nil, nil
}

func resolvePath(v esbody.Value, parts []string) (esbody.Value, bool, error) {
	for _, p := range parts {
		switch cur := v.(type) {
		case *esbody.Object:
			next, ok := cur.Get(p)
			if !ok {
				return nil, false, nil
			}
			v = next
		case esbody.Array:
			next, ok, err := arrayMember(cur, p)
			if err != nil || !ok {
				return nil, false, err
			}
			v = next
		default:
			return nil, false, nil
		}
	}
	return v, true, nil
}

// arrayMember answers "size" and decimal indices on an array. An index out
// of range is an error, as it is in Elasticsearch (IndexOutOfBounds), so a
// role query never silently loses a clause.
func arrayMember(a esbody.Array, p string) (esbody.Value, bool, error) {
	if p == "size" {
		return esbody.IntNumber(int64(len(a))), true, nil
	}
	if p == "" || strings.TrimLeft(p, "0123456789") != "" {
		return nil, false, nil
	}
	i, err := strconv.Atoi(p)
	if err != nil || i >= len(a) {
		return nil, false, fmt.Errorf("index %s out of range for an array of %d elements", p, len(a))
	}
	return a[i], true, nil
}

// falsy is mustache.java's notion of an empty section value: missing,
// null, false, the empty string and the empty array. Numbers (even 0) and
// objects (even {}) are truthy.
func falsy(v esbody.Value) bool {
	switch v := v.(type) {
	case nil, esbody.Null:
		return true
	case esbody.Bool:
		return !bool(v)
	case esbody.String:
		return v == ""
	case esbody.Array:
		return len(v) == 0
	}
	return false
}

// appendJSONEscaped escapes s for the inside of a JSON string the way
// Jackson's JsonStringEncoder.quoteAsString does: quote, backslash and
// control characters; nothing else. Invalid UTF-8 is replaced by U+FFFD so
// the output is always a valid JSON string body.
func appendJSONEscaped(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, "\uFFFD"...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			} else {
				dst = append(dst, c)
			}
		}
		i++
	}
	return dst
}

// appendFormEncoded encodes s like java.net.URLEncoder with UTF-8: letters,
// digits and ".-*_" stay, space becomes '+', every other byte %XX.
func appendFormEncoded(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-', c == '*', c == '_':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', hex[c>>4], hex[c&0xF])
		}
	}
	return dst
}
