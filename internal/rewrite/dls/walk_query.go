package dls

import (
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// walkMode says whose query the walker is checking.
type walkMode uint8

const (
	// userMode checks a caller's query: constructs that read documents
	// other than the ones being matched are refused, and the inner queries
	// of has_child and has_parent get the DLS filter.
	userMode walkMode = iota + 1
	// roleMode checks a role query: on top of the user rules, what
	// Elasticsearch refuses in role queries (has_child, has_parent,
	// percolate, now in ranges).
	roleMode
)

// walker checks (and, in user mode, rewrites in place) a query DSL tree.
// It knows where the DSL nests queries, so it never mistakes a field name
// for a query type; whatever it does not know and could hold a query is
// refused, because an unrecognised construct is one the proxy cannot prove
// safe.
type walker struct {
	mode walkMode
	// dls is the DLS filter added to queries that match other documents
	// than the hit (has_child, has_parent) and to kNN and background
	// filters. Cloned at every use, so the tree never shares it.
	dls esbody.Value
	// dlsBytes is the encoded size of dls; added counts the bytes its
	// copies have added to the body, bounded by maxFilterCopyBytes.
	dlsBytes, added int
	// exhausted is set once a copy would go past maxFilterCopyBytes.
	exhausted bool
}

// maxFilterCopyBytes bounds the bytes the copies of the DLS filter add to
// one body. Every kNN query, has_child/has_parent query and significant
// terms aggregation gets its own copy, so a small body repeating one of
// them many times grew without bound: 820 KB of kNN queries became 570 MB
// in the proxy's memory (and 9 s of CPU), and a few MB would exhaust it.
// A body past the bound is refused (Wrap).
const maxFilterCopyBytes = 16 << 20

// filterCopy returns a copy of the DLS filter for one more position of the
// body, counted against maxFilterCopyBytes. Past it, the position gets
// match_none (hiding more, never less) and Wrap refuses the body.
func (w *walker) filterCopy() esbody.Value {
	if w.exhausted || w.dlsBytes > maxFilterCopyBytes-w.added {
		w.exhausted = true
		return matchNone()
	}
	w.added += w.dlsBytes
	return esbody.Clone(w.dls)
}

// leafQueries are the query types whose bodies hold no query and read no
// other document. They need no inspection beyond the type name.
var leafQueries = map[string]bool{
	"match": true, "match_phrase": true, "match_phrase_prefix": true, "match_bool_prefix": true,
	"multi_match": true, "combined_fields": true, "query_string": true, "simple_query_string": true,
	"term": true, "range": true, "exists": true, "prefix": true, "wildcard": true, "regexp": true,
	"fuzzy": true, "ids": true, "type": true, "match_all": true, "match_none": true,
	"geo_bounding_box": true, "geo_distance": true, "geo_polygon": true, "geo_grid": true,
	"distance_feature": true, "rank_feature": true, "parent_id": true, "common": true,
	"span_term": true, "span_first": true, "span_near": true, "span_or": true, "span_not": true,
	"span_containing": true, "span_within": true, "span_multi": true, "field_masking_span": true,
	"span_field_masking": true, "sparse_vector": true, "text_expansion": true, "weighted_tokens": true,
	"semantic": true, "neural_sparse": true,
}

// query checks one query (an object with exactly one query type) and
// returns what to put in its place.
func (w *walker) query(v esbody.Value, path string) (esbody.Value, error) {
	o, ok := v.(*esbody.Object)
	if !ok || o == nil {
		return nil, malformed("[%s] must be a query object, found a %s", path, kindOf(v))
	}
	if o.Len() != 1 {
		return nil, malformed("[%s] must hold exactly one query type, found %d members", path, o.Len())
	}
	typ, body := o.At(0).Name, o.At(0).Value
	if err := w.queryBody(typ, body, path+"."+typ); err != nil {
		return nil, err
	}
	return o, nil
}

// queryBody checks (and in user mode rewrites in place) the body of one
// query type.
func (w *walker) queryBody(typ string, body esbody.Value, p string) error {
	switch typ {
	case "bool":
		return w.boolQuery(body, p)
	case "constant_score":
		return w.compound(body, p, []string{"filter"}, nil)
	case "dis_max":
		return w.compound(body, p, []string{"queries"}, nil)
	case "boosting":
		return w.compound(body, p, []string{"positive", "negative"}, nil)
	case "pinned", "rule":
		// Pinned documents and rule criteria only name documents to
		// promote among the ones the (wrapped) query may match.
		return w.compound(body, p, []string{"organic"}, []string{"docs", "match_criteria"})
	case "hybrid":
		return w.compound(body, p, []string{"queries", "filter"}, nil)
	case "nested":
		return w.compound(body, p, []string{"query"}, nil)
	case "has_child", "has_parent":
		return w.joinQuery(typ, body, p)
	case "function_score":
		return w.functionScore(body, p)
	case "knn", "neural":
		return w.vectorQueryPrefiltered(body, p)
	case "terms":
		return w.termsQuery(body, p)
	case "more_like_this":
		return w.moreLikeThis(body, p)
	case "percolate":
		return w.percolate(body, p)
	case "geo_shape", "shape", "xy_shape":
		return indexedShape(body, p)
	case "terms_set":
		return refuseMember(body, p, "minimum_should_match_script", "scripts")
	case "intervals":
		return refuseMember(body, p, "script", "scripts")
	case "script", "script_score":
		return refuse("[%s] scripts are not supported by the proxy if document level security is enabled", p)
	case "wrapper":
		return refuse("[%s] wrapper queries are not supported by the proxy if document level security is enabled", p)
	case "range":
		return w.rangeQuery(body, p)
	}
	if leafQueries[typ] {
		return nil
	}
	return refuse("[%s] query type [%s] is not supported by the proxy if document level security is enabled", p, typ)
}

// compound checks a query whose queryMembers hold a query or an array of
// queries. inner_hits are checked too; opaque members are known to hold no
// query; every other member must hold no object, so that no query hides in
// a member the walker does not know.
func (w *walker) compound(body esbody.Value, p string, queryMembers, opaque []string) error {
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	for i := 0; i < o.Len(); i++ {
		m := o.At(i)
		mp := p + "." + m.Name
		switch {
		case contains(queryMembers, m.Name):
			nv, err := w.queries(m.Value, mp)
			if err != nil {
				return err
			}
			o.Set(m.Name, nv)
		case m.Name == "inner_hits":
			if err := w.innerHitsList(m.Value, mp); err != nil {
				return err
			}
		case contains(opaque, m.Name):
		case mayHoldQuery(m.Value):
			return refuse("[%s] is not supported by the proxy if document level security is enabled", mp)
		}
	}
	return nil
}

// queries checks a query or an array of queries.
func (w *walker) queries(v esbody.Value, p string) (esbody.Value, error) {
	a, ok := v.(esbody.Array)
	if !ok {
		return w.query(v, p)
	}
	for i, q := range a {
		nq, err := w.query(q, p+"["+itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		a[i] = nq
	}
	return a, nil
}

func (w *walker) boolQuery(body esbody.Value, p string) error {
	return w.compound(body, p, []string{"must", "filter", "should", "must_not"}, nil)
}

// joinQuery handles has_child and has_parent. Their inner query matches
// other documents (the children, the parents) than the hit, so DLS must
// apply to those too: in user mode the inner query is wrapped with the
// DLS filter. Elasticsearch refuses both in role queries.
func (w *walker) joinQuery(typ string, body esbody.Value, p string) error {
	if w.mode == roleMode {
		return refuse("[%s] queries are not supported in role queries", typ)
	}
	if err := w.compound(body, p, []string{"query"}, nil); err != nil {
		return err
	}
	o := body.(*esbody.Object)
	inner, ok := o.Get("query")
	if !ok {
		return malformed("[%s] requires a [query]", p)
	}
	o.Set("query", w.wrapped(inner))
	return nil
}

// wrapped returns bool{must:[q], filter:[dls]}.
func (w *walker) wrapped(q esbody.Value) esbody.Value {
	return boolFilter(q, w.filterCopy())
}

// functionScore checks function_score: its query, and the filters of its
// functions; script_score functions are refused.
func (w *walker) functionScore(body esbody.Value, p string) error {
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	if o.Has("script_score") {
		return refuse("[%s.script_score] scripts are not supported by the proxy if document level security is enabled", p)
	}
	if fns, ok := o.Get("functions"); ok {
		if err := w.scoreFunctions(fns, p+".functions"); err != nil {
			return err
		}
	}
	for i := 0; i < o.Len(); i++ {
		m := o.At(i)
		switch m.Name {
		case "query", "filter":
			nq, err := w.query(m.Value, p+"."+m.Name)
			if err != nil {
				return err
			}
			o.Set(m.Name, nq)
		case "functions":
		default:
			// Single-function shorthand (gauss, field_value_factor,
			// random_score, weight…) holds no query.
		}
	}
	return nil
}

func (w *walker) scoreFunctions(v esbody.Value, p string) error {
	a, ok := v.(esbody.Array)
	if !ok {
		return malformed("[%s] must be an array", p)
	}
	for i, f := range a {
		fp := p + "[" + itoa(i) + "]"
		fo, ok := f.(*esbody.Object)
		if !ok {
			return malformed("[%s] must be an object", fp)
		}
		if fo.Has("script_score") {
			return refuse("[%s.script_score] scripts are not supported by the proxy if document level security is enabled", fp)
		}
		if flt, ok := fo.Get("filter"); ok {
			nq, err := w.query(flt, fp+".filter")
			if err != nil {
				return err
			}
			fo.Set("filter", nq)
		}
	}
	return nil
}

// vectorQuery checks the knn query (Elasticsearch: filter in the body;
// OpenSearch: {"<field>":{"vector":…,"filter":…}}) and OpenSearch's neural
// query. Their filters are queries; the hits themselves are covered by the
// wrapper around the whole query. Members known to hold no query are let
// through; any other object is refused.
func (w *walker) vectorQuery(body esbody.Value, p string) error {
	return w.vectorSpec(body, p, true)
}

// vectorQueryPrefiltered checks a knn or neural query and adds the DLS
// filter to its own filter. The wrapper around the whole query is not
// enough for them: the cluster finds the k nearest neighbours first and
// applies the enclosing bool's filters afterwards (Elasticsearch: "all
// other filters found in the Query DSL tree are applied as post-filters";
// OpenSearch alike outside the knn filter), so hidden documents would
// take places among the k and the caller would see fewer hits for a
// vector near them: a count of hidden neighbours of any chosen point.
// Inside the query's filter they are excluded before the search, as
// Elasticsearch's own DLS excludes them. A k-NN engine without filter
// support (OpenSearch's nmslib) then refuses the query: closed.
func (w *walker) vectorQueryPrefiltered(body esbody.Value, p string) error {
	if err := w.vectorQuery(body, p); err != nil {
		return err
	}
	o := body.(*esbody.Object) // vectorQuery refuses anything else
	if _, esForm := o.Get("field"); esForm {
		// Elasticsearch: {"field":…,"query_vector":…,"filter":query or array}.
		o.Set("filter", w.withFilter(o, "filter"))
		return nil
	}
	// OpenSearch: {"<field>":{"vector"|"query_text":…,"filter":one query}}.
	for i := 0; i < o.Len(); i++ {
		m := o.At(i)
		spec, isObj := m.Value.(*esbody.Object)
		if !isObj || m.Name == "filter" || m.Name == "inner_hits" || contains(vectorOpaque, m.Name) {
			continue
		}
		f := w.filterCopy()
		if old, has := spec.Get("filter"); has {
			f = andQueries(old, f)
		}
		spec.Set("filter", f)
	}
	return nil
}

// andQueries is one query matching what both a and b match.
func andQueries(a, b esbody.Value) esbody.Value {
	inner := &esbody.Object{}
	inner.Set("filter", esbody.Array{a, b})
	return single("bool", inner)
}

// vectorOpaque are the object members of kNN and neural specifications
// that hold parameters, never a query.
var vectorOpaque = []string{"query_vector_builder", "rescore_vector", "method_parameters", "rescore"}

func (w *walker) vectorSpec(body esbody.Value, p string, top bool) error {
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	for i := 0; i < o.Len(); i++ {
		m := o.At(i)
		mp := p + "." + m.Name
		switch _, isObj := m.Value.(*esbody.Object); {
		case m.Name == "filter":
			nq, err := w.queries(m.Value, mp)
			if err != nil {
				return err
			}
			o.Set("filter", nq)
		case m.Name == "inner_hits":
			if err := w.innerHitsList(m.Value, mp); err != nil {
				return err
			}
		case contains(vectorOpaque, m.Name):
		case isObj && top:
			// OpenSearch form: the member is the vector field.
			if err := w.vectorSpec(m.Value, mp, false); err != nil {
				return err
			}
		case mayHoldQuery(m.Value):
			return refuse("[%s] is not supported by the proxy if document level security is enabled", mp)
		}
	}
	return nil
}

// termsQuery refuses terms lookup ({"terms":{"f":{"index":…,"id":…}}}):
// it reads another document, possibly one the caller may not see.
func (w *walker) termsQuery(body esbody.Value, p string) error {
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	for _, v := range o.All() {
		if _, isObj := v.(*esbody.Object); isObj {
			return refuse("[%s] terms lookup is not supported by the proxy if document level security is enabled", p)
		}
	}
	return nil
}

// moreLikeThis refuses like/unlike documents given by id: their terms
// would come from documents the caller may not see. Artificial documents
// ({"doc":…}) and texts are fine.
func (w *walker) moreLikeThis(body esbody.Value, p string) error {
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	for _, name := range []string{"like", "unlike", "ids", "docs", "like_text"} {
		v, ok := o.Get(name)
		if !ok {
			continue
		}
		if name == "ids" || name == "docs" {
			return refuse("[%s.%s] documents by id are not supported by the proxy if document level security is enabled", p, name)
		}
		items, isArr := v.(esbody.Array)
		if !isArr {
			items = esbody.Array{v}
		}
		for _, it := range items {
			if io, isObj := it.(*esbody.Object); isObj && (io.Has("_id") || !io.Has("doc")) {
				return refuse("[%s.%s] documents by id are not supported by the proxy if document level security is enabled", p, name)
			}
		}
	}
	return nil
}

// percolate refuses a document given by index and id (it would read it);
// Elasticsearch refuses percolate in role queries altogether.
func (w *walker) percolate(body esbody.Value, p string) error {
	if w.mode == roleMode {
		return refuse("percolate queries are not supported in role queries")
	}
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	if o.Has("id") || o.Has("index") {
		return refuse("[%s] percolating a stored document is not supported by the proxy if document level security is enabled", p)
	}
	return nil
}

// indexedShape refuses geo_shape/shape queries whose shape is read from
// another document.
func indexedShape(body esbody.Value, p string) error {
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	for name, v := range o.All() {
		if fo, ok := v.(*esbody.Object); ok && fo.Has("indexed_shape") {
			return refuse("[%s.%s.indexed_shape] indexed shapes are not supported by the proxy if document level security is enabled", p, name)
		}
	}
	return nil
}

// rangeQuery refuses, in role queries, date math relative to now:
// Elasticsearch does not allow it there (the filter is cached per query).
func (w *walker) rangeQuery(body esbody.Value, p string) error {
	if w.mode != roleMode {
		return nil
	}
	o, ok := body.(*esbody.Object)
	if !ok {
		return malformed("[%s] must be an object", p)
	}
	for field, v := range o.All() {
		fo, ok := v.(*esbody.Object)
		if !ok {
			continue
		}
		for bound, bv := range fo.All() {
			if s, ok := bv.(esbody.String); ok && strings.HasPrefix(strings.TrimSpace(string(s)), "now") {
				return refuse("[%s.%s.%s] date math relative to now is not supported in role queries", p, field, bound)
			}
		}
	}
	return nil
}

// refuseMember refuses a body holding a member called name at any depth.
func refuseMember(body esbody.Value, p, name, what string) error {
	if hasMember(body, name) {
		return refuse("[%s] %s are not supported by the proxy if document level security is enabled", p, what)
	}
	return nil
}

// hasMember reports whether v holds an object member called name at any
// depth.
func hasMember(v esbody.Value, name string) bool {
	switch v := v.(type) {
	case *esbody.Object:
		for n, mv := range v.All() {
			if n == name || hasMember(mv, name) {
				return true
			}
		}
	case esbody.Array:
		for _, e := range v {
			if hasMember(e, name) {
				return true
			}
		}
	}
	return false
}

// mayHoldQuery reports whether v contains an object (a query is one).
func mayHoldQuery(v esbody.Value) bool {
	switch v := v.(type) {
	case *esbody.Object:
		return true
	case esbody.Array:
		for _, e := range v {
			if mayHoldQuery(e) {
				return true
			}
		}
	}
	return false
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func kindOf(v esbody.Value) string {
	if v == nil {
		return "nothing"
	}
	return v.Kind().String()
}
