package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// highlightOptions are the options allowed globally and per field.
func highlightOptions() []string {
	return []string{"pre_tags", "post_tags", "tags_schema", "order", "number_of_fragments",
		"fragment_size", "type", "fragmenter", "boundary_scanner", "boundary_scanner_locale", "boundary_max_scan",
		"boundary_chars", "no_match_size", "phrase_limit", "max_analyzed_offset", "highlight_filter", "encoder",
		"require_field_match", "force_source", "options", "highlight_query", "matched_fields", "fragment_offset"}
}

// highlight rewrites a highlight section. A hidden field named explicitly
// is removed; a pattern is expanded to the visible fields where
// require_field_match is false, or where the query was split per view.
// Otherwise only query terms on the field itself are highlighted, and the
// rewritten query has none on hidden fields; but the copy of a split
// query for one index may hold terms on a field hidden in another, and
// the highlighter does not look at the copy's _index filter. (The
// response filter drops hidden keys either way.) highlight_query and
// matched_fields are rewritten like the query.
func (r *rewriter) highlight(path string, v esbody.Value) (esbody.Value, error) {
	o, err := object(path, v)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, "highlight", o, append([]string{"fields"}, highlightOptions()...)...); err != nil {
		return nil, err
	}
	if err := r.highlightFieldOptions(path, o); err != nil {
		return nil, err
	}
	globalStrict := requireFieldMatch(o, true)
	fv, ok := o.Get("fields")
	if !ok {
		return o, nil
	}
	p := member(path, "fields")
	var out esbody.Value
	if list, isList := esbody.AsArray(fv); isList {
		out, err = r.highlightFieldList(p, list, globalStrict)
	} else {
		var fields *esbody.Object
		if fields, err = object(p, fv); err == nil {
			out, err = r.highlightFieldObject(p, fields, globalStrict)
		}
	}
	if err != nil {
		return nil, err
	}
	o.Set("fields", out)
	return o, nil
}

// highlightFieldObject rewrites {"field": {options}, ...}.
func (r *rewriter) highlightFieldObject(path string, fields *esbody.Object, globalStrict bool) (*esbody.Object, error) {
	out := &esbody.Object{}
	for name, v := range fields.All() {
		names, opts, err := r.highlightField(member(path, name), name, v, globalStrict)
		if err != nil {
			return nil, err
		}
		for i, n := range names {
			if out.Has(n) {
				continue
			}
			if i > 0 {
				opts = esbody.Clone(opts)
			}
			out.Set(n, opts)
		}
	}
	return out, nil
}

// highlightFieldList rewrites [{"field": {options}}, ...], the ordered
// form.
func (r *rewriter) highlightFieldList(path string, list esbody.Array, globalStrict bool) (esbody.Array, error) {
	out := esbody.Array{}
	for i, e := range list {
		p := element(path, i)
		o, err := object(p, e)
		if err != nil {
			return nil, err
		}
		if o.Len() != 1 {
			return nil, malformed(p, "each highlight field entry names one field")
		}
		m := o.At(0)
		names, opts, err := r.highlightField(member(p, m.Name), m.Name, m.Value, globalStrict)
		if err != nil {
			return nil, err
		}
		for j, n := range names {
			if j > 0 {
				opts = esbody.Clone(opts)
			}
			out = append(out, single(n, opts))
		}
	}
	return out, nil
}

// highlightField returns the names one field entry stands for and its
// rewritten options.
func (r *rewriter) highlightField(path, name string, v esbody.Value, globalStrict bool) ([]string, esbody.Value, error) {
	opts, err := object(path, v)
	if err != nil {
		return nil, nil, err
	}
	if err := checkKeys(path, "highlight field", opts, highlightOptions()...); err != nil {
		return nil, nil, err
	}
	if err := r.highlightFieldOptions(path, opts); err != nil {
		return nil, nil, err
	}
	switch {
	case !hasWildcard(name):
		if r.visible(name) {
			return []string{name}, opts, nil
		}
		return nil, opts, nil
	case requireFieldMatch(opts, globalStrict) && r.plan.single():
		return []string{name}, opts, nil
	}
	return r.expand(name), opts, nil
}

// highlightFieldOptions rewrites highlight_query and matched_fields.
func (r *rewriter) highlightFieldOptions(path string, o *esbody.Object) error {
	if err := rewriteMember(path, o, "highlight_query", r.query); err != nil {
		return err
	}
	return rewriteMember(path, o, "matched_fields", func(p string, v esbody.Value) (esbody.Value, error) {
		list, ok := esbody.AsArray(v)
		if !ok {
			list = esbody.Array{v}
		}
		out := esbody.Array{}
		for i, e := range list {
			s, err := str(element(p, i), e)
			if err != nil {
				return nil, err
			}
			if r.visible(s) {
				out = append(out, e)
			}
		}
		return out, nil
	})
}

// requireFieldMatch reads require_field_match, defaulting to inherited.
func requireFieldMatch(o *esbody.Object, inherited bool) bool {
	v, ok := o.Get("require_field_match")
	if !ok {
		return inherited
	}
	switch v := v.(type) {
	case esbody.Bool:
		return bool(v)
	case esbody.String:
		return v == "true"
	}
	// Anything else is read as false, the reading that expands patterns.
	return false
}
