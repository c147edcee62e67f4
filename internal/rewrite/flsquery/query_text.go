package flsquery

import (
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// fieldList rewrites a list of "field^boost" entries (or one string) to
// the visible fields they reach, patterns expanded. It never returns an
// empty list: the cluster would read an empty list as "the index default",
// which is every field; [NeutralField] matches nothing instead.
func (r *rewriter) fieldList(path string, v esbody.Value) (esbody.Array, error) {
	var entries []string
	switch v := v.(type) {
	case esbody.String:
		entries = []string{string(v)}
	case esbody.Array:
		for i, e := range v {
			s, err := str(element(path, i), e)
			if err != nil {
				return nil, err
			}
			entries = append(entries, s)
		}
	default:
		return nil, malformed(path, "expected a field name or a list of field names")
	}
	var out esbody.Array
	var seen []string
	for _, entry := range entries {
		name, boost := splitBoost(entry)
		for _, f := range r.expand(name) {
			if isOneOf(f, seen...) {
				continue
			}
			seen = append(seen, f)
			out = append(out, esbody.String(f+boost))
		}
	}
	if len(out) == 0 {
		return esbody.Array{esbody.String(NeutralField)}, nil
	}
	return out, nil
}

// allFields is the field list standing for the index default
// (index.query.default_field, "*" unless configured), used when a
// multi-field query names no fields.
func (r *rewriter) allFields() esbody.Array {
	out, _ := r.fieldList("", esbody.String("*"))
	return out
}

// listsEveryField reports a fields list holding "*" (possibly boosted),
// for which the cluster is lenient by itself.
func listsEveryField(v esbody.Value) bool {
	list, ok := esbody.AsArray(v)
	if !ok {
		list = esbody.Array{v}
	}
	for _, e := range list {
		if s, ok := esbody.AsString(e); ok {
			if name, _ := splitBoost(s); name == "*" {
				return true
			}
		}
	}
	return false
}

// defaultLenient sets lenient when the request did not: the cluster is
// lenient by itself for "*", and an explicit list of every field would
// otherwise fail on the first field whose type cannot parse the text.
func defaultLenient(o *esbody.Object) {
	if !o.Has("lenient") {
		o.Set("lenient", esbody.Bool(true))
	}
}

// multiMatchOptions are the options of multi_match.
func multiMatchOptions() []string {
	return []string{"query", "fields", "type", "operator", "analyzer", "boost", "slop", "fuzziness",
		"prefix_length", "max_expansions", "minimum_should_match", "fuzzy_rewrite", "rewrite", "tie_breaker", "lenient",
		"cutoff_frequency", "zero_terms_query", "auto_generate_synonyms_phrase_query", "fuzzy_transpositions", "_name",
		"use_dis_max"}
}

// multiMatchQuery rewrites multi_match's field list.
func (r *rewriter) multiMatchQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, qtype, o, multiMatchOptions()...); err != nil {
		return nil, err
	}
	if err := r.fieldsOrAll(path, o); err != nil {
		return nil, err
	}
	return single(qtype, o), nil
}

// fieldsOrAll rewrites o's "fields", or, when there is none, sets it to
// every visible field.
func (r *rewriter) fieldsOrAll(path string, o *esbody.Object) error {
	if v, ok := o.Get("fields"); ok {
		if listsEveryField(v) {
			defaultLenient(o)
		}
		return rewriteMember(path, o, "fields", func(p string, v esbody.Value) (esbody.Value, error) {
			return r.fieldList(p, v)
		})
	}
	o.Set("fields", r.allFields())
	defaultLenient(o)
	return nil
}

// combinedFieldsQuery rewrites combined_fields, whose fields are required.
func (r *rewriter) combinedFieldsQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, qtype, o, "query", "fields", "operator", "minimum_should_match",
		"auto_generate_synonyms_phrase_query", "zero_terms_query", "boost", "_name"); err != nil {
		return nil, err
	}
	if !o.Has("fields") {
		return nil, malformed(path, "[combined_fields] requires [fields]")
	}
	if err := r.fieldsOrAll(path, o); err != nil {
		return nil, err
	}
	return single(qtype, o), nil
}

// simpleQueryStringQuery rewrites simple_query_string, whose syntax names
// no fields.
func (r *rewriter) simpleQueryStringQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, qtype, o, "query", "fields", "default_operator", "analyzer", "flags", "lenient",
		"analyze_wildcard", "auto_generate_synonyms_phrase_query", "fuzzy_prefix_length", "fuzzy_max_expansions",
		"fuzzy_transpositions", "minimum_should_match", "quote_field_suffix", "boost", "_name"); err != nil {
		return nil, err
	}
	if o.Has("quote_field_suffix") {
		return nil, refuse(member(path, "quote_field_suffix"), "[quote_field_suffix]")
	}
	if err := r.fieldsOrAll(path, o); err != nil {
		return nil, err
	}
	return single(qtype, o), nil
}

// queryStringOptions are the options of query_string.
func queryStringOptions() []string {
	return []string{"query", "default_field", "fields", "default_operator", "analyzer",
		"quote_analyzer", "allow_leading_wildcard", "enable_position_increments", "fuzzy_max_expansions", "fuzziness",
		"fuzzy_prefix_length", "fuzzy_transpositions", "phrase_slop", "boost", "analyze_wildcard",
		"auto_generate_synonyms_phrase_query", "max_determinized_states", "minimum_should_match", "quote_field_suffix",
		"lenient", "time_zone", "type", "tie_breaker", "rewrite", "fuzzy_rewrite", "escape", "_name"}
}

// queryStringQuery rewrites query_string: the fields unprefixed terms
// search (default_field wins over fields, as in Elasticsearch) and the
// field prefixes inside the text.
func (r *rewriter) queryStringQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, qtype, o, queryStringOptions()...); err != nil {
		return nil, err
	}
	if o.Has("quote_field_suffix") {
		return nil, refuse(member(path, "quote_field_suffix"), "[quote_field_suffix]")
	}
	matchAllFields, err := r.queryStringFields(path, o)
	if err != nil {
		return nil, err
	}
	v, ok := o.Get("query")
	if !ok {
		return nil, malformed(path, "[query_string] requires [query]")
	}
	text, err := str(member(path, "query"), v)
	if err != nil {
		return nil, err
	}
	if escaped(o) {
		return single(qtype, o), nil
	}
	if matchAllFields && strings.TrimSpace(text) == "*" {
		// "*" over every field matches all documents; over an explicit
		// list it would become an exists check on each field.
		text = "*:*"
	}
	if text, err = r.queryText(member(path, "query"), text); err != nil {
		return nil, err
	}
	o.Set("query", esbody.String(text))
	return single(qtype, o), nil
}

// queryStringFields rewrites default_field or fields and reports whether
// they stood for every field ("*" or nothing).
func (r *rewriter) queryStringFields(path string, o *esbody.Object) (bool, error) {
	v, ok := o.Get("default_field")
	if !ok {
		all := !o.Has("fields")
		if v, ok := o.Get("fields"); ok {
			if a, ok := esbody.AsArray(v); ok && len(a) == 1 && esbody.Equal(a[0], esbody.String("*")) {
				all = true
			}
		}
		return all, r.fieldsOrAll(path, o)
	}
	p := member(path, "default_field")
	name, err := str(p, v)
	if err != nil {
		return false, err
	}
	// Elasticsearch lets default_field win over fields; both are rewritten
	// so that neither reading can reach a hidden field.
	if o.Has("fields") {
		if err := r.fieldsOrAll(path, o); err != nil {
			return false, err
		}
	}
	if !hasWildcard(name) {
		o.Set("default_field", esbody.String(r.literal(name)))
		return false, nil
	}
	fields := r.expand(name)
	if len(fields) == 1 {
		o.Set("default_field", esbody.String(fields[0]))
	} else {
		o.Delete("default_field")
		list, _ := r.fieldList(p, stringArray(fields))
		o.Set("fields", list)
	}
	if name == "*" {
		defaultLenient(o)
	}
	return name == "*", nil
}

// escaped reports query_string's escape option, under which the cluster
// escapes the whole text, so it holds no field prefix.
func escaped(o *esbody.Object) bool {
	v, _ := o.Get("escape")
	switch v := v.(type) {
	case esbody.Bool:
		return bool(v)
	case esbody.String:
		return v == "true"
	}
	return false
}
