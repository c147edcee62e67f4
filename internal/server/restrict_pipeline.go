package server

import (
	"fmt"
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
)

// Search pipelines under field-level security. OpenSearch runs a search
// through a pipeline after the proxy has rewritten it: the one the request
// names (?search_pipeline= or an inline one in the body, both refused
// under FLS and DLS), or the index's default one
// (index.search.default_pipeline), which anyone who may change the index's
// settings can set. Its response processors (rename_field, split, sort…)
// copy or move a hidden field's value under a name the caller may see,
// after the proxy has rewritten the request and before it filters the
// answer; its request processors (filter_query) make which documents match
// depend on hidden fields. So an FLS search must run through no pipeline:
//
//   - a search body gets an empty inline pipeline ("search_pipeline":{}),
//     which OpenSearch runs instead of the index default (_msearch items
//     too, which have no other way to opt out);
//   - _count, _cat/count and _delete_by_query take no inline pipeline (and no
//     ?search_pipeline=_none), but their answers count what a default
//     pipeline's filter_query let match: they are refused on indices that
//     name one.
//
// The first holds whenever the cluster runs search pipelines (OpenSearch
// 2.9+), whatever the metadata snapshot says; the second relies on the
// snapshot, which the proxy refreshes after each settings change it
// forwards. Scroll continuations run no pipeline. DLS alone needs none of
// this: request processors can only narrow the wrapped query, and DLS
// hides documents, not fields.

// withoutSearchPipeline makes an FLS search body run through no search
// pipeline, on clusters that run them.
func (rr *restrictedRequest) withoutSearchPipeline(kind dls.BodyKind, body *esbody.Object) {
	if rr.fls && kind == dls.Search && !rr.countsOnly(kind) && rr.st.snapshot.SearchPipelines() {
		body.Set("search_pipeline", &esbody.Object{})
	}
}

// searchPipelineRefusal refuses an FLS count or delete-by-query on an
// index with a default search pipeline (see above).
func (rr *restrictedRequest) searchPipelineRefusal(kind dls.BodyKind) error {
	if !rr.fls || !rr.countsOnly(kind) {
		return nil
	}
	for _, name := range rr.reachedIndices() {
		ix, ok := rr.st.snapshot.Index(name)
		if !ok || ix.SearchPipeline == "" {
			continue
		}
		return eserr.Security(http.StatusForbidden, fmt.Sprintf(
			"action [%s] is unauthorized for user [%s] on indices [%s]: the index runs searches through the default search pipeline [%s], "+
				"which acts after the security proxy and is not supported if field level security is enabled; use _search with size 0",
			rr.st.Action, rr.st.Principal.Username, name, ix.SearchPipeline))
	}
	return nil
}

// countsOnly: the request answers with counts, not hits, and takes no
// inline search pipeline (_count, _cat/count, _delete_by_query).
func (rr *restrictedRequest) countsOnly(kind dls.BodyKind) bool {
	return kind == dls.Count || kind == dls.DeleteByQuery || rr.st.Class.Route == "cat"
}
