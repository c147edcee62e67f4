package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// keyedWithFilter handles vector and neural queries keyed by their field,
// {field: {options, filter}}, whose filter is a query.
func keyedWithFilter(options ...string) queryHandler {
	allowed := append([]string{"filter"}, options...)
	return func(r *rewriter, path, qtype string, body esbody.Value) (esbody.Value, error) {
		out, inner, innerPath, err := r.fieldKeyed(path, qtype, body, fieldOptions{inner: allowed, objectOnly: true})
		if err != nil {
			return nil, err
		}
		if err := rewriteMember(innerPath, inner, "filter", r.query); err != nil {
			return nil, err
		}
		return single(qtype, out), nil
	}
}

// knnQuery rewrites both knn query shapes: Elasticsearch's {"field": "f",
// "query_vector": ...} and OpenSearch's {"f": {"vector": ...}}. A string
// "field" member tells them apart (an OpenSearch field called "field"
// holds an object).
func (r *rewriter) knnQuery(path, qtype string, body esbody.Value) (esbody.Value, error) {
	o, err := object(path, body)
	if err != nil {
		return nil, err
	}
	if v, ok := o.Get("field"); ok {
		if _, isName := v.(esbody.String); isName {
			if err := r.knnSearch(path, o, r.queries); err != nil {
				return nil, err
			}
			return single(qtype, o), nil
		}
	}
	return keyedWithFilter("vector", "k", "min_score", "max_distance", "method_parameters", "rescore",
		"expand_nested_docs", "boost", "_name")(r, path, qtype, body)
}

// knnSearch rewrites an Elasticsearch knn search (the knn query, and the
// top-level knn section of a search): the vector field, its filters (with
// filters, which differs between the two) and inner_hits.
func (r *rewriter) knnSearch(path string, o *esbody.Object, filters func(string, esbody.Value) (esbody.Value, error)) error {
	if err := checkKeys(path, "knn", o, "field", "query_vector", "query_vector_builder", "k", "num_candidates",
		"filter", "similarity", "boost", "_name", "inner_hits", "rescore_vector"); err != nil {
		return err
	}
	if err := r.literalMember(path, o, "field"); err != nil {
		return err
	}
	if err := rewriteMember(path, o, "filter", filters); err != nil {
		return err
	}
	return rewriteMember(path, o, "inner_hits", r.innerHitsSpec)
}

// geoQuery handles geo and shape queries: options beside one field key.
// As in Elasticsearch's parsers, a member holding an object or an array is
// always the field, whatever its name; only scalars can be options. A
// hidden field gets ignore_unmapped (where the type has it), so the
// neutral field matches nothing instead of failing the search.
func geoQuery(hasIgnoreUnmapped bool, options ...string) queryHandler {
	return func(r *rewriter, path, qtype string, body esbody.Value) (esbody.Value, error) {
		o, err := object(path, body)
		if err != nil {
			return nil, err
		}
		fields := 0
		hidden := false
		out, err := rebuild(path, o, func(name string, v esbody.Value) (string, esbody.Value, error) {
			if isScalar(v) && isOneOf(name, options...) {
				return name, v, nil
			}
			fields++
			if fields > 1 {
				return "", nil, malformed(path, "["+qtype+"] query does not support multiple fields")
			}
			if shape, ok := esbody.AsObject(v); ok && shape.Has("indexed_shape") {
				return "", nil, refuse(member(member(path, name), "indexed_shape"), "indexed shape lookup")
			}
			newName := r.literal(name)
			hidden = newName != name
			return newName, v, nil
		})
		if err != nil {
			return nil, err
		}
		if fields == 0 {
			return nil, malformed(path, "["+qtype+"] requires a field")
		}
		if hidden && hasIgnoreUnmapped {
			out.Set("ignore_unmapped", esbody.Bool(true))
		}
		return single(qtype, out), nil
	}
}
