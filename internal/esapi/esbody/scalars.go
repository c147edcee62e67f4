package esbody

import (
	"strings"
)

// The helpers below read scalar fields of metadata objects (bulk action
// lines, msearch headers, mget docs). Elasticsearch reads most of them with
// parser.text() or Object.toString(), which turn numbers and booleans into
// text. The helpers accept only the forms whose meaning is unambiguous on
// both sides and report ok=false for the rest, which the callers refuse.

// jacksonToken names the Jackson token Elasticsearch would report for v, so
// refusals read like the cluster's own messages.
func jacksonToken(v Value) string {
	switch v.(type) {
	case *Object:
		return "START_OBJECT"
	case Array:
		return "START_ARRAY"
	case String:
		return "VALUE_STRING"
	case Number:
		return "VALUE_NUMBER"
	case Bool:
		return "VALUE_BOOLEAN"
	case Null:
		return "VALUE_NULL"
	}
	return "null"
}

// idText reads an _id or routing value: a string, or an integer literal,
// whose text Jackson returns verbatim. Fractions and exponents are refused
// because Java's number-to-text conversion may not reproduce the literal.
func idText(v Value) (string, bool) {
	switch v := v.(type) {
	case String:
		return string(v), true
	case Number:
		if v.IsInteger() {
			return string(v), true
		}
	}
	return "", false
}

// indexText reads an explicit index name: a non-empty string without a
// comma. An empty name would read as "the URL's index" to callers while the
// cluster uses the empty name; a comma would make one name look like a list
// to a caller that splits (or a single pattern to one that globs), so both
// are refused.
func indexText(v Value) (string, bool) {
	s, ok := v.(String)
	if !ok || s == "" || strings.ContainsRune(string(s), ',') {
		return "", false
	}
	return string(s), true
}

// boolText reads a boolean the way Elasticsearch's strict Booleans.parseBoolean
// does: true, false, or the strings "true" and "false".
func boolText(v Value) (bool, bool) {
	switch v := v.(type) {
	case Bool:
		return bool(v), true
	case String:
		switch v {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// integerText accepts an integer number or a string holding one, as
// parser.longValue() does with coercion on.
func integerText(v Value) bool {
	switch v := v.(type) {
	case Number:
		return v.IsInteger()
	case String:
		return Number(v).IsInteger()
	}
	return false
}

// stringList reads a string or an array of strings (nil elements refused).
func stringList(v Value) ([]string, bool) {
	switch v := v.(type) {
	case String:
		return []string{string(v)}, true
	case Array:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(String)
			if !ok {
				return nil, false
			}
			out = append(out, string(s))
		}
		return out, true
	}
	return nil, false
}

// commaList splits s like Elasticsearch's Strings.splitStringByCommaToArray,
// but refuses (ok=false) any empty element. Java's String.split drops
// trailing empty strings and keeps inner ones, and an empty list means "all
// indices" to the cluster; neither is worth mirroring.
func commaList(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	parts := strings.Split(s, ",")
	for _, p := range parts {
		if p == "" {
			return nil, false
		}
	}
	return parts, true
}
