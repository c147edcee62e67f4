package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// API identifies which kind of body is rewritten; each accepts its own
// top-level members.
type API uint8

// The bodies the package rewrites.
const (
	// Search is a _search, _async_search or _msearch item body.
	Search API = iota + 1
	// Count is a _count body.
	Count
	// Explain is an _explain body.
	Explain
	// ValidateQuery is a _validate/query body.
	ValidateQuery
	// DeleteByQuery is a _delete_by_query body.
	DeleteByQuery
	// UpdateByQuery is an _update_by_query body; its script is refused.
	UpdateByQuery
	// TermsEnum is a _terms_enum body (Elasticsearch).
	TermsEnum
	// KnnSearch is a _knn_search body (Elasticsearch 8.0-8.x).
	KnnSearch
	// FieldCaps is a _field_caps body.
	FieldCaps
)

// String returns the endpoint the API stands for.
func (a API) String() string {
	switch a {
	case Search:
		return "_search"
	case Count:
		return "_count"
	case Explain:
		return "_explain"
	case ValidateQuery:
		return "_validate/query"
	case DeleteByQuery:
		return "_delete_by_query"
	case UpdateByQuery:
		return "_update_by_query"
	case TermsEnum:
		return "_terms_enum"
	case KnnSearch:
		return "_knn_search"
	case FieldCaps:
		return "_field_caps"
	}
	return "unknown"
}

// Rewrite rewrites a search body (_search, _async_search, an _msearch
// item) for the indices of scope. It is RewriteBody(Search, ...).
func Rewrite(body *esbody.Object, scope Scope) (*esbody.Object, error) {
	return RewriteBody(Search, body, scope)
}

// RewriteBody rewrites the body of api so that every field hidden in
// scope behaves as if it did not exist. When no index of scope has FLS the
// body is returned unchanged (the same pointer). Otherwise the result is a
// rewritten copy; body itself is never modified. A nil body (a request
// without one) stays nil.
//
// The error is a *Refusal: the request must then be answered with it and
// not forwarded.
func RewriteBody(api API, body *esbody.Object, scope Scope) (*esbody.Object, error) {
	p := newPlan(scope)
	if !p.hasFLS() || body == nil {
		return body, nil
	}
	r := &rewriter{plan: p, view: p.strict, split: true}
	out := body.Clone()
	if err := r.body(api, out); err != nil {
		return nil, err
	}
	if p.exhausted {
		return nil, errTooLarge()
	}
	return out, nil
}

// body dispatches on the API.
func (r *rewriter) body(api API, o *esbody.Object) error {
	switch api {
	case Search:
		return r.searchBody(o)
	case Count, Explain, ValidateQuery:
		return r.queryOnlyBody(api, o)
	case DeleteByQuery, UpdateByQuery:
		return r.byQueryBody(api, o)
	case TermsEnum:
		return r.termsEnumBody(o)
	case KnnSearch:
		return r.knnSearchBody(o)
	case FieldCaps:
		return r.fieldCapsBody(o)
	}
	return refuse("", "request body of an unknown API")
}

// searchPlain are search body members that name no field and hold no
// query.
func searchPlain() []string {
	return []string{"from", "size", "timeout", "terminate_after", "track_total_hits", "track_scores",
		"version", "seq_no_primary_term", "explain", "min_score", "profile", "stats", "indices_boost", "search_after",
		"pit", "rank", "verbose_pipeline", "include_named_queries_score"}
}

// emptyObject reports {}, which Kibana sends for script_fields and
// runtime_mappings on every search: it defines nothing, so it is kept.
func emptyObject(v esbody.Value) bool {
	o, ok := esbody.AsObject(v)
	return ok && o.Len() == 0
}

// searchRefused are search body members refused under FLS (unless
// empty), with why.
func searchRefused(name string) (string, bool) {
	switch name {
	case "runtime_mappings":
		return "[runtime_mappings] (runtime fields can read any field)", true
	case "derived":
		return "[derived] fields (they can read any field)", true
	case "script_fields":
		return "[script_fields]", true
	case "ext":
		return "[ext] (search plugin extensions)", true
	case "retriever", "sub_searches":
		return "[" + name + "]", true
	case "search_pipeline":
		return "an inline [search_pipeline]", true
	}
	return "", false
}

// searchBody rewrites a search request body.
func (r *rewriter) searchBody(o *esbody.Object) error {
	if o.Has("aggs") && o.Has("aggregations") {
		return malformed("", "both [aggs] and [aggregations]")
	}
	for name, v := range o.All() {
		if what, refused := searchRefused(name); refused && !emptyObject(v) {
			return refuse("", what)
		}
	}
	steps := []struct {
		name string
		fn   func(path string, v esbody.Value) (esbody.Value, error)
	}{
		{"query", r.rootQuery},
		{"post_filter", r.rootQuery},
		{"rescore", r.rescore},
		{"knn", r.topLevelKnn},
		{"aggs", r.aggregations},
		{"aggregations", r.aggregations},
		{"suggest", r.suggest},
		{"slice", r.slice},
	}
	handled := []string{"query", "post_filter", "rescore", "knn", "aggs", "aggregations", "suggest", "slice",
		"collapse", "runtime_mappings", "derived", "ext"}
	hitMembers := append(handled, searchPlain()...)
	if err := r.hitOptions("", "search", o, hitMembers...); err != nil {
		return err
	}
	for _, s := range steps {
		if err := rewriteMember("", o, s.name, s.fn); err != nil {
			return err
		}
	}
	return nil
}

// rescore rewrites rescore: one rescorer or a list of them.
func (r *rewriter) rescore(path string, v esbody.Value) (esbody.Value, error) {
	return eachOrOne(path, v, func(p string, e esbody.Value) (esbody.Value, error) {
		o, err := object(p, e)
		if err != nil {
			return nil, err
		}
		if err := checkKeys(p, "rescore", o, "window_size", "query"); err != nil {
			return nil, err
		}
		err = rewriteMember(p, o, "query", func(qp string, qv esbody.Value) (esbody.Value, error) {
			q, err := object(qp, qv)
			if err != nil {
				return nil, err
			}
			if err := checkKeys(qp, "rescore query", q, "rescore_query", "query_weight", "rescore_query_weight",
				"score_mode"); err != nil {
				return nil, err
			}
			return q, rewriteMember(qp, q, "rescore_query", r.rootQuery)
		})
		return o, err
	})
}

// topLevelKnn rewrites the search body's knn section (one or a list).
func (r *rewriter) topLevelKnn(path string, v esbody.Value) (esbody.Value, error) {
	return eachOrOne(path, v, func(p string, e esbody.Value) (esbody.Value, error) {
		o, err := object(p, e)
		if err != nil {
			return nil, err
		}
		return o, r.knnSearch(p, o, r.rootQueries)
	})
}

// slice rewrites slice: {id, max, field}.
func (r *rewriter) slice(path string, v esbody.Value) (esbody.Value, error) {
	o, err := object(path, v)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(path, "slice", o, "id", "max", "field"); err != nil {
		return nil, err
	}
	return o, r.literalMember(path, o, "field")
}

// queryOnlyBody rewrites bodies that hold only a query.
func (r *rewriter) queryOnlyBody(api API, o *esbody.Object) error {
	if err := checkKeys("", api.String(), o, "query"); err != nil {
		return err
	}
	return rewriteMember("", o, "query", r.rootQuery)
}

// byQueryBody rewrites _delete_by_query and _update_by_query bodies. An
// update script reads and writes whole documents, hidden fields included
// (it could copy one into a visible field), so it is refused.
func (r *rewriter) byQueryBody(api API, o *esbody.Object) error {
	if o.Has("script") {
		return refuse("script", "a script in "+api.String())
	}
	if err := checkKeys("", api.String(), o, "query", "max_docs", "size", "slice", "conflicts", "sort"); err != nil {
		return err
	}
	for _, s := range []struct {
		name string
		fn   func(path string, v esbody.Value) (esbody.Value, error)
	}{{"query", r.rootQuery}, {"slice", r.slice}, {"sort", r.sort}} {
		if err := rewriteMember("", o, s.name, s.fn); err != nil {
			return err
		}
	}
	return nil
}

// termsEnumBody rewrites a _terms_enum body: the enumerated field (a
// hidden one enumerates nothing) and index_filter.
func (r *rewriter) termsEnumBody(o *esbody.Object) error {
	if err := checkKeys("", TermsEnum.String(), o, "field", "string", "size", "timeout", "case_insensitive",
		"index_filter", "search_after"); err != nil {
		return err
	}
	if err := r.literalMember("", o, "field"); err != nil {
		return err
	}
	return rewriteMember("", o, "index_filter", r.rootQuery)
}

// knnSearchBody rewrites a _knn_search body.
func (r *rewriter) knnSearchBody(o *esbody.Object) error {
	if err := r.hitOptions("", KnnSearch.String(), o, "knn", "filter"); err != nil {
		return err
	}
	if err := rewriteMember("", o, "knn", r.topLevelKnn); err != nil {
		return err
	}
	return rewriteMember("", o, "filter", r.rootQueries)
}

// fieldCapsBody rewrites a _field_caps body: index_filter is a query;
// runtime_mappings would add fields computed from hidden ones.
func (r *rewriter) fieldCapsBody(o *esbody.Object) error {
	if v, ok := o.Get("runtime_mappings"); ok && !emptyObject(v) {
		return refuse("", "[runtime_mappings]")
	}
	if err := checkKeys("", FieldCaps.String(), o, "index_filter", "runtime_mappings"); err != nil {
		return err
	}
	return rewriteMember("", o, "index_filter", r.rootQuery)
}
