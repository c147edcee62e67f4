package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// aggregations rewrites an aggregations object: {name: {type: body,
// aggs: {...}, meta: {...}}}. Aggregation fields are checked against the
// strict view (an aggregation cannot be split per index); the queries of
// filter-like aggregations are root queries.
func (r *rewriter) aggregations(path string, v esbody.Value) (esbody.Value, error) {
	o, err := object(path, v)
	if err != nil {
		return nil, err
	}
	for name, def := range o.All() {
		if err := r.aggregation(member(path, name), def); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// aggregation rewrites one named aggregation definition in place.
func (r *rewriter) aggregation(path string, v esbody.Value) error {
	d, err := object(path, v)
	if err != nil {
		return err
	}
	if d.Has("aggs") && d.Has("aggregations") {
		return malformed(path, "both [aggs] and [aggregations]")
	}
	atype := ""
	for name := range d.All() {
		if name == "aggs" || name == "aggregations" || name == "meta" {
			continue
		}
		if atype != "" {
			return malformed(path, "two aggregation types ["+atype+"] and ["+name+"]")
		}
		atype = name
	}
	if atype == "" {
		return malformed(path, "an aggregation without a type")
	}
	if r.depth >= maxQueryDepth {
		return malformed(path, "aggregations nested too deeply")
	}
	r.depth++
	defer func() { r.depth-- }()
	p := member(path, atype)
	switch atype {
	case "scripted_metric", "bucket_script", "bucket_selector", "moving_fn":
		return refuse(p, "scripted aggregation ["+atype+"]")
	case "children", "parent":
		return refuse(p, "parent-join aggregation ["+atype+"]")
	}
	spec, ok := aggSpecFor(atype)
	if !ok {
		return refuse(p, "aggregation type ["+atype+"]")
	}
	body, _ := d.Get(atype)
	out, err := spec.rewrite(r, p, atype, body)
	if err != nil {
		return err
	}
	d.Set(atype, out)
	for _, name := range []string{"aggs", "aggregations"} {
		if err := rewriteMember(path, d, name, r.aggregations); err != nil {
			return err
		}
	}
	return nil
}

// aggSpec says where an aggregation type's body names fields.
type aggSpec struct {
	// options are members that name no field.
	options []string
	// fields are members naming one concrete field.
	fields []string
	// queries are members holding a query.
	queries []string
	// custom rewrites the members named in handles, which have a shape
	// of their own; with ownKeys it checks every member itself.
	custom  func(r *rewriter, path string, o *esbody.Object) error
	handles []string
	ownKeys bool
	// wholeQuery says the body itself is a query (the filter aggregation).
	wholeQuery bool
}

// valuesSource is the spec of the aggregations over one field's values:
// extra options beside field, missing, format and value_type.
func valuesSource(extra ...string) aggSpec {
	return aggSpec{options: append([]string{"missing", "format", "value_type"}, extra...), fields: []string{"field"}}
}

// pipeline is the spec of pipeline aggregations, which read other
// aggregations' results through buckets_path, never a field.
func pipeline(extra ...string) aggSpec {
	return aggSpec{options: append([]string{"buckets_path", "gap_policy", "format"}, extra...)}
}

// rewrite checks and rewrites an aggregation body.
func (s aggSpec) rewrite(r *rewriter, path, atype string, body esbody.Value) (esbody.Value, error) {
	if s.wholeQuery {
		return r.rootQuery(path, body)
	}
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if o.Has("script") {
		return nil, refuse(member(path, "script"), "script")
	}
	if !s.ownKeys {
		allowed := append(append(append(append([]string(nil), s.options...), s.fields...), s.queries...), s.handles...)
		if err := checkKeys(path, atype, o, allowed...); err != nil {
			return nil, err
		}
	}
	for _, f := range s.fields {
		if err := r.literalMember(path, o, f); err != nil {
			return nil, err
		}
	}
	for _, q := range s.queries {
		if err := rewriteMember(path, o, q, r.rootQuery); err != nil {
			return nil, err
		}
	}
	if s.custom != nil {
		if err := s.custom(r, path, o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// aggSpecFor is the whitelist of aggregation types.
func aggSpecFor(atype string) (aggSpec, bool) {
	switch atype {
	case "terms":
		return valuesSource("size", "shard_size", "min_doc_count", "shard_min_doc_count", "show_term_doc_count_error",
			"order", "include", "exclude", "execution_hint", "collect_mode"), true
	case "significant_terms":
		s := valuesSource("size", "shard_size", "min_doc_count", "shard_min_doc_count", "include", "exclude",
			"execution_hint", "jlh", "mutual_information", "chi_square", "gnd", "percentage")
		s.queries = []string{"background_filter"}
		return s, true
	case "significant_text":
		return aggSpec{options: []string{"size", "shard_size", "min_doc_count", "shard_min_doc_count", "include",
			"exclude", "filter_duplicate_text", "jlh", "mutual_information", "chi_square", "gnd", "percentage"},
			fields: []string{"field"}, queries: []string{"background_filter"},
			custom: fieldListMember("source_fields"), handles: []string{"source_fields"}}, true
	case "rare_terms":
		return valuesSource("max_doc_count", "precision", "include", "exclude"), true
	case "histogram":
		return valuesSource("interval", "offset", "min_doc_count", "extended_bounds", "hard_bounds", "order", "keyed"), true
	case "date_histogram":
		return valuesSource("calendar_interval", "fixed_interval", "interval", "time_zone", "offset", "min_doc_count",
			"extended_bounds", "hard_bounds", "order", "keyed"), true
	case "auto_date_histogram":
		return valuesSource("buckets", "minimum_interval", "time_zone"), true
	case "variable_width_histogram":
		return valuesSource("buckets", "shard_size", "initial_buffer"), true
	case "range", "ip_range":
		return valuesSource("ranges", "keyed"), true
	case "date_range":
		return valuesSource("ranges", "keyed", "time_zone"), true
	case "avg", "sum", "min", "max", "value_count", "stats", "geo_centroid", "cartesian_centroid", "missing":
		return valuesSource(), true
	case "extended_stats":
		return valuesSource("sigma"), true
	case "cardinality":
		return valuesSource("precision_threshold", "execution_hint", "rehash"), true
	case "percentiles":
		return valuesSource("percents", "keyed", "tdigest", "hdr", "compression", "method"), true
	case "percentile_ranks":
		return valuesSource("values", "keyed", "tdigest", "hdr", "compression", "method"), true
	case "median_absolute_deviation", "boxplot":
		return valuesSource("compression", "execution_hint"), true
	case "string_stats":
		return valuesSource("show_distribution"), true
	case "geo_bounds", "cartesian_bounds":
		return valuesSource("wrap_longitude"), true
	case "rate":
		return valuesSource("unit", "mode"), true
	case "geohash_grid", "geotile_grid", "geohex_grid":
		return valuesSource("precision", "bounds", "size", "shard_size"), true
	case "geo_distance":
		return valuesSource("origin", "ranges", "unit", "distance_type", "keyed"), true
	case "diversified_sampler":
		return valuesSource("shard_size", "max_docs_per_value", "execution_hint"), true
	case "categorize_text":
		return aggSpec{options: []string{"max_unique_tokens", "max_matched_tokens", "similarity_threshold",
			"categorization_filters", "categorization_analyzer", "shard_size", "size", "min_doc_count",
			"shard_min_doc_count"}, fields: []string{"field"}}, true
	case "ip_prefix":
		return aggSpec{options: []string{"prefix_length", "is_ipv6", "append_prefix_length", "keyed", "min_doc_count"},
			fields: []string{"field"}}, true
	case "global":
		return aggSpec{}, true
	case "sampler":
		return aggSpec{options: []string{"shard_size"}}, true
	case "random_sampler":
		return aggSpec{options: []string{"probability", "seed", "shard_seed"}}, true
	case "filter":
		return aggSpec{wholeQuery: true}, true
	case "filters":
		return aggSpec{options: []string{"other_bucket", "other_bucket_key", "keyed"}, custom: filtersMember,
			handles: []string{"filters"}}, true
	case "adjacency_matrix":
		return aggSpec{options: []string{"separator"}, custom: filtersMember, handles: []string{"filters"}}, true
	case "nested":
		return aggSpec{custom: nestedAggPath(true), handles: []string{"path"}}, true
	case "reverse_nested":
		return aggSpec{custom: nestedAggPath(false), handles: []string{"path"}}, true
	case "composite":
		return aggSpec{options: []string{"size", "after"}, custom: (*rewriter).compositeSources,
			handles: []string{"sources"}}, true
	case "multi_terms":
		return aggSpec{options: []string{"size", "shard_size", "order", "min_doc_count", "shard_min_doc_count",
			"collect_mode", "show_term_doc_count_error"}, custom: (*rewriter).multiTermsTerms,
			handles: []string{"terms"}}, true
	case "weighted_avg":
		return aggSpec{options: []string{"format", "value_type"}, custom: fieldObjects("value", "weight"),
			handles: []string{"value", "weight"}}, true
	case "t_test":
		return aggSpec{options: []string{"type"}, custom: fieldObjects("a", "b"), handles: []string{"a", "b"}}, true
	case "matrix_stats":
		return aggSpec{options: []string{"mode"}, custom: (*rewriter).matrixStats,
			handles: []string{"fields", "missing"}}, true
	case "geo_line":
		return aggSpec{options: []string{"include_sort", "sort_order", "size"}, custom: fieldObjects("point", "sort"),
			handles: []string{"point", "sort"}}, true
	case "top_metrics":
		return aggSpec{options: []string{"size"}, custom: (*rewriter).topMetrics,
			handles: []string{"metrics", "sort"}}, true
	case "top_hits":
		return aggSpec{custom: (*rewriter).topHits, ownKeys: true}, true
	case "frequent_item_sets":
		return aggSpec{options: []string{"minimum_set_size", "minimum_support", "size"}, queries: []string{"filter"},
			custom: (*rewriter).frequentItemSetFields, handles: []string{"fields"}}, true
	case "avg_bucket", "sum_bucket", "min_bucket", "max_bucket", "stats_bucket", "cumulative_sum",
		"cumulative_cardinality":
		return pipeline(), true
	case "extended_stats_bucket":
		return pipeline("sigma"), true
	case "percentiles_bucket":
		return pipeline("percents", "keyed"), true
	case "derivative":
		return pipeline("unit"), true
	case "serial_diff":
		return pipeline("lag"), true
	case "moving_avg":
		return pipeline("model", "window", "predict", "minimize", "settings"), true
	case "moving_percentiles":
		return pipeline("window", "shift"), true
	case "normalize":
		return pipeline("method"), true
	case "bucket_sort":
		// Its sort names aggregation paths, not fields.
		return pipeline("sort", "from", "size"), true
	}
	return aggSpec{}, false
}

// fieldListMember rewrites a member holding a list of concrete fields.
func fieldListMember(name string) func(r *rewriter, path string, o *esbody.Object) error {
	return func(r *rewriter, path string, o *esbody.Object) error {
		return rewriteMember(path, o, name, r.literalList)
	}
}

// literalList rewrites a list of concrete field names (one name is
// accepted for a list of one).
func (r *rewriter) literalList(path string, v esbody.Value) (esbody.Value, error) {
	return eachOrOne(path, v, func(p string, e esbody.Value) (esbody.Value, error) {
		s, err := str(p, e)
		if err != nil {
			return nil, err
		}
		return esbody.String(r.literal(s)), nil
	})
}

// filtersMember rewrites "filters": named queries or a list of queries.
func filtersMember(r *rewriter, path string, o *esbody.Object) error {
	return rewriteMember(path, o, "filters", func(p string, v esbody.Value) (esbody.Value, error) {
		if named, ok := esbody.AsObject(v); ok {
			for name, q := range named.All() {
				out, err := r.rootQuery(member(p, name), q)
				if err != nil {
					return nil, err
				}
				named.Set(name, out)
			}
			return named, nil
		}
		if _, ok := esbody.AsArray(v); ok {
			return r.rootQueries(p, v)
		}
		return nil, malformed(p, "[filters] must be an object or an array")
	})
}

// nestedAggPath rewrites the path of nested (required) and reverse_nested
// (optional) aggregations; a hidden path aggregates nothing.
func nestedAggPath(required bool) func(r *rewriter, path string, o *esbody.Object) error {
	return func(r *rewriter, path string, o *esbody.Object) error {
		v, ok := o.Get("path")
		if !ok {
			if required {
				return malformed(path, "[nested] requires [path]")
			}
			return nil
		}
		p, err := str(member(path, "path"), v)
		if err != nil {
			return err
		}
		if !r.nestedPathVisible(p) {
			o.Set("path", esbody.String(NeutralField))
		}
		return nil
	}
}

// fieldObjects rewrites members shaped {field, missing, script, filter,
// format}, as in weighted_avg, t_test and geo_line.
func fieldObjects(names ...string) func(r *rewriter, path string, o *esbody.Object) error {
	return func(r *rewriter, path string, o *esbody.Object) error {
		for _, name := range names {
			err := rewriteMember(path, o, name, func(p string, v esbody.Value) (esbody.Value, error) {
				return r.fieldObject(p, v)
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// fieldObject rewrites one {field, missing, filter, ...} object.
func (r *rewriter) fieldObject(path string, v esbody.Value) (esbody.Value, error) {
	fo, err := object(path, v)
	if err != nil {
		return nil, err
	}
	if fo.Has("script") {
		return nil, refuse(member(path, "script"), "script")
	}
	if err := checkKeys(path, "field", fo, "field", "missing", "filter", "format", "value_type",
		"include", "exclude"); err != nil {
		return nil, err
	}
	if err := r.literalMember(path, fo, "field"); err != nil {
		return nil, err
	}
	if err := rewriteMember(path, fo, "filter", r.rootQuery); err != nil {
		return nil, err
	}
	return fo, nil
}
