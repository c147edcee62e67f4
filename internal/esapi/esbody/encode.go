package esbody

import (
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
)

// Encode serializes v as compact JSON (no insignificant whitespace), member
// order and number text preserved. The output is always something ParseJSON
// accepts and parses back to an Equal tree, so a rewritten document is read
// by the cluster exactly as the proxy built it.
//
// It fails only for trees that cannot be valid JSON: a Number whose text is
// not an RFC 8259 number, a String that is not valid UTF-8, a nil member or
// element, or nesting deeper than MaxDepth.
func Encode(v Value) ([]byte, error) {
	return AppendEncode(nil, v)
}

// AppendEncode appends the encoding of v to dst (see Encode).
func AppendEncode(dst []byte, v Value) ([]byte, error) {
	return appendValue(dst, v, 0)
}

func appendValue(dst []byte, v Value, depth int) ([]byte, error) {
	switch v := v.(type) {
	case Null:
		return append(dst, "null"...), nil
	case Bool:
		if v {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case Number:
		// jsontext validates the literal against the JSON number grammar,
		// so a hand-made Number("1e") or Number("NaN") cannot slip out.
		// IsValid tolerates surrounding whitespace; a number always starts
		// with '-' or a digit and ends with a digit.
		raw := jsontext.Value(v)
		if len(v) == 0 || len(v) > MaxNumberLength || v[len(v)-1] < '0' || v[len(v)-1] > '9' ||
			(v[0] != '-' && (v[0] < '0' || v[0] > '9')) || !raw.IsValid() {
			return dst, fmt.Errorf("esbody: %q is not a JSON number", string(v))
		}
		return append(dst, v...), nil
	case String:
		out, err := jsontext.AppendQuote(dst, string(v))
		if err != nil {
			return dst, fmt.Errorf("esbody: string is not valid UTF-8: %w", err)
		}
		return out, nil
	case Array:
		if depth >= MaxDepth {
			return dst, fmt.Errorf("esbody: nesting deeper than %d levels", MaxDepth)
		}
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendValue(dst, e, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case *Object:
		if v == nil {
			return dst, fmt.Errorf("esbody: nil object")
		}
		if depth >= MaxDepth {
			return dst, fmt.Errorf("esbody: nesting deeper than %d levels", MaxDepth)
		}
		// Names are unique by construction (parser, NewObject and Set all
		// keep them so), so no duplicate check is needed here.
		dst = append(dst, '{')
		for i, m := range v.members {
			if i > 0 {
				dst = append(dst, ',')
			}
			out, err := jsontext.AppendQuote(dst, m.Name)
			if err != nil {
				return dst, fmt.Errorf("esbody: member name is not valid UTF-8: %w", err)
			}
			dst = append(out, ':')
			if dst, err = appendValue(dst, m.Value, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case nil:
		return dst, fmt.Errorf("esbody: nil value")
	}
	return dst, fmt.Errorf("esbody: unknown value type %T", v)
}
