package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// itemRefusal is why one item of a composite request may not go through:
// either the whole request is refused (status, reason), or, as
// Elasticsearch does, the refused items are answered one by one inside a
// 200 and only the others reach the cluster (merge).
type itemRefusal struct {
	status int
	reason string
	// merge, when set, means some items were refused one by one: the rest
	// is forwarded and the response merged (not a refusal of the request).
	merge *itemMerger
}

// authorizeItems decides every item of a _bulk, _mget, _mtermvectors or
// _msearch request on its own, as Elasticsearch does, narrowing _msearch
// items' indices where needed. It returns nil when all items may go
// through (and the body of r then holds the possibly rewritten items).
func authorizeItems(r *http.Request, az Authorizer, base authz.Request, st *requestState) *itemRefusal {
	pb := st.Body
	if pb == nil {
		return &itemRefusal{status: http.StatusBadRequest, reason: fmt.Sprintf("request [%s] requires a body", base.Action)}
	}
	switch base.Action {
	case "indices:data/write/bulk":
		return authorizeBulk(r, az, base, st, pb.bulk)
	case "indices:data/read/mget":
		return authorizeMget(r, az, base, st, pb)
	case mtvAction:
		return authorizeMtv(r, az, base, st, pb)
	case "indices:data/read/msearch", "indices:data/read/msearch/template":
		return authorizeMsearch(r, az, base, st, pb)
	}
	return &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf("action [%s] is unauthorized for user [%s]: per-item authorization of this request is not supported by the security proxy yet", base.Action, base.User)}
}

// defaultIndex is the index named in the URL of a composite request, used
// by items that name none.
func defaultIndex(st *requestState) (string, bool) {
	if len(st.Class.Indices) == 1 {
		return st.Class.Indices[0], true
	}
	return "", false
}

// decideItem decides one item on one explicit index: it must be allowed
// as named (no narrowing). Under document- or field-level security it
// returns the access to enforce when the request has a restriction stage
// (st.restrictions), and refuses the item otherwise.
func decideItem(az Authorizer, base authz.Request, st *requestState, action, index string) ([]authz.IndexAccess, *itemRefusal) {
	req := base
	req.Action, req.Indices, req.Options = action, []string{index}, authz.IndicesOptions{}
	d := az.Decide(req)
	switch {
	case !d.Allowed:
		return nil, &itemRefusal{status: statusOr403(d.Status), reason: d.Reason}
	case d.Rewritten || d.MatchNothing || len(d.Indices) != 1:
		return nil, &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf("action [%s] is unauthorized for user [%s]: item index [%s] must name one index, alias or data stream", action, base.User, index)}
	case slices.ContainsFunc(d.Access, authz.IndexAccess.Filtered):
		if st.restrictions == nil {
			return nil, &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf("action [%s] is unauthorized for user [%s] on indices [%s]: document- or field-level security applies and is not enforced by the security proxy", action, base.User, index)}
		}
		return d.Access, nil
	}
	return nil, nil
}

func bulkItemAction(it esbody.BulkItem) string {
	switch it.Op {
	case "create":
		return actionIndexCreate
	case "update":
		return "indices:data/write/update"
	case "delete":
		return "indices:data/write/delete"
	}
	if it.ID == "" { // an auto-generated id is a create
		return actionIndexCreate
	}
	// May overwrite a document: create_doc does not grant it (checklist 35).
	return actionIndexOverwrite
}

// authorizeBulk decides every item. Items that name no usable index, or a
// pipeline, refuse the whole request; items the user may not write are
// refused one by one, as Elasticsearch does, and the others go through.
func authorizeBulk(r *http.Request, az Authorizer, base authz.Request, st *requestState, items []esbody.BulkItem) *itemRefusal {
	pipelines := onceBool(func() bool { return mayUsePipelines(az, base) })
	if ref := bulkRequestProblem(st.Class, pipelines); ref != nil {
		return ref
	}
	var denied []deniedItem
	var decisions distinctDecisions
	var scriptRefusals memoRefusals
	decide := memoDecideItem(az, base, st)
	readOf := memoReadOf(az, base)
	autoPut := map[string]*autoPutCheck{}
	for pos, it := range items {
		idx, ref := bulkItemIndex(st.Class, it, pipelines)
		if ref != nil {
			return ref
		}
		action := bulkItemAction(it)
		access, ref := decide(action, idx)
		if ref == nil {
			// The shard-level bulk request carrying the item is
			// authorized on its index first (AuthorizationService, then
			// authorizeBulkItems): a role granting the item's action by
			// name without indices:data/write/bulk* there does not allow
			// it, whatever role grants the _bulk request itself.
			_, ref = decide(actionBulkShard, idx)
		}
		if ref == nil && it.Op == "update" {
			ref = bulkUpdateReadRefusal(st, pos, it, idx, access, readOf)
		}
		if ref == nil && bulkItemCreates(it) {
			ref = autoCreateRefusal(az, base, st.indexNames, idx)
		}
		if ref == nil && bulkItemReadsDocuments(st.Body, pos, it) {
			ref = &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf("action [%s] is unauthorized for user [%s]: %s", action, base.User, reasonReadsDocuments)}
		}
		// Every update item either runs a script or merges a partial
		// document into the stored one, out of the proxy's sight.
		if ref == nil && it.Op == "update" {
			ref = scriptRefusals.get(idx, func() *itemRefusal {
				item := base
				item.Action = action
				return percolatorIndicesRefusal(r.Context(), st.restrictions, item, []string{idx})
			})
		}
		if ref == nil && it.Op != "delete" {
			ref = bulkAutoPutRefusal(r, az, base, st, pos, it, idx, autoPut)
		}
		if ref == nil && access != nil {
			ref = checkRestrictedBulkItem(r, st, pos, it, idx, access)
		}
		if ref != nil {
			denied = append(denied, deniedItem{pos: pos, op: it.Action, index: idx, id: it.ID, status: ref.status, reason: ref.reason})
		}
		decisions.add(bulkDecision{index: idx, action: action, granted: ref == nil})
	}
	st.items, st.itemsDecided = bulkAudits(decisions.list), true
	if len(denied) == 0 {
		return nil
	}
	if err := keepAllowedBulk(r, st.Body, denied); err != nil {
		return &itemRefusal{status: http.StatusForbidden, reason: err.Error()}
	}
	m := newBulkMerger(denied, len(items))
	m.stream = st.Body.spooled != nil // a large bulk has a large answer
	return &itemRefusal{merge: m}
}

// bulkItemReadsDocuments reports whether item pos's document line (a
// document, or an update's doc and upsert) references other documents by
// index and id: a percolator field parses its query when the document is
// indexed and fetches them then, with the cluster's rights. The same check
// applies to single-document writes through readsBeyondItsIndices.
func bulkItemReadsDocuments(pb *parsedBody, pos int, it esbody.BulkItem) bool {
	if pb == nil {
		return false
	}
	if pb.spooled != nil {
		return pb.bulkDocRefs[pos]
	}
	return it.Source != nil && referencesOtherDocuments(it.Source)
}

// bulkItemHasScript reports whether update item pos has a script.
func bulkItemHasScript(pb *parsedBody, pos int, it esbody.BulkItem) bool {
	if pb == nil {
		return false
	}
	if pb.spooled != nil {
		return pb.bulkScripts[pos]
	}
	return it.Source != nil && hasScript(it.Source)
}

// memoRefusals remembers one refusal (or none) per index for the items
// of one request.
type memoRefusals map[string]*itemRefusal

func (m *memoRefusals) get(index string, decide func() *itemRefusal) *itemRefusal {
	if ref, ok := (*m)[index]; ok {
		return ref
	}
	if *m == nil {
		*m = memoRefusals{}
	}
	ref := decide()
	(*m)[index] = ref
	return ref
}

// authorizeMsearch decides every search: refused ones come back as
// per-item 403s (as in Elasticsearch), others are narrowed to the indices
// the user may read and forwarded.
func authorizeMsearch(r *http.Request, az Authorizer, base authz.Request, st *requestState, pb *parsedBody) *itemRefusal {
	action := searchItemAction(base.Action)
	var denied []deniedItem
	audits := make([]itemAudit, 0, len(pb.msearch))
	changed := false
	for i := range pb.msearch {
		it := &pb.msearch[i]
		req := base
		req.Action, req.Indices = action, msearchIndices(it, st)
		req.Options = itemOptions(it)
		d := az.Decide(req)
		granted, names := false, req.Indices
		switch {
		case !d.Allowed:
			denied = append(denied, deniedItem{pos: i, status: statusOr403(d.Status), reason: d.Reason})
		case slices.ContainsFunc(d.Access, authz.IndexAccess.Filtered):
			if st.restrictions == nil {
				denied = append(denied, deniedItem{pos: i, status: http.StatusForbidden, reason: fmt.Sprintf("action [%s] is unauthorized for user [%s]: document- or field-level security applies and is not enforced by the security proxy", action, base.User)})
				break
			}
			if ref := st.restrictions.restrictMsearchItem(r, st, it, d); ref != nil {
				denied = append(denied, deniedItem{pos: i, status: ref.status, reason: ref.reason})
				break
			}
			granted, names, changed = true, d.Indices, true
			if d.Rewritten || d.MatchNothing {
				if d.MatchNothing {
					names = matchNothing
				}
				if err := it.SetIndices(names); err != nil {
					return &itemRefusal{status: http.StatusForbidden, reason: "cannot narrow msearch item: " + err.Error()}
				}
			}
		case d.Rewritten || d.MatchNothing:
			granted, names = true, d.Indices
			if d.MatchNothing {
				names = matchNothing
			}
			if err := it.SetIndices(names); err != nil {
				return &itemRefusal{status: http.StatusForbidden, reason: "cannot narrow msearch item: " + err.Error()}
			}
			changed = true
		default:
			granted = true
		}
		audits = append(audits, msearchAudit(action, names, granted))
	}
	st.items, st.itemsDecided = audits, true
	if !changed && len(denied) == 0 {
		return nil
	}
	kept := make([]esbody.MsearchItem, 0, len(pb.msearch)-len(denied))
	next := 0
	for i, it := range pb.msearch {
		if next < len(denied) && denied[next].pos == i {
			next++
			continue
		}
		kept = append(kept, it)
	}
	if len(kept) > 0 {
		data, err := esbody.EncodeMsearch(kept)
		if err != nil {
			return &itemRefusal{status: http.StatusForbidden, reason: "cannot re-encode msearch: " + err.Error()}
		}
		replaceBody(r, data)
	}
	if len(denied) == 0 {
		return nil
	}
	return &itemRefusal{merge: newMsearchMerger(denied, len(pb.msearch))}
}

func itemOptions(it *esbody.MsearchItem) authz.IndicesOptions {
	var o authz.IndicesOptions
	if len(it.ExpandWildcards) > 0 {
		o.ExpandWildcards, _ = authz.ParseExpandWildcards(strings.Join(it.ExpandWildcards, ","))
	}
	if it.IgnoreUnavailable != nil {
		o.IgnoreUnavailable = *it.IgnoreUnavailable
	}
	if it.AllowNoIndices != nil {
		o.ForbidNoIndices = !*it.AllowNoIndices
	}
	return o
}

// replaceBody makes data the request's body, with a matching length.
func replaceBody(r *http.Request, data []byte) {
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.ContentLength = int64(len(data))
	r.Header.Set("Content-Length", strconv.Itoa(len(data)))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}

func statusOr403(s int) int {
	if s == 0 {
		return http.StatusForbidden
	}
	return s
}

// bulkRequestProblem refuses a whole _bulk for what its URL says: a
// default pipeline can change every item's target index, so only users
// who may use pipelines (mayUsePipelines, asked only when one is named)
// may name one.
func bulkRequestProblem(c *esapi.Classification, pipelines func() bool) *itemRefusal {
	if namesPipeline(c) && !pipelines() {
		return &itemRefusal{status: http.StatusForbidden, reason: "bulk requests " + reasonBulkPipeline}
	}
	return nil
}

// bulkItemIndex is the index a _bulk item writes to (its own, or the
// URL's), or the refusal of the whole request: an item that names no
// usable index, or a pipeline (which can change the target index) from a
// user who may not use pipelines.
func bulkItemIndex(c *esapi.Classification, it esbody.BulkItem, pipelines func() bool) (string, *itemRefusal) {
	idx := it.Index
	if idx == "" {
		if len(c.Indices) != 1 {
			return "", &itemRefusal{status: http.StatusBadRequest, reason: "bulk item on line " + strconv.Itoa(it.Line) + " names no index"}
		}
		idx = c.Indices[0]
	}
	if it.Pipeline != "" && !pipelines() {
		return "", &itemRefusal{status: http.StatusForbidden, reason: "bulk items " + reasonBulkPipeline}
	}
	return idx, nil
}

// onceBool memoises f: it runs at most once, when first asked.
func onceBool(f func() bool) func() bool {
	var done, v bool
	return func() bool {
		if !done {
			done, v = true, f()
		}
		return v
	}
}
