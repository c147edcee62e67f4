package dls

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// BodyKind names the API whose body Wrap rewrites; each accepts different
// members.
type BodyKind uint8

// The body kinds. _async_search and the items of _msearch are Search.
const (
	// Search is a _search, _async_search or _msearch item body.
	Search BodyKind = iota + 1
	// Count is a _count body: {"query":…} only.
	Count
	// Explain is an _explain body: {"query":…} only.
	Explain
	// ValidateQuery is a _validate/query body: {"query":…} only.
	ValidateQuery
	// DeleteByQuery is a _delete_by_query body: a search body plus
	// conflicts and max_docs.
	DeleteByQuery
	// UpdateByQuery is an _update_by_query body: as DeleteByQuery, plus
	// script, which is refused under DLS.
	UpdateByQuery
	// KnnSearch is the body of Elasticsearch 8's _knn_search endpoint.
	KnnSearch
)

// String returns the API name of the kind.
func (k BodyKind) String() string {
	switch k {
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
	case KnnSearch:
		return "_knn_search"
	}
	return "unknown"
}

// Wrap returns body rewritten so that only documents the DLS filter allows
// can shape the response, or a *Refusal. filter is what Filter returned
// (not nil); body may be nil (no request body). The input is not modified:
// Wrap works on a deep copy.
//
// The query becomes
//
//	{"bool":{"must":[<the caller's query, or match_all>],"filter":[<filter>]}}
//
// which keeps the caller's scoring and applies DLS as a non-scoring filter
// to every hit, count and aggregation. A _validate/query body is checked
// the same way but keeps the caller's query unwrapped (validateBody): it
// reads no document, and its explanation would print the role query. For
// search bodies, every other member is checked against what the proxy
// knows (the search request parsers of Elasticsearch 7.17, 8.x, 9.x and
// OpenSearch 2.19); an unknown member is refused. What can reach documents outside the query is
// rewritten or refused:
//
//   - knn (top level): the filter is added to each knn's filter; a
//     search with knn and no query gets no query (kNN-only search).
//   - knn and neural queries (anywhere in a query): the filter is added
//     to their own filter too, because the cluster applies the enclosing
//     bool's filters only after it has picked the k nearest neighbours.
//   - has_child / has_parent (anywhere in a query): their inner query is
//     wrapped too, since it matches other documents than the hit.
//   - significant_terms / significant_text: the filter is added to
//     background_filter.
//   - refused: suggest and profile:true (with Elasticsearch's own
//     messages), global / children / parent aggregations, terms-like
//     aggregations with min_doc_count 0, scripts anywhere (script and
//     script_score queries, script_fields, runtime_mappings, OpenSearch
//     derived fields, scripted_metric, scripts in aggregations and sorts),
//     terms lookup, more_like_this with documents by id, percolate of a
//     stored document, indexed shapes, wrapper queries, rescorers other
//     than query, retriever / sub_searches / rank, ext, search_pipeline,
//     and query or aggregation types the proxy does not know.
//   - unchanged: post_filter, rescore, collapse and its inner_hits, sort,
//     highlight, sampler / filter / filters aggregations, top_hits,
//     stored_fields / docvalue_fields / fields / _source, pit,
//     search_after, slice, indices_boost, stats, explain, track_total_hits
//     (each acts on hits the wrapped query selected; their queries are
//     still checked).
func Wrap(kind BodyKind, body *esbody.Object, filter esbody.Value) (*esbody.Object, error) {
	if filter == nil {
		return nil, malformed("no document level security filter to apply")
	}
	out := body.Clone()
	if out == nil {
		out = &esbody.Object{}
	}
	raw, err := esbody.Encode(filter)
	if err != nil {
		return nil, malformed("document level security filter that cannot be encoded: %v", err)
	}
	w := &walker{mode: userMode, dls: filter, dlsBytes: len(raw)}
	switch kind {
	case Search, DeleteByQuery, UpdateByQuery:
		err = w.searchBody(kind, out)
	case Count, Explain:
		err = w.queryOnlyBody(kind, out)
	case ValidateQuery:
		return validateBody(w, body, out)
	case KnnSearch:
		err = w.knnSearchBody(out)
	default:
		err = malformed("unknown body kind %d", kind)
	}
	if err != nil {
		return nil, err
	}
	if w.exhausted {
		return nil, refuse("the body needs the document level security filter in too many places: its copies would add more than %d bytes", maxFilterCopyBytes)
	}
	return out, nil
}

// WrapSearch is Wrap(Search, body, filter).
func WrapSearch(body *esbody.Object, filter esbody.Value) (*esbody.Object, error) {
	return Wrap(Search, body, filter)
}

// wrapQuery replaces o's query with the DLS wrapper around it.
func (w *walker) wrapQuery(o *esbody.Object) error {
	q, ok := o.Get("query")
	if !ok {
		q = matchAll()
	} else {
		var err error
		if q, err = w.query(q, "query"); err != nil {
			return err
		}
	}
	// Keep "query" where the caller put it; add it first otherwise, as
	// clients usually do.
	if !o.Has("query") {
		rest := withoutMember(o, "query")
		*o = esbody.Object{}
		o.Set("query", boolFilter(q, w.filterCopy()))
		for n, v := range rest.All() {
			o.Set(n, v)
		}
		return nil
	}
	o.Set("query", boolFilter(q, w.filterCopy()))
	return nil
}

// validateBody checks a _validate/query body like a count's (work is the
// copy the walker may change) and returns the user's query without the
// filter. Without rewrite (CheckURL refuses it under DLS) the cluster
// validates and explains the query against the mappings and reads no
// document; the documents a query names (terms lookup, more_like_this by
// id, indexed shapes, stored percolator documents) are refused by the
// walker. The filter would only show in the explanation: Elasticsearch
// applies the role query to the index reader, so its explanation never
// names it, while a role query can name values only hidden documents hold
// ("must_not": {"term": {"code": "..."}}).
func validateBody(w *walker, body, work *esbody.Object) (*esbody.Object, error) {
	if err := w.queryOnlyBody(ValidateQuery, work); err != nil {
		return nil, err
	}
	if w.exhausted {
		return nil, refuse("the body needs the document level security filter in too many places: its copies would add more than %d bytes", maxFilterCopyBytes)
	}
	if body == nil || !body.Has("query") {
		// What the cluster validates without a body.
		out := &esbody.Object{}
		out.Set("query", matchAll())
		return out, nil
	}
	return body.Clone(), nil
}

// queryOnlyBody handles _count, _explain and _validate/query, whose bodies
// hold a query and nothing else (RestActions.getQueryContent).
func (w *walker) queryOnlyBody(kind BodyKind, o *esbody.Object) error {
	for _, n := range o.Names() {
		if n != "query" {
			return malformed("request does not support [%s]: a %s body holds [query] only", n, kind)
		}
	}
	return w.wrapQuery(o)
}

// knnSearchBody handles _knn_search: {knn, filter, _source, fields,
// docvalue_fields, stored_fields}. The DLS filter joins the top-level
// filter, which the kNN search applies.
func (w *walker) knnSearchBody(o *esbody.Object) error {
	for i := 0; i < o.Len(); i++ {
		m := o.At(i)
		switch m.Name {
		case "knn":
			if err := w.vectorQuery(m.Value, "knn"); err != nil {
				return err
			}
		case "filter":
			nq, err := w.queries(m.Value, "filter")
			if err != nil {
				return err
			}
			o.Set("filter", nq)
		case "_source", "fields", "docvalue_fields", "stored_fields":
		default:
			return refuse("[%s] is not a member the proxy knows in a _knn_search body", m.Name)
		}
	}
	o.Set("filter", w.withFilter(o, "filter"))
	return nil
}

// boolFilter returns {"bool":{"must":[q],"filter":[filter]}}.
func boolFilter(q, filter esbody.Value) esbody.Value {
	inner := &esbody.Object{}
	inner.Set("must", esbody.Array{q})
	inner.Set("filter", esbody.Array{filter})
	return single("bool", inner)
}

func matchAll() esbody.Value { return single("match_all", &esbody.Object{}) }

func matchNone() esbody.Value { return single("match_none", &esbody.Object{}) }

// single returns the object {name: v}.
func single(name string, v esbody.Value) *esbody.Object {
	o := &esbody.Object{}
	o.Set(name, v)
	return o
}
