package apikey

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

// The fields the query API key API lets a query, a sort or an aggregation
// name (Elasticsearch's ApiKeyFieldNameTranslators): the public
// information of a key, never its hash, owner roles or role descriptors.
// Any other name is an error, as in Elasticsearch; "id" is reachable only
// through an ids query.

// fieldKind is how a field's values compare: as exact strings (keyword and
// flattened fields), as epoch milliseconds (dates) or as booleans.
type fieldKind int

const (
	keywordField fieldKind = iota
	dateField
	boolField
)

// queryField is one public field of a key.
type queryField struct {
	name string
	kind fieldKind
	// values returns the field's values in k (none when it has no value).
	values func(k *Key) []any
}

// publicFields are the fields by their public names; metadata and its
// sub-fields are resolved by resolveField.
var publicFields = map[string]queryField{
	"name":     {"name", keywordField, func(k *Key) []any { return []any{k.Name} }},
	"type":     {"type", keywordField, func(*Key) []any { return []any{"rest"} }},
	"username": {"username", keywordField, func(k *Key) []any { return []any{k.Username} }},
	"realm_name": {"realm_name", keywordField, func(k *Key) []any {
		return []any{k.Realm}
	}},
	"creation": {"creation", dateField, func(k *Key) []any { return []any{k.Creation} }},
	"expiration": {"expiration", dateField, func(k *Key) []any {
		if k.Expiration == 0 {
			return nil
		}
		return []any{k.Expiration}
	}},
	"invalidated": {"invalidated", boolField, func(k *Key) []any { return []any{k.Invalidated} }},
	"invalidation": {"invalidation", dateField, func(k *Key) []any {
		if !k.Invalidated || k.Invalidation == 0 {
			return nil
		}
		return []any{k.Invalidation}
	}},
}

// resolveField returns the field a query names, or the error Elasticsearch
// gives for a field it does not allow.
func resolveField(name string) (queryField, error) {
	if f, ok := publicFields[name]; ok {
		return f, nil
	}
	if name == "metadata" || strings.HasPrefix(name, "metadata.") && len(name) > len("metadata.") {
		sub := strings.TrimPrefix(strings.TrimPrefix(name, "metadata"), ".")
		return queryField{name: name, kind: keywordField, values: func(k *Key) []any { return metadataValues(k.Metadata, sub) }}, nil
	}
	return queryField{}, badRequest("illegal_argument_exception", "Field [%s] is not allowed for API Key query", name)
}

// resolvePattern returns the fields a simple_query_string field pattern
// ("*", "meta*", "name") names; a pattern that names no allowed field
// names nothing (Elasticsearch then matches nothing instead of failing).
func resolvePattern(pattern string) []queryField {
	if f, err := resolveField(pattern); err == nil {
		return []queryField{f}
	}
	var names []string
	for name := range publicFields {
		names = append(names, name)
	}
	names = append(names, "metadata")
	sort.Strings(names)
	var out []queryField
	for _, name := range names {
		if ok, _ := path.Match(pattern, name); ok {
			f, _ := resolveField(name)
			out = append(out, f)
		}
	}
	return out
}

// metadataValues are the leaf values of a flattened metadata field under
// sub ("" for all of them), as the strings a flattened field indexes.
func metadataValues(m map[string]any, sub string) []any {
	var out []any
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for key, child := range v {
				walk(child, joinPath(at, key))
			}
		case []any:
			for _, child := range v {
				walk(child, at)
			}
		case nil:
		default:
			if sub == "" || at == sub {
				out = append(out, leafString(v))
			}
		}
	}
	walk(m, "")
	return out
}

func joinPath(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

// leafString is a JSON scalar as a flattened or keyword field indexes it.
func leafString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}
