package dls

import (
	"strconv"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// The parts of a search body, besides queries and aggregations, that can
// hold queries or scripts: sort, highlight, inner_hits, collapse, rescore
// and the top-level knn. Each is checked where it nests queries; scripts
// are refused (their results are computed over the hit, but a script is
// code the proxy cannot inspect).

// sort checks a sort specification: a field name, an object, or an array
// of those. Script sorts are refused; nested sort filters are queries.
func (w *walker) sort(v esbody.Value, p string) error {
	switch v := v.(type) {
	case esbody.String:
		return nil
	case esbody.Array:
		for i, e := range v {
			if err := w.sort(e, p+"["+itoa(i)+"]"); err != nil {
				return err
			}
		}
		return nil
	case *esbody.Object:
		for i := 0; i < v.Len(); i++ {
			m := v.At(i)
			if m.Name == "_script" {
				return refuse("[%s._script] scripts are not supported by the proxy if document level security is enabled", p)
			}
			if err := w.sortOptions(m.Value, p+"."+m.Name); err != nil {
				return err
			}
		}
		return nil
	}
	return malformed("[%s] must be a field name, an object or an array", p)
}

// sortOptions checks the options of one sort field: nested (whose filter is
// a query and which may nest again) and the legacy nested_filter.
func (w *walker) sortOptions(v esbody.Value, p string) error {
	o, ok := v.(*esbody.Object)
	if !ok {
		return nil // "asc", "desc"
	}
	if o.Has("script") {
		return refuse("[%s.script] scripts are not supported by the proxy if document level security is enabled", p)
	}
	if nf, ok := o.Get("nested_filter"); ok {
		nq, err := w.query(nf, p+".nested_filter")
		if err != nil {
			return err
		}
		o.Set("nested_filter", nq)
	}
	if n, ok := o.Get("nested"); ok {
		return w.nestedSort(n, p+".nested")
	}
	return nil
}

func (w *walker) nestedSort(v esbody.Value, p string) error {
	o, ok := v.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	if f, ok := o.Get("filter"); ok {
		nq, err := w.query(f, p+".filter")
		if err != nil {
			return err
		}
		o.Set("filter", nq)
	}
	if n, ok := o.Get("nested"); ok {
		return w.nestedSort(n, p+".nested")
	}
	return nil
}

// highlight checks highlight_query, globally and per field. The highlighted
// documents are hits, so nothing else needs DLS.
func (w *walker) highlight(v esbody.Value, p string) error {
	o, ok := v.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	if err := w.highlightQuery(o, p); err != nil {
		return err
	}
	fields, ok := o.Get("fields")
	if !ok {
		return nil
	}
	var perField []*esbody.Object
	switch f := fields.(type) {
	case *esbody.Object:
		perField = append(perField, f)
	case esbody.Array:
		for _, e := range f {
			eo, ok := e.(*esbody.Object)
			if !ok {
				return malformed("[%s.fields] must hold objects", p)
			}
			perField = append(perField, eo)
		}
	default:
		return malformed("[%s.fields] must be an object or an array", p)
	}
	for _, pf := range perField {
		for name, opts := range pf.All() {
			oo, ok := opts.(*esbody.Object)
			if !ok {
				return malformed("[%s.fields.%s] must be an object", p, name)
			}
			if err := w.highlightQuery(oo, p+".fields."+name); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *walker) highlightQuery(o *esbody.Object, p string) error {
	hq, ok := o.Get("highlight_query")
	if !ok {
		return nil
	}
	nq, err := w.query(hq, p+".highlight_query")
	if err != nil {
		return err
	}
	o.Set("highlight_query", nq)
	return nil
}

// innerHitsList checks inner_hits given as one object or an array of them
// (collapse accepts both).
func (w *walker) innerHitsList(v esbody.Value, p string) error {
	if a, ok := v.(esbody.Array); ok {
		for i, e := range a {
			if err := w.innerHits(e, p+"["+itoa(i)+"]"); err != nil {
				return err
			}
		}
		return nil
	}
	return w.innerHits(v, p)
}

// innerHits checks one inner_hits definition (also the body of a top_hits
// aggregation, which has the same fetch options).
func (w *walker) innerHits(v esbody.Value, p string) error {
	o, ok := v.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	for i := 0; i < o.Len(); i++ {
		m := o.At(i)
		mp := p + "." + m.Name
		var err error
		switch m.Name {
		case "sort":
			err = w.sort(m.Value, mp)
		case "highlight":
			err = w.highlight(m.Value, mp)
		case "collapse":
			err = w.collapse(m.Value, mp)
		case "script_fields":
			err = refuseNonEmpty(m.Value, mp, "scripts")
		case "_source", "docvalue_fields", "stored_fields", "fields":
		default:
			if mayHoldQuery(m.Value) {
				err = refuse("[%s] is not supported by the proxy if document level security is enabled", mp)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// collapse checks field collapsing. Its inner hits are fetched with the
// search's own (wrapped) query plus a term on the collapse key, so they
// only need the inner_hits checks.
func (w *walker) collapse(v esbody.Value, p string) error {
	o, ok := v.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	for i := 0; i < o.Len(); i++ {
		m := o.At(i)
		switch {
		case m.Name == "inner_hits":
			if err := w.innerHitsList(m.Value, p+".inner_hits"); err != nil {
				return err
			}
		case mayHoldQuery(m.Value):
			return refuse("[%s.%s] is not supported by the proxy if document level security is enabled", p, m.Name)
		}
	}
	return nil
}

// rescore checks query rescorers (one object or an array). A rescorer only
// re-scores the top hits of the (wrapped) query, so its query needs the
// user checks only. Other rescorers (learning to rank) are refused.
func (w *walker) rescore(v esbody.Value, p string) error {
	items, ok := v.(esbody.Array)
	if !ok {
		items = esbody.Array{v}
	}
	for i, it := range items {
		ip := p
		if ok {
			ip += "[" + itoa(i) + "]"
		}
		o, isObj := it.(*esbody.Object)
		if !isObj {
			return malformed("[%s] must be an object", ip)
		}
		for j := 0; j < o.Len(); j++ {
			m := o.At(j)
			switch m.Name {
			case "window_size":
			case "query":
				if err := w.rescoreQuery(m.Value, ip+".query"); err != nil {
					return err
				}
			default:
				return refuse("[%s.%s] rescorer is not supported by the proxy if document level security is enabled", ip, m.Name)
			}
		}
	}
	return nil
}

func (w *walker) rescoreQuery(v esbody.Value, p string) error {
	o, ok := v.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	for i := 0; i < o.Len(); i++ {
		m := o.At(i)
		switch {
		case m.Name == "rescore_query":
			nq, err := w.query(m.Value, p+".rescore_query")
			if err != nil {
				return err
			}
			o.Set("rescore_query", nq)
		case mayHoldQuery(m.Value):
			return refuse("[%s.%s] is not supported by the proxy if document level security is enabled", p, m.Name)
		}
	}
	return nil
}

// knnSection checks the top-level knn of Elasticsearch 8+ (an object or an
// array) and adds the DLS filter to each: kNN search finds its nearest
// neighbours apart from the query, so the wrapper around the query does not
// reach it.
func (w *walker) knnSection(v esbody.Value, p string) error {
	items, isArr := v.(esbody.Array)
	if !isArr {
		items = esbody.Array{v}
	}
	for i, it := range items {
		ip := p
		if isArr {
			ip += "[" + itoa(i) + "]"
		}
		o, ok := it.(*esbody.Object)
		if !ok {
			return malformed("[%s] must be an object", ip)
		}
		if err := w.vectorQuery(o, ip); err != nil {
			return err
		}
		o.Set("filter", w.withFilter(o, "filter"))
	}
	return nil
}

// withFilter returns the value of member name of o (a query, an array of
// queries, or absent) with the DLS filter appended, as an array.
func (w *walker) withFilter(o *esbody.Object, name string) esbody.Value {
	var filters esbody.Array
	switch f, _ := o.Get(name); f := f.(type) {
	case nil:
	case esbody.Array:
		filters = append(filters, f...)
	default:
		filters = append(filters, f)
	}
	return append(filters, w.filterCopy())
}

// refuseNonEmpty refuses v unless it is an empty object or array (which
// asks for nothing).
func refuseNonEmpty(v esbody.Value, p, what string) error {
	switch v := v.(type) {
	case *esbody.Object:
		if v.Len() == 0 {
			return nil
		}
	case esbody.Array:
		if len(v) == 0 {
			return nil
		}
	case esbody.Null:
		return nil
	}
	return refuse("[%s] %s are not supported by the proxy if document level security is enabled", p, what)
}

func itoa(i int) string { return strconv.Itoa(i) }
