package secquery

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Kind is how a field's values compare: as exact strings (keyword and
// flattened fields), as epoch milliseconds (dates) or as booleans.
type Kind int

// The field kinds.
const (
	Keyword Kind = iota
	Date
	Bool
)

// Schema is what a query API lets a query, a sort or an aggregation name.
type Schema struct {
	// Noun names the API in errors ("API Key" gives Elasticsearch's "Field
	// [x] is not allowed for API Key query").
	Noun string
	// Fields are the public fields by name.
	Fields map[string]Kind
	// Flattened are fields whose dotted sub-fields ("metadata.env") are
	// keyword leaves, as a flattened field's are.
	Flattened []string
	// Unsortable are fields a sort may not name (the user query's
	// full_name and email, which the security index cannot sort on).
	Unsortable []string
}

// Doc is one document a query runs over: its id (for ids queries) and
// its values by public field name. A flattened field's leaves are listed
// under their full dotted path and, all of them, under the field itself
// (see AddFlattened). Values are strings (keyword), int64 epoch
// milliseconds (date) or bools.
type Doc struct {
	ID     string
	Values map[string][]any
}

// AddFlattened adds the leaves of a flattened object field (a JSON
// object) to d under name and under each leaf's dotted path.
func (d *Doc) AddFlattened(name string, obj map[string]any) {
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for key, child := range v {
				walk(child, at+"."+key)
			}
		case []any:
			for _, child := range v {
				walk(child, at)
			}
		case nil:
		default:
			leaf := leafString(v)
			d.Values[at] = append(d.Values[at], leaf)
			d.Values[name] = append(d.Values[name], leaf)
		}
	}
	walk(obj, name)
}

// requestName is the request's name in parse errors
// ("query_api_key_request").
func (s *Schema) requestName() string {
	return "query_" + strings.ReplaceAll(strings.ToLower(s.Noun), " ", "_") + "_request"
}

// field is one resolved field of a query.
type field struct {
	name string
	kind Kind
}

func (f field) values(d *Doc) []any { return d.Values[f.name] }

// resolveField returns the field a query names, or the error Elasticsearch
// gives for a field it does not allow.
func (s *Schema) resolveField(name string) (field, error) {
	if strings.ContainsRune(name, '*') {
		return field{}, badRequest("illegal_argument_exception", "Field name pattern [%s] is not allowed for querying or aggregation", name)
	}
	if k, ok := s.Fields[name]; ok {
		return field{name, k}, nil
	}
	for _, flat := range s.Flattened {
		if name == flat || strings.HasPrefix(name, flat+".") && len(name) > len(flat)+1 {
			return field{name, Keyword}, nil
		}
	}
	return field{}, badRequest("illegal_argument_exception", "Field [%s] is not allowed for querying or aggregation", name)
}

// resolveSortField is resolveField for a sort.
func (s *Schema) resolveSortField(name string) (field, error) {
	f, err := s.resolveField(name)
	if err == nil && slices.Contains(s.Unsortable, name) {
		return field{}, badRequest("illegal_argument_exception", "sorting is not supported for field [%s]", name)
	}
	return f, err
}

// resolvePattern returns the fields a simple_query_string field pattern
// ("*", "meta*", "name") names; a pattern that names no allowed field
// names nothing (Elasticsearch then matches nothing instead of failing).
func (s *Schema) resolvePattern(pattern string) []field {
	if !strings.ContainsRune(pattern, '*') {
		if f, err := s.resolveField(pattern); err == nil {
			return []field{f}
		}
		return nil
	}
	var names []string
	for name := range s.Fields {
		names = append(names, name)
	}
	names = append(names, s.Flattened...)
	sort.Strings(names)
	var out []field
	for _, name := range names {
		if authz.SimpleMatch(pattern, name) {
			f, _ := s.resolveField(name)
			out = append(out, f)
		}
	}
	return out
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
