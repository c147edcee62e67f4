package dls

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// memberRule is what Wrap does with one top-level member of a search body.
type memberRule uint8

const (
	keep           memberRule = iota + 1 // acts on hits only; nothing to check
	checkQuery                           // a query: checked (post_filter)
	checkAggs                            // aggregations
	checkSort                            // sort
	checkHighlight                       // highlight
	checkCollapse                        // collapse
	checkRescore                         // rescore
	addToKnn                             // top-level knn: filter added
	refuseSuggest                        // Elasticsearch's own refusal
	refuseProfile                        // refused when true
	refuseScripts                        // refused unless empty
	refuseAlways                         // refused when present
)

// searchMembers are the members of a search body: the union of the search
// request parsers (SearchSourceBuilder.parseXContent) of Elasticsearch
// 7.17, 8.x and 9.x and OpenSearch 2.19. Anything else is refused, even
// where the cluster would itself reject it, so a member a later version
// adds is never forwarded unexamined. "query" is handled by the wrapper.
var searchMembers = map[string]memberRule{
	"from":                        keep,
	"size":                        keep,
	"timeout":                     keep,
	"terminate_after":             keep,
	"min_score":                   keep,
	"version":                     keep,
	"seq_no_primary_term":         keep,
	"explain":                     keep,
	"_source":                     keep,
	"stored_fields":               keep,
	"docvalue_fields":             keep,
	"fields":                      keep,
	"track_scores":                keep,
	"track_total_hits":            keep,
	"indices_boost":               keep,
	"stats":                       keep,
	"search_after":                keep,
	"slice":                       keep,
	"pit":                         keep,
	"verbose_pipeline":            keep,
	"include_named_queries_score": keep,
	"post_filter":                 checkQuery,
	"aggs":                        checkAggs,
	"aggregations":                checkAggs,
	"sort":                        checkSort,
	"highlight":                   checkHighlight,
	"collapse":                    checkCollapse,
	"rescore":                     checkRescore,
	"knn":                         addToKnn,
	"suggest":                     refuseSuggest,
	"profile":                     refuseProfile,
	"script_fields":               refuseScripts,
	"runtime_mappings":            refuseScripts,
	"derived":                     refuseScripts, // OpenSearch derived fields
	// retriever, sub_searches and rank run queries of their own; ext
	// feeds plugins and search_pipeline lets a pipeline rewrite the
	// request after the proxy: none can be shown to keep the filter.
	"retriever":       refuseAlways,
	"sub_searches":    refuseAlways,
	"rank":            refuseAlways,
	"ext":             refuseAlways,
	"search_pipeline": refuseAlways,
}

// searchBody rewrites a search (or by-query) body in place.
func (w *walker) searchBody(kind BodyKind, o *esbody.Object) error {
	for i := 0; i < o.Len(); i++ {
		m := o.At(i)
		if m.Name == "query" {
			continue
		}
		if err := w.searchMember(kind, o, m); err != nil {
			return err
		}
	}
	if !o.Has("query") && o.Has("knn") {
		// A kNN-only search: its hits and aggregations come from the knn
		// sections, which now carry the filter. Adding a match_all query
		// would add every visible document to the hits.
		return nil
	}
	return w.wrapQuery(o)
}

func (w *walker) searchMember(kind BodyKind, o *esbody.Object, m esbody.Member) error {
	switch m.Name {
	case "conflicts", "max_docs":
		if kind == DeleteByQuery || kind == UpdateByQuery {
			return nil
		}
	case "script":
		if kind == UpdateByQuery {
			// The script rewrites matched documents into something
			// write-side DLS cannot check before the cluster runs it.
			return refuse("[script] is not supported by the proxy in _update_by_query if document level security is enabled")
		}
	}
	rule, ok := searchMembers[m.Name]
	if !ok {
		return refuse("[%s] is not a search body member the proxy knows; it is refused if document level security is enabled", m.Name)
	}
	switch rule {
	case keep:
		return nil
	case checkQuery:
		nq, err := w.query(m.Value, m.Name)
		if err != nil {
			return err
		}
		o.Set(m.Name, nq)
		return nil
	case checkAggs:
		return w.aggs(m.Value, m.Name)
	case checkSort:
		return w.sort(m.Value, m.Name)
	case checkHighlight:
		return w.highlight(m.Value, m.Name)
	case checkCollapse:
		return w.collapse(m.Value, m.Name)
	case checkRescore:
		return w.rescore(m.Value, m.Name)
	case addToKnn:
		return w.knnSection(m.Value, m.Name)
	case refuseSuggest:
		return refuse(reasonSuggest)
	case refuseProfile:
		if b, ok := m.Value.(esbody.Bool); ok && !bool(b) {
			return nil
		}
		return refuse(reasonProfile)
	case refuseScripts:
		return refuseNonEmpty(m.Value, m.Name, "scripts")
	}
	return refuse("[%s] is not supported by the proxy if document level security is enabled", m.Name)
}
