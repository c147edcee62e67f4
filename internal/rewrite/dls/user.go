package dls

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// User is what a role template may read about the caller: the _user
// variables of Elasticsearch's templated role queries. The server fills it
// from the authenticated principal (authn.Principal has the same fields).
type User struct {
	Username string
	FullName string
	Email    string
	Roles    []string
	// Metadata holds realm attributes (JSON-like values: nil, bool,
	// string, numbers, json.Number, slices and string-keyed maps).
	Metadata map[string]any
}

// model returns the _user object templates see, as Elasticsearch builds it
// (SecurityQueryTemplateEvaluator): username, full_name, email, roles,
// metadata. Absent full name and email are null, as in Elasticsearch.
func (u User) model() (*esbody.Object, error) {
	meta, err := toValue(u.Metadata, 0)
	if err != nil {
		return nil, fmt.Errorf("user metadata: %w", err)
	}
	if meta == nil || esbody.IsNull(meta) {
		meta = &esbody.Object{}
	}
	roles := make(esbody.Array, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = esbody.String(validUTF8(r))
	}
	o := &esbody.Object{}
	o.Set("username", esbody.String(validUTF8(u.Username)))
	o.Set("full_name", optionalString(u.FullName))
	o.Set("email", optionalString(u.Email))
	o.Set("roles", roles)
	o.Set("metadata", meta)
	return o, nil
}

func optionalString(s string) esbody.Value {
	if s == "" {
		return esbody.Null{}
	}
	return esbody.String(validUTF8(s))
}

// validUTF8 replaces each invalid byte with U+FFFD: Go strings from a realm
// may hold any bytes, a JSON document may not, and a Java string (what
// Elasticsearch renders from) cannot.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

// maxMetadataDepth bounds the nesting of user metadata, so a hostile claim
// cannot make rendering recurse without end.
const maxMetadataDepth = 64

// toValue converts a JSON-like Go value into an esbody.Value. Map keys are
// sorted so that rendering (and so the cache) is deterministic. Any other
// type is an error: a template must never render a value the proxy cannot
// describe exactly.
func toValue(v any, depth int) (esbody.Value, error) {
	if depth > maxMetadataDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxMetadataDepth)
	}
	switch v := v.(type) {
	case nil:
		return esbody.Null{}, nil
	case bool:
		return esbody.Bool(v), nil
	case string:
		return esbody.String(validUTF8(v)), nil
	case json.Number:
		n := esbody.Number(v)
		if _, err := esbody.Encode(n); err != nil {
			return nil, fmt.Errorf("invalid number %q", string(v))
		}
		return n, nil
	case float64:
		return floatValue(v)
	case float32:
		return floatValue(float64(v))
	case int, int8, int16, int32, int64:
		return esbody.IntNumber(reflect.ValueOf(v).Int()), nil
	case uint, uint8, uint16, uint32, uint64:
		return esbody.Number(strconv.FormatUint(reflect.ValueOf(v).Uint(), 10)), nil
	case []string:
		a := make(esbody.Array, len(v))
		for i, s := range v {
			a[i] = esbody.String(validUTF8(s))
		}
		return a, nil
	case []any:
		a := make(esbody.Array, len(v))
		for i, e := range v {
			ev, err := toValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			a[i] = ev
		}
		return a, nil
	case map[string]string:
		o := &esbody.Object{}
		for _, k := range sortedKeys(v) {
			o.Set(validUTF8(k), esbody.String(validUTF8(v[k])))
		}
		return o, nil
	case map[string]any:
		o := &esbody.Object{}
		for _, k := range sortedKeys(v) {
			ev, err := toValue(v[k], depth+1)
			if err != nil {
				return nil, err
			}
			o.Set(validUTF8(k), ev)
		}
		return o, nil
	case esbody.Value:
		return esbody.Clone(v), nil
	}
	return nil, fmt.Errorf("unsupported value of type %T", v)
}

// floatValue renders a float64 the way a JSON decoder produced it: whole
// numbers without a fraction (a claim 42 decoded as float64 renders "42",
// as Jackson's Integer would), others in the shortest exact form.
func floatValue(f float64) (esbody.Value, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("number %v has no JSON form", f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return esbody.Number(strconv.FormatFloat(f, 'f', -1, 64)), nil
	}
	return esbody.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
