package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// compositeSources rewrites composite's sources: [{name: {type: {field,
// ...}}}].
func (r *rewriter) compositeSources(path string, o *esbody.Object) error {
	return rewriteMember(path, o, "sources", func(p string, v esbody.Value) (esbody.Value, error) {
		sources, ok := esbody.AsArray(v)
		if !ok {
			return nil, malformed(p, "[sources] must be an array")
		}
		for i, sv := range sources {
			sp := element(p, i)
			named, err := object(sp, sv)
			if err != nil {
				return nil, err
			}
			if named.Len() != 1 {
				return nil, malformed(sp, "a composite source has exactly one name")
			}
			m := named.At(0)
			np := member(sp, m.Name)
			typed, err := object(np, m.Value)
			if err != nil {
				return nil, err
			}
			if typed.Len() != 1 {
				return nil, malformed(np, "a composite source has exactly one type")
			}
			t := typed.At(0)
			spec, ok := compositeSourceSpec(t.Name)
			if !ok {
				return nil, refuse(member(np, t.Name), "composite source type ["+t.Name+"]")
			}
			if _, err := spec.rewrite(r, member(np, t.Name), t.Name, t.Value); err != nil {
				return nil, err
			}
		}
		return sources, nil
	})
}

// compositeSourceSpec lists composite source types.
func compositeSourceSpec(stype string) (aggSpec, bool) {
	common := []string{"missing_bucket", "missing_order", "order"}
	switch stype {
	case "terms":
		return valuesSource(common...), true
	case "histogram":
		return valuesSource(append(common, "interval")...), true
	case "date_histogram":
		return valuesSource(append(common, "calendar_interval", "fixed_interval", "interval", "time_zone", "offset")...), true
	case "geotile_grid":
		return valuesSource(append(common, "precision", "bounds")...), true
	}
	return aggSpec{}, false
}

// multiTermsTerms rewrites multi_terms' terms: [{field, missing, ...}].
func (r *rewriter) multiTermsTerms(path string, o *esbody.Object) error {
	return rewriteMember(path, o, "terms", func(p string, v esbody.Value) (esbody.Value, error) {
		terms, ok := esbody.AsArray(v)
		if !ok {
			return nil, malformed(p, "[terms] must be an array")
		}
		for i, tv := range terms {
			out, err := r.fieldObject(element(p, i), tv)
			if err != nil {
				return nil, err
			}
			terms[i] = out
		}
		return terms, nil
	})
}

// matrixStats rewrites matrix_stats: a field list and missing values keyed
// by field.
func (r *rewriter) matrixStats(path string, o *esbody.Object) error {
	if err := rewriteMember(path, o, "fields", r.literalList); err != nil {
		return err
	}
	return rewriteMember(path, o, "missing", func(p string, v esbody.Value) (esbody.Value, error) {
		missing, err := object(p, v)
		if err != nil {
			return nil, err
		}
		return rebuild(p, missing, func(name string, v esbody.Value) (string, esbody.Value, error) {
			return r.literal(name), v, nil
		})
	})
}

// topMetrics rewrites top_metrics: its metric fields and its sort.
func (r *rewriter) topMetrics(path string, o *esbody.Object) error {
	err := rewriteMember(path, o, "metrics", func(p string, v esbody.Value) (esbody.Value, error) {
		return eachOrOne(p, v, r.fieldObject)
	})
	if err != nil {
		return err
	}
	return rewriteMember(path, o, "sort", r.sort)
}

// topHits rewrites top_hits, which returns hits like a search.
func (r *rewriter) topHits(path string, o *esbody.Object) error {
	return r.hitOptions(path, "top_hits", o, "from", "size", "explain", "version", "seq_no_primary_term",
		"track_scores")
}

// frequentItemSetFields rewrites frequent_item_sets' fields: [{field,
// include, exclude}].
func (r *rewriter) frequentItemSetFields(path string, o *esbody.Object) error {
	return rewriteMember(path, o, "fields", func(p string, v esbody.Value) (esbody.Value, error) {
		return eachOrOne(p, v, r.fieldObject)
	})
}
