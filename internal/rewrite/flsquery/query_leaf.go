package flsquery

import (
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// fieldOptions describes a query keyed by its field: {"field": value} or
// {"field": {options}}.
type fieldOptions struct {
	// inner are the options allowed in the {options} form.
	inner []string
	// top are scalar members allowed beside the field. For most types
	// Elasticsearch reads every member as the field (so {"term":
	// {"boost": 1}} queries a field called boost); top is empty for them.
	top []string
	// objectOnly refuses the short {"field": value} form.
	objectOnly bool
}

// singleFieldOptions lists the query types keyed by one field.
func singleFieldOptions(qtype string) (fieldOptions, bool) {
	switch qtype {
	case "term":
		return fieldOptions{inner: []string{"value", "boost", "_name", "case_insensitive"}}, true
	case "match":
		return fieldOptions{inner: []string{"query", "operator", "analyzer", "boost", "minimum_should_match",
			"fuzziness", "prefix_length", "max_expansions", "fuzzy_rewrite", "fuzzy_transpositions", "lenient",
			"zero_terms_query", "auto_generate_synonyms_phrase_query", "cutoff_frequency", "_name", "type", "slop"}}, true
	case "match_phrase":
		return fieldOptions{inner: []string{"query", "analyzer", "slop", "zero_terms_query", "boost", "_name"}}, true
	case "match_phrase_prefix":
		return fieldOptions{inner: []string{"query", "analyzer", "slop", "max_expansions", "zero_terms_query", "boost", "_name"}}, true
	case "match_bool_prefix":
		return fieldOptions{inner: []string{"query", "analyzer", "operator", "minimum_should_match", "fuzziness",
			"prefix_length", "max_expansions", "fuzzy_transpositions", "fuzzy_rewrite", "boost", "_name"}}, true
	case "prefix":
		return fieldOptions{inner: []string{"value", "prefix", "rewrite", "case_insensitive", "boost", "_name"}}, true
	case "wildcard":
		return fieldOptions{inner: []string{"value", "wildcard", "rewrite", "case_insensitive", "boost", "_name"}}, true
	case "regexp":
		return fieldOptions{inner: []string{"value", "flags", "flags_value", "max_determinized_states", "rewrite",
			"case_insensitive", "boost", "_name"}}, true
	case "fuzzy":
		return fieldOptions{inner: []string{"value", "fuzziness", "prefix_length", "max_expansions", "transpositions",
			"rewrite", "boost", "_name"}}, true
	case "span_term":
		return fieldOptions{inner: []string{"value", "term", "boost", "_name"}}, true
	case "span_gap":
		return fieldOptions{}, true
	case "common":
		return fieldOptions{inner: []string{"query", "cutoff_frequency", "low_freq_operator", "high_freq_operator",
			"minimum_should_match", "analyzer", "disable_coord", "boost", "_name"}, objectOnly: true}, true
	case "text_expansion":
		return fieldOptions{inner: []string{"model_id", "model_text", "pruning_config", "boost", "_name"}, objectOnly: true}, true
	case "weighted_tokens":
		return fieldOptions{inner: []string{"tokens", "pruning_config", "boost", "_name"}, objectOnly: true}, true
	}
	return fieldOptions{}, false
}

// singleField handles a query type keyed by one field.
func singleField(opts fieldOptions) queryHandler {
	return func(r *rewriter, path, qtype string, body esbody.Value) (esbody.Value, error) {
		out, _, _, err := r.fieldKeyed(path, qtype, body, opts)
		if err != nil {
			return nil, err
		}
		return single(qtype, out), nil
	}
}

// fieldKeyed rewrites a body keyed by one field and returns it, with the
// field's options object (nil in the short form) and that object's path.
func (r *rewriter) fieldKeyed(path, qtype string, body esbody.Value, opts fieldOptions) (out, inner *esbody.Object, innerPath string, err error) {
	o, err := object(path, body)
	if err != nil {
		return nil, nil, "", err
	}
	fields := 0
	out, err = rebuild(path, o, func(name string, v esbody.Value) (string, esbody.Value, error) {
		if slices.Contains(opts.top, name) && isScalar(v) {
			return name, v, nil
		}
		fields++
		if fields > 1 {
			return "", nil, malformed(path, "["+qtype+"] query does not support multiple fields")
		}
		p := member(path, name)
		switch v := v.(type) {
		case *esbody.Object:
			if err := checkKeys(p, qtype, v, opts.inner...); err != nil {
				return "", nil, err
			}
			inner, innerPath = v, p
		case esbody.Array:
			return "", nil, malformed(p, "["+qtype+"] does not take an array")
		default:
			if opts.objectOnly {
				return "", nil, malformed(p, "["+qtype+"] expects an object")
			}
		}
		return r.literal(name), v, nil
	})
	if err != nil {
		return nil, nil, "", err
	}
	if fields == 0 {
		return nil, nil, "", malformed(path, "["+qtype+"] requires a field")
	}
	// inner is the very object rebuild kept in out, so callers may still
	// rewrite its members.
	return out, inner, innerPath, nil
}

// isScalar reports whether v is a string, number, boolean or null.
func isScalar(v esbody.Value) bool {
	switch v.(type) {
	case *esbody.Object, esbody.Array:
		return false
	}
	return true
}
