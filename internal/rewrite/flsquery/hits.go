package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// hitOptions rewrites the members that shape returned hits, shared by the
// search body, top_hits and inner_hits: fetched fields, highlight, sort and
// collapse. plain lists the other members allowed in this place.
//
// _source filtering and field patterns are left as written: the response
// filter removes hidden values from _source and fields. Explicitly named
// hidden docvalue and fields-API entries are dropped, and stored_fields
// entries neutralised (an emptied list would change its meaning), so the
// cluster does not even load them.
func (r *rewriter) hitOptions(path, what string, o *esbody.Object, plain ...string) error {
	if v, ok := o.Get("script_fields"); ok && !emptyObject(v) {
		return refuse(member(path, "script_fields"), "[script_fields]")
	}
	allowed := append([]string{"_source", "fields", "docvalue_fields", "stored_fields", "highlight", "sort",
		"script_fields"}, plain...)
	if err := checkKeys(path, what, o, allowed...); err != nil {
		return err
	}
	steps := []struct {
		name string
		fn   func(path string, v esbody.Value) (esbody.Value, error)
	}{
		{"fields", r.fetchFields("fields", "format", "include_unmapped")},
		{"docvalue_fields", r.fetchFields("docvalue_fields", "format")},
		{"stored_fields", r.storedFields},
		{"highlight", r.highlight},
		{"sort", r.sort},
		{"collapse", r.collapse},
	}
	for _, s := range steps {
		if err := rewriteMember(path, o, s.name, s.fn); err != nil {
			return err
		}
	}
	return nil
}

// innerHitsSpec rewrites an inner_hits definition (one object, or a list
// for collapse) and records that the query carries inner_hits.
func (r *rewriter) innerHitsSpec(path string, v esbody.Value) (esbody.Value, error) {
	r.innerHits = true
	return eachOrOne(path, v, func(p string, e esbody.Value) (esbody.Value, error) {
		o, err := object(p, e)
		if err != nil {
			return nil, err
		}
		err = r.hitOptions(p, "inner_hits", o, "name", "ignore_unmapped", "from", "size", "explain", "version",
			"seq_no_primary_term", "track_scores", "collapse")
		return o, err
	})
}

// fetchFields returns a rewriter for a list of fields to fetch: names,
// patterns or {field, options} objects. Hidden explicit names are dropped.
// docvalue_fields patterns, and fields-API patterns with a format, are
// expanded to the visible fields they match: the cluster fails the whole
// search on such a pattern reaching a field it does not suit, naming the
// field ("set fielddata=true on [secret_note]", "Field [user.email] of
// type [keyword] doesn't support formats"), so a pattern left as written
// would list hidden fields' names.
func (r *rewriter) fetchFields(what string, options ...string) func(path string, v esbody.Value) (esbody.Value, error) {
	return func(path string, v esbody.Value) (esbody.Value, error) {
		list, ok := esbody.AsArray(v)
		if !ok {
			list = esbody.Array{v}
		}
		out := esbody.Array{}
		for i, e := range list {
			p := element(path, i)
			name, err := r.fetchFieldName(p, what, e, options)
			if err != nil {
				return nil, err
			}
			switch {
			case hasWildcard(name) && (what == "docvalue_fields" || hasFormat(e)):
				for _, f := range r.expand(name) {
					out = append(out, withFetchField(e, f))
				}
			case hasWildcard(name) || r.visible(name):
				out = append(out, e)
			}
		}
		return out, nil
	}
}

// hasFormat reports whether a fetch entry is an object with a format.
func hasFormat(e esbody.Value) bool {
	o, ok := esbody.AsObject(e)
	return ok && o.Has("format")
}

// withFetchField returns a fetch entry like e (a name or a {field,
// options} object) for the field f.
func withFetchField(e esbody.Value, f string) esbody.Value {
	o, ok := esbody.AsObject(e)
	if !ok {
		return esbody.String(f)
	}
	c := esbody.Clone(o).(*esbody.Object)
	c.Set("field", esbody.String(f))
	return c
}

// fetchFieldName returns the field or pattern of one fetch entry.
func (r *rewriter) fetchFieldName(path, what string, e esbody.Value, options []string) (string, error) {
	if s, ok := esbody.AsString(e); ok {
		return s, nil
	}
	o, err := object(path, e)
	if err != nil {
		return "", err
	}
	if err := checkKeys(path, what, o, append([]string{"field"}, options...)...); err != nil {
		return "", err
	}
	v, ok := o.Get("field")
	if !ok {
		return "", malformed(path, "an entry without [field]")
	}
	return str(member(path, "field"), v)
}

// storedFields rewrites stored_fields (one name or a list).
func (r *rewriter) storedFields(path string, v esbody.Value) (esbody.Value, error) {
	return eachOrOne(path, v, func(p string, e esbody.Value) (esbody.Value, error) {
		s, err := str(p, e)
		if err != nil {
			return nil, err
		}
		if s == "_none_" || hasWildcard(s) || r.visible(s) {
			return e, nil
		}
		return esbody.String(NeutralField), nil
	})
}

// collapse rewrites collapse: its field (a hidden one makes the cluster
// answer "no mapping found", as for a missing field) and inner_hits.
func (r *rewriter) collapse(path string, v esbody.Value) (esbody.Value, error) {
	o, err := object(path, v)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, "collapse", o, "field", "inner_hits", "max_concurrent_group_searches"); err != nil {
		return nil, err
	}
	if err := r.literalMember(path, o, "field"); err != nil {
		return nil, err
	}
	// Collapse inner_hits run per group, not inside a query, so they are
	// not recorded as query inner_hits.
	saved := r.innerHits
	err = rewriteMember(path, o, "inner_hits", r.innerHitsSpec)
	r.innerHits = saved
	return o, err
}
