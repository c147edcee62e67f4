package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// sort rewrites a sort specification: a name, an object of sorts, or a
// list of either. A hidden field sorts as a missing one: it becomes
// NeutralField with an unmapped_type, so every document has no value and
// the hidden values cannot order the hits. _script sorts are refused.
func (r *rewriter) sort(path string, v esbody.Value) (esbody.Value, error) {
	list, isList := esbody.AsArray(v)
	if !isList {
		list = esbody.Array{v}
	}
	out := make(esbody.Array, 0, len(list))
	changed := false
	for i, e := range list {
		p := path
		if isList {
			p = element(path, i)
		}
		entries, err := r.sortEntry(p, e)
		if err != nil {
			return nil, err
		}
		if len(entries) != 1 || !esbody.Equal(entries[0], e) {
			changed = true
		}
		out = append(out, entries...)
	}
	if !changed {
		return v, nil
	}
	return out, nil
}

// sortEntry rewrites one element of a sort list. An object holding several
// sorts comes back as one entry per sort, so two hidden fields cannot
// collide under the same neutral name.
func (r *rewriter) sortEntry(path string, e esbody.Value) ([]esbody.Value, error) {
	if name, ok := esbody.AsString(e); ok {
		if isSortKeyword(name) || r.visible(name) {
			return []esbody.Value{e}, nil
		}
		return []esbody.Value{single(NeutralField, neutralSortOptions(&esbody.Object{}))}, nil
	}
	o, err := object(path, e)
	if err != nil {
		return nil, err
	}
	var out []esbody.Value
	for name, spec := range o.All() {
		p := member(path, name)
		entry, err := r.sortField(p, name, spec)
		if err != nil {
			return nil, err
		}
		out = append(out, entry)
	}
	return out, nil
}

// isSortKeyword reports the sort names that are not fields.
func isSortKeyword(name string) bool {
	return name == "_score" || name == "_doc" || name == "_shard_doc"
}

// sortField rewrites {name: spec}.
func (r *rewriter) sortField(path, name string, spec esbody.Value) (esbody.Value, error) {
	switch {
	case name == "_script":
		return nil, refuse(path, "[_script] sort")
	case name == "_geo_distance" || name == "_geoDistance":
		return r.geoDistanceSort(path, name, spec)
	case isSortKeyword(name):
		return single(name, spec), nil
	}
	var opts *esbody.Object
	switch spec := spec.(type) {
	case esbody.String:
		opts = single("order", spec)
	case *esbody.Object:
		opts = spec
		if err := checkKeys(path, "sort", opts, "order", "mode", "missing", "unmapped_type", "numeric_type",
			"format", "nested", "nested_path", "nested_filter"); err != nil {
			return nil, err
		}
		if err := r.sortNested(path, opts); err != nil {
			return nil, err
		}
	default:
		return nil, malformed(path, "a sort is an order or an object of options")
	}
	if r.visible(name) {
		if _, isOrder := spec.(esbody.String); isOrder {
			return single(name, spec), nil
		}
		return single(name, opts), nil
	}
	return single(NeutralField, neutralSortOptions(opts)), nil
}

// neutralSortOptions adds the unmapped_type under which the neutral field
// sorts without error: a numeric type where the options need one
// (numeric_type, a numeric mode), date where a format is given, keyword
// otherwise.
func neutralSortOptions(opts *esbody.Object) *esbody.Object {
	if opts.Has("unmapped_type") {
		return opts
	}
	unmapped := "keyword"
	mode, _ := opts.Get("mode")
	switch {
	case opts.Has("format"):
		unmapped = "date"
	case opts.Has("numeric_type"), isOneOf(stringOf(mode), "avg", "sum", "median"):
		unmapped = "long"
	}
	opts.Set("unmapped_type", esbody.String(unmapped))
	return opts
}

// stringOf returns v's text when it is a string.
func stringOf(v esbody.Value) string {
	s, _ := esbody.AsString(v)
	return s
}

// sortNested rewrites the nested context of a field sort: its path, its
// filter (a query) and deeper nested levels; the pre-7 nested_path and
// nested_filter spellings too.
func (r *rewriter) sortNested(path string, opts *esbody.Object) error {
	if v, ok := opts.Get("nested_path"); ok {
		p, err := str(member(path, "nested_path"), v)
		if err != nil {
			return err
		}
		if !r.nestedPathVisible(p) {
			opts.Set("nested_path", esbody.String(NeutralField))
		}
	}
	if err := rewriteMember(path, opts, "nested_filter", r.query); err != nil {
		return err
	}
	return rewriteMember(path, opts, "nested", r.nestedSort)
}

// nestedSort rewrites {path, filter, max_children, nested}.
func (r *rewriter) nestedSort(path string, v esbody.Value) (esbody.Value, error) {
	o, err := object(path, v)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, "nested", o, "path", "filter", "max_children", "nested"); err != nil {
		return nil, err
	}
	if pv, ok := o.Get("path"); ok {
		p, err := str(member(path, "path"), pv)
		if err != nil {
			return nil, err
		}
		if !r.nestedPathVisible(p) {
			o.Set("path", esbody.String(NeutralField))
		}
	}
	if err := rewriteMember(path, o, "filter", r.query); err != nil {
		return nil, err
	}
	if err := rewriteMember(path, o, "nested", r.nestedSort); err != nil {
		return nil, err
	}
	return o, nil
}

// geoDistanceSort rewrites {"_geo_distance": {field: points, options}}.
func (r *rewriter) geoDistanceSort(path, name string, spec esbody.Value) (esbody.Value, error) {
	o, err := object(path, spec)
	if err != nil {
		return nil, err
	}
	options := []string{"order", "unit", "mode", "distance_type", "ignore_unmapped", "validation_method",
		"nested", "nested_path", "nested_filter", "coerce", "ignore_malformed"}
	fields := 0
	hidden := false
	out, err := rebuild(path, o, func(k string, v esbody.Value) (string, esbody.Value, error) {
		// Only scalars (and the nested object) are options; any other
		// object or array holds the points of a field, whatever its name.
		isNested := k == "nested" || k == "nested_filter"
		if (isScalar(v) && isOneOf(k, options...)) || (isNested && !isScalar(v)) {
			return k, v, nil
		}
		fields++
		if fields > 1 {
			return "", nil, malformed(path, "[_geo_distance] takes one field")
		}
		nk := r.literal(k)
		hidden = nk != k
		return nk, v, nil
	})
	if err != nil {
		return nil, err
	}
	if hidden {
		out.Set("ignore_unmapped", esbody.Bool(true))
	}
	if err := r.sortNested(path, out); err != nil {
		return nil, err
	}
	return single(name, out), nil
}
