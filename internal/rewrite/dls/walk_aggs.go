package dls

import (
	"math/big"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// Aggregations under DLS. An aggregation only sees the documents its
// context selects, so most are safe under the wrapped query. The exceptions
// are the ones that select documents themselves:
//
//   - global ignores the query (and its doc_count alone counts hidden
//     documents): refused. Re-scoping it with a filter sub-aggregation
//     would still leak the global doc_count and change the response shape.
//   - children and parent reach documents of the other side of a join
//     field that the query never selected: refused.
//   - significant_terms and significant_text compare against a background
//     set that is, by default, the whole index: the DLS filter is added to
//     background_filter.
//   - terms-like aggregations with min_doc_count 0 list terms from the
//     index's term dictionary, hidden documents included: refused (as
//     Elasticsearch should; it only excludes deleted documents).
//   - scripts anywhere in an aggregation, and scripted_metric: refused.
//
// An aggregation type the walker does not know is refused.

// knownAggs are the aggregation types of Elasticsearch 7.17–9.x and
// OpenSearch 2.19 that select no documents of their own (their scripts are
// still refused).
var knownAggs = map[string]bool{
	// metrics
	"avg": true, "weighted_avg": true, "boxplot": true, "cardinality": true, "extended_stats": true,
	"geo_bounds": true, "geo_centroid": true, "geo_line": true, "cartesian_bounds": true,
	"cartesian_centroid": true, "matrix_stats": true, "max": true, "median_absolute_deviation": true,
	"min": true, "percentile_ranks": true, "percentiles": true, "rate": true, "stats": true,
	"string_stats": true, "sum": true, "t_test": true, "top_metrics": true, "value_count": true,
	// buckets
	"auto_date_histogram": true, "categorize_text": true, "composite": true, "date_histogram": true,
	"date_range": true, "diversified_sampler": true, "geo_distance": true, "geohash_grid": true,
	"geohex_grid": true, "geotile_grid": true, "histogram": true, "ip_prefix": true, "ip_range": true,
	"missing": true, "nested": true, "random_sampler": true, "range": true, "rare_terms": true,
	"reverse_nested": true, "sampler": true, "time_series": true, "variable_width_histogram": true,
	// pipelines (they read other aggregations' results only)
	"avg_bucket": true, "bucket_script": true, "bucket_count_ks_test": true, "bucket_correlation": true,
	"bucket_selector": true, "bucket_sort": true, "change_point": true, "cumulative_cardinality": true,
	"cumulative_sum": true, "derivative": true, "extended_stats_bucket": true, "inference": true,
	"max_bucket": true, "min_bucket": true, "moving_avg": true, "moving_fn": true,
	"moving_percentiles": true, "normalize": true, "percentiles_bucket": true, "serial_diff": true,
	"stats_bucket": true, "sum_bucket": true,
}

// aggs checks an aggregations object: name → definition.
func (w *walker) aggs(v esbody.Value, p string) error {
	o, ok := v.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	for name, def := range o.All() {
		if err := w.aggDefinition(def, p+"."+name); err != nil {
			return err
		}
	}
	return nil
}

// aggDefinition checks {"<type>":{…}, "aggs":{…}, "meta":{…}}.
func (w *walker) aggDefinition(v esbody.Value, p string) error {
	o, ok := v.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	types := 0
	for i := 0; i < o.Len(); i++ {
		m := o.At(i)
		mp := p + "." + m.Name
		switch m.Name {
		case "aggs", "aggregations":
			if err := w.aggs(m.Value, mp); err != nil {
				return err
			}
		case "meta":
		default:
			types++
			nb, err := w.aggBody(m.Name, m.Value, mp)
			if err != nil {
				return err
			}
			if nb != nil {
				o.Set(m.Name, nb)
			}
		}
	}
	if types != 1 {
		return malformed("[%s] must define exactly one aggregation type, found %d", p, types)
	}
	return nil
}

// aggBody checks the body of one aggregation; a non-nil result replaces it.
func (w *walker) aggBody(typ string, body esbody.Value, p string) (esbody.Value, error) {
	switch typ {
	case "global":
		return nil, refuse("[%s] global aggregations are not supported by the proxy if document level security is enabled: they ignore the query", p)
	case "children", "parent":
		return nil, refuse("[%s] %s aggregations are not supported by the proxy if document level security is enabled: they reach documents the query did not select", p, typ)
	case "scripted_metric":
		return nil, refuse("[%s] scripts are not supported by the proxy if document level security is enabled", p)
	case "filter":
		return w.query(body, p)
	case "filters", "adjacency_matrix":
		return nil, w.namedFilters(body, p)
	case "frequent_item_sets":
		return nil, w.aggWithQuery(body, p, "filter")
	case "top_hits":
		return nil, w.innerHits(body, p)
	case "terms", "multi_terms":
		return nil, checkAggScalars(body, p, true)
	case "significant_terms", "significant_text":
		if err := checkAggScalars(body, p, true); err != nil {
			return nil, err
		}
		return nil, w.background(body, p)
	}
	if !knownAggs[typ] {
		return nil, refuse("[%s] aggregation type [%s] is not supported by the proxy if document level security is enabled", p, typ)
	}
	if typ == "top_metrics" {
		if err := w.topMetricsSort(body, p); err != nil {
			return nil, err
		}
	}
	return nil, checkAggScalars(body, p, false)
}

// checkAggScalars refuses scripts anywhere in an aggregation body and, for
// terms-like aggregations, min_doc_count 0.
func checkAggScalars(body esbody.Value, p string, termsLike bool) error {
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	if hasMember(o, "script") {
		return refuse("[%s] scripts are not supported by the proxy if document level security is enabled", p)
	}
	if mdc, ok := o.Get("min_doc_count"); ok && termsLike && isZero(mdc) {
		return refuse("[%s] min_doc_count 0 is not supported by the proxy if document level security is enabled: it lists terms of hidden documents", p)
	}
	return nil
}

// isZero reports whether the cluster reads v as the long 0: a number or a
// string holding one (the cluster coerces strings), truncated toward zero
// as Elasticsearch's XContentParser.longValue does with coercion on, so
// 0.4, "0.99" and -0.5 are 0 too. Parsed exactly (big.Rat), so that no
// float rounding or underflow tells otherwise.
func isZero(v esbody.Value) bool {
	var text string
	switch v := v.(type) {
	case esbody.Number:
		text = string(v)
	case esbody.String:
		text = string(v)
	default:
		return false
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return false // the cluster refuses what is not a number
	}
	return r.Cmp(big.NewRat(-1, 1)) > 0 && r.Cmp(big.NewRat(1, 1)) < 0
}

// namedFilters checks the filters of filters/adjacency_matrix: an object of
// named queries or an array of queries.
func (w *walker) namedFilters(body esbody.Value, p string) error {
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	for i := 0; i < o.Len(); i++ {
		m := o.At(i)
		mp := p + "." + m.Name
		switch {
		case m.Name == "filters":
			if err := w.filterSet(m.Value, mp); err != nil {
				return err
			}
		case mayHoldQuery(m.Value):
			return refuse("[%s] is not supported by the proxy if document level security is enabled", mp)
		}
	}
	return nil
}

func (w *walker) filterSet(v esbody.Value, p string) error {
	switch f := v.(type) {
	case esbody.Array:
		_, err := w.queries(f, p)
		return err
	case *esbody.Object:
		for i := 0; i < f.Len(); i++ {
			m := f.At(i)
			nq, err := w.query(m.Value, p+"."+m.Name)
			if err != nil {
				return err
			}
			f.Set(m.Name, nq)
		}
		return nil
	}
	return malformed("[%s] must be an object or an array", p)
}

// aggWithQuery checks an aggregation whose member name is a query.
func (w *walker) aggWithQuery(body esbody.Value, p, name string) error {
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	if f, ok := o.Get(name); ok {
		nq, err := w.query(f, p+"."+name)
		if err != nil {
			return err
		}
		o.Set(name, nq)
	}
	return checkAggScalars(withoutMember(o, name), p, false)
}

// background scopes the background set of significant_terms/text to the
// documents DLS allows: background_filter becomes the DLS filter, or both.
func (w *walker) background(body esbody.Value, p string) error {
	o := body.(*esbody.Object)
	bf, ok := o.Get("background_filter")
	if !ok {
		o.Set("background_filter", w.filterCopy())
		return nil
	}
	nq, err := w.query(bf, p+".background_filter")
	if err != nil {
		return err
	}
	o.Set("background_filter", boolFilter(nq, w.filterCopy()))
	return nil
}

// topMetricsSort checks the sort of top_metrics (script sorts refused).
func (w *walker) topMetricsSort(body esbody.Value, p string) error {
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	if s, ok := o.Get("sort"); ok {
		return w.sort(s, p+".sort")
	}
	return nil
}

// withoutMember returns a shallow copy of o without member name.
func withoutMember(o *esbody.Object, name string) *esbody.Object {
	c := &esbody.Object{}
	for n, v := range o.All() {
		if n != name {
			c.Set(n, v)
		}
	}
	return c
}
