package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// queryHandler rewrites the body of one query type and returns the whole
// query to forward ({type: body}, or a different query when the type
// changes, as for exists on an object or an inlined wrapper).
type queryHandler func(r *rewriter, path, qtype string, body esbody.Value) (esbody.Value, error)

// query rewrites one query object {type: body}.
func (r *rewriter) query(path string, q esbody.Value) (esbody.Value, error) {
	o, err := object(path, q)
	if err != nil {
		return nil, err
	}
	if o.Len() != 1 {
		return nil, malformed(path, "a query must have exactly one member, its type")
	}
	if r.depth >= maxQueryDepth {
		return nil, malformed(path, "queries nested too deeply")
	}
	r.depth++
	defer func() { r.depth-- }()
	m := o.At(0)
	p := member(path, m.Name)
	h := queryHandlerFor(m.Name)
	if h == nil {
		return nil, refuse(p, "query type ["+m.Name+"]")
	}
	return h(r, p, m.Name, m.Value)
}

// queries rewrites a query or an array of queries (bool clauses).
func (r *rewriter) queries(path string, v esbody.Value) (esbody.Value, error) {
	return eachOrOne(path, v, r.query)
}

// queryHandlerFor is the whitelist of query types.
func queryHandlerFor(qtype string) queryHandler {
	switch qtype {
	case "match_all", "match_none":
		return optionsOnly("boost", "_name")
	case "ids":
		return optionsOnly("values", "type", "boost", "_name")
	case "type":
		return optionsOnly("value", "boost", "_name")
	case "bool":
		return (*rewriter).boolQuery
	case "boosting":
		return subQueries([]string{"positive", "negative"}, "negative_boost", "boost", "_name")
	case "constant_score":
		return subQueries([]string{"filter"}, "boost", "_name")
	case "dis_max":
		return subQueries([]string{"queries"}, "tie_breaker", "boost", "_name")
	case "span_first":
		return subQueries([]string{"match"}, "end", "boost", "_name")
	case "span_near":
		return subQueries([]string{"clauses"}, "slop", "in_order", "collect_payloads", "boost", "_name")
	case "span_or":
		return subQueries([]string{"clauses"}, "boost", "_name")
	case "span_not":
		return subQueries([]string{"include", "exclude"}, "pre", "post", "dist", "boost", "_name")
	case "span_containing", "span_within":
		return subQueries([]string{"big", "little"}, "boost", "_name")
	case "span_multi":
		return subQueries([]string{"match"}, "boost", "_name")
	case "pinned":
		return subQueries([]string{"organic"}, "ids", "docs", "boost", "_name")
	case "hybrid":
		return subQueries([]string{"queries", "filter"}, "pagination_depth", "boost", "_name")
	case "field_masking_span", "span_field_masking":
		return (*rewriter).fieldMaskingSpan
	case "function_score":
		return (*rewriter).functionScore
	case "nested":
		return (*rewriter).nestedQuery
	case "exists":
		return (*rewriter).existsQuery
	case "terms":
		return (*rewriter).termsQuery
	case "terms_set":
		return (*rewriter).termsSetQuery
	case "range":
		return (*rewriter).rangeQuery
	case "distance_feature":
		return fieldMember("field", "origin", "pivot", "boost", "_name")
	case "rank_feature":
		return fieldMember("field", "saturation", "log", "sigmoid", "linear", "boost", "_name")
	case "sparse_vector":
		return fieldMember("field", "inference_id", "query", "query_vector", "prune", "pruning_config", "boost", "_name")
	case "semantic":
		return fieldMember("field", "query", "boost", "_name")
	case "intervals":
		return (*rewriter).intervalsQuery
	case "multi_match":
		return (*rewriter).multiMatchQuery
	case "combined_fields":
		return (*rewriter).combinedFieldsQuery
	case "query_string":
		return (*rewriter).queryStringQuery
	case "simple_query_string":
		return (*rewriter).simpleQueryStringQuery
	case "more_like_this", "mlt":
		return (*rewriter).moreLikeThisQuery
	case "percolate":
		return (*rewriter).percolateQuery
	case "wrapper":
		return (*rewriter).wrapperQuery
	case "knn":
		return (*rewriter).knnQuery
	case "neural":
		return keyedWithFilter("query_text", "query_image", "query_tokens", "model_id", "k", "min_score", "max_distance",
			"method_parameters", "rescore", "expand_nested_docs", "semantic_field_search_analyzer", "boost", "_name")
	case "neural_sparse":
		return keyedWithFilter("query_text", "query_tokens", "model_id", "analyzer", "max_token_score",
			"method_parameters", "boost", "_name")
	case "geo_distance":
		return geoQuery(true, "distance", "distance_type", "validation_method", "ignore_unmapped", "ignore_malformed",
			"coerce", "optimize_bbox", "unit", "boost", "_name")
	case "geo_bounding_box", "geo_bbox":
		return geoQuery(true, "validation_method", "type", "ignore_unmapped", "ignore_malformed", "coerce", "boost", "_name")
	case "geo_polygon":
		return geoQuery(true, "validation_method", "ignore_unmapped", "ignore_malformed", "coerce", "boost", "_name")
	case "geo_shape", "shape", "xy_shape":
		return geoQuery(true, "ignore_unmapped", "boost", "_name")
	case "geo_grid":
		return geoQuery(false, "boost", "_name")
	}
	if opts, ok := singleFieldOptions(qtype); ok {
		return singleField(opts)
	}
	return nil
}

// optionsOnly handles query types that name no field.
func optionsOnly(allowed ...string) queryHandler {
	return func(r *rewriter, path, qtype string, body esbody.Value) (esbody.Value, error) {
		o, err := object(path, body)
		if err != nil {
			return nil, err
		}
		if err := checkKeys(path, qtype, o, allowed...); err != nil {
			return nil, err
		}
		return single(qtype, o), nil
	}
}

// subQueries handles compound queries whose members in queryMembers hold a
// query or an array of queries and whose other members are plain options.
func subQueries(queryMembers []string, options ...string) queryHandler {
	allowed := append(append([]string(nil), queryMembers...), options...)
	return func(r *rewriter, path, qtype string, body esbody.Value) (esbody.Value, error) {
		o, err := object(path, body)
		if err != nil {
			return nil, err
		}
		if err := checkKeys(path, qtype, o, allowed...); err != nil {
			return nil, err
		}
		for _, name := range queryMembers {
			if err := rewriteMember(path, o, name, r.queries); err != nil {
				return nil, err
			}
		}
		return single(qtype, o), nil
	}
}

// boolQuery rewrites the four clause lists of a bool query.
func (r *rewriter) boolQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	return subQueries([]string{"must", "filter", "should", "must_not"},
		"minimum_should_match", "boost", "_name", "adjust_pure_negative", "disable_coord")(r, path, qtype, body)
}

// fieldMember handles query types with one "field" member naming a
// concrete field.
func fieldMember(options ...string) queryHandler {
	return func(r *rewriter, path, qtype string, body esbody.Value) (esbody.Value, error) {
		o, err := object(path, body)
		if err != nil {
			return nil, err
		}
		if err := checkKeys(path, qtype, o, options...); err != nil {
			return nil, err
		}
		if err := r.literalMember(path, o, "field"); err != nil {
			return nil, err
		}
		return single(qtype, o), nil
	}
}

// literalMember replaces the string member name of o, a concrete field
// name, by what literal returns.
func (r *rewriter) literalMember(path string, o *esbody.Object, name string) error {
	return rewriteMember(path, o, name, func(p string, v esbody.Value) (esbody.Value, error) {
		s, err := str(p, v)
		if err != nil {
			return nil, err
		}
		return esbody.String(r.literal(s)), nil
	})
}

// fieldMaskingSpan rewrites field_masking_span: the span query and the
// field it pretends to be on.
func (r *rewriter) fieldMaskingSpan(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, qtype, o, "query", "field", "boost", "_name"); err != nil {
		return nil, err
	}
	if err := rewriteMember(path, o, "query", r.query); err != nil {
		return nil, err
	}
	if err := r.literalMember(path, o, "field"); err != nil {
		return nil, err
	}
	return single(qtype, o), nil
}

// nestedQuery rewrites a nested query: its path, inner query and
// inner_hits. A hidden path becomes NeutralField with ignore_unmapped, so
// it matches nothing instead of failing.
func (r *rewriter) nestedQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, qtype, o, "path", "query", "score_mode", "ignore_unmapped", "inner_hits", "boost", "_name"); err != nil {
		return nil, err
	}
	v, ok := o.Get("path")
	if !ok {
		return nil, malformed(path, "[nested] requires [path]")
	}
	nestedPath, err := str(member(path, "path"), v)
	if err != nil {
		return nil, err
	}
	if !r.nestedPathVisible(nestedPath) {
		o.Set("path", esbody.String(NeutralField))
		o.Set("ignore_unmapped", esbody.Bool(true))
	}
	if err := rewriteMember(path, o, "query", r.query); err != nil {
		return nil, err
	}
	if err := rewriteMember(path, o, "inner_hits", r.innerHitsSpec); err != nil {
		return nil, err
	}
	return single(qtype, o), nil
}

// existsQuery rewrites exists. A visible leaf stays; otherwise the visible
// leaves the name covers (an object's children, a pattern's matches) are
// OR-ed in a constant_score, as the cluster itself does for objects and
// patterns; with none, the neutral field matches nothing.
func (r *rewriter) existsQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, qtype, o, "field", "boost", "_name"); err != nil {
		return nil, err
	}
	v, ok := o.Get("field")
	if !ok {
		return nil, malformed(path, "[exists] requires [field]")
	}
	field, err := str(member(path, "field"), v)
	if err != nil {
		return nil, err
	}
	if field == NeutralField {
		return single(qtype, o), nil
	}
	leaves := r.existsFields(field)
	switch {
	case len(leaves) == 0:
		o.Set("field", esbody.String(NeutralField))
		return single(qtype, o), nil
	case len(leaves) == 1 && leaves[0] == field:
		return single(qtype, o), nil
	}
	should := make(esbody.Array, len(leaves))
	for i, f := range leaves {
		should[i] = single("exists", single("field", esbody.String(f)))
	}
	cs := single("filter", single("bool", single("should", should)))
	for _, opt := range []string{"boost", "_name"} {
		if v, ok := o.Get(opt); ok {
			cs.Set(opt, v)
		}
	}
	return single("constant_score", cs), nil
}

// termsQuery rewrites terms: one field holding an array of values. An
// object value is a terms lookup, which reads a stored document's field
// the package cannot check.
func (r *rewriter) termsQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	fields := 0
	out, err := rebuild(path, o, func(name string, v esbody.Value) (string, esbody.Value, error) {
		switch v.(type) {
		case esbody.Array:
			fields++
			if fields > 1 {
				return "", nil, malformed(path, "[terms] query does not support multiple fields")
			}
			return r.literal(name), v, nil
		case *esbody.Object:
			return "", nil, refuse(member(path, name), "terms lookup")
		}
		if name == "boost" || name == "_name" || name == "value_type" {
			return name, v, nil
		}
		return "", nil, refuse(member(path, name), "option ["+name+"] of [terms]")
	})
	if err != nil {
		return nil, err
	}
	return single(qtype, out), nil
}

// termsSetQuery rewrites terms_set: the field and the field holding each
// document's minimum_should_match. The script variant is refused.
func (r *rewriter) termsSetQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	out, inner, innerPath, err := r.fieldKeyed(path, qtype, body, fieldOptions{inner: []string{"terms",
		"minimum_should_match_field", "minimum_should_match", "minimum_should_match_script", "boost", "_name"},
		objectOnly: true})
	if err != nil {
		return nil, err
	}
	if inner.Has("minimum_should_match_script") {
		return nil, refuse(member(innerPath, "minimum_should_match_script"), "script")
	}
	if err := r.literalMember(innerPath, inner, "minimum_should_match_field"); err != nil {
		return nil, err
	}
	return single(qtype, out), nil
}

// rangeQuery rewrites range: one field with its bounds; a top-level _name
// (or boost) is allowed beside it.
func (r *rewriter) rangeQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	return singleField(fieldOptions{
		inner: []string{"gte", "gt", "lte", "lt", "from", "to", "include_lower", "include_upper",
			"format", "time_zone", "relation", "boost", "_name"},
		top:        []string{"_name", "boost"},
		objectOnly: true,
	})(r, path, qtype, body)
}
