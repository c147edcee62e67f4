package server

import (
	"encoding/json"
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// Elasticsearch authorizes the documents of _mget and _mtermvectors through
// the shard requests the cluster sends for them (x-pack AuthorizationService
// on MultiGetShardRequest / MultiTermVectorsShardRequest): a document of an
// index the user may not read comes back as a per-item failure inside a 200,
// {"_index":…,"_id":…,"error":{"root_cause":[…],"type":"security_exception",
// "reason":"action [indices:data/read/mget[shard]] is unauthorized …"}}
// (MultiGetResponse.Failure, MultiTermVectorsResponse), in its place among
// the others. The proxy does the same: refused documents never reach the
// cluster, the others are forwarded and the answers merged in order.

const (
	mtvAction       = "indices:data/read/mtv"
	mtvShardAction  = "indices:data/read/mtv[shard]"
	mtvShardRequest = "MultiTermVectorsShardRequest"
	mgetDocsKey     = "docs" // the response's item array, for both APIs
)

// docItem is one document of an _mget or _mtermvectors request, with the
// index it reads (the URL's when it names none).
type docItem struct {
	index string
	id    string
}

// docDecision is the outcome of deciding one index of a multi-document
// request, shared by every document on that index.
type docDecision struct {
	access  []authz.IndexAccess
	refusal *itemRefusal
}

// decideDocs decides each distinct index of items once, with the shard
// action Elasticsearch authorizes, and lists the refused documents in
// request order. refine, when set, may refuse an allowed index (for
// example under document- or field-level security).
func decideDocs(az Authorizer, base authz.Request, st *requestState, action string, items []docItem,
	refine func(index string, access []authz.IndexAccess) *itemRefusal) (map[string]docDecision, []deniedItem) {
	decided := map[string]docDecision{}
	var denied []deniedItem
	for pos, it := range items {
		dd, ok := decided[it.index]
		if !ok {
			dd.access, dd.refusal = decideItem(az, base, st, action, it.index)
			if dd.refusal == nil && refine != nil {
				dd.refusal = refine(it.index, dd.access)
			}
			decided[it.index] = dd
		}
		if r := dd.refusal; r != nil {
			denied = append(denied, deniedItem{pos: pos, index: it.index, id: it.id, status: r.status, reason: r.reason})
		}
	}
	return decided, denied
}

// deniedIndices are the indices of the refused documents.
func deniedIndices(denied []deniedItem) map[string]bool {
	out := make(map[string]bool, len(denied))
	for _, d := range denied {
		out[d.index] = true
	}
	return out
}

// shardAudits is one shard-request event per distinct index, in order of
// first appearance (Elasticsearch audits each shard request; the proxy
// does not know the shards, so one per index).
func shardAudits(action, requestName string, indices []string, denied map[string]bool) []itemAudit {
	var out []itemAudit
	seen := map[string]bool{}
	for _, idx := range indices {
		if seen[idx] {
			continue
		}
		seen[idx] = true
		out = append(out, itemAudit{granted: !denied[idx], action: action, requestName: requestName, indices: []string{idx}})
	}
	return out
}

// indicesOf lists the index of every item, in order.
func indicesOf(items []docItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.index
	}
	return out
}

// authorizeMget decides every document on its index: documents the user
// may not read come back as per-item 403s, the others are forwarded (the
// body rewritten to them alone) and their answers merged back in order.
// Allowed documents under DLS/FLS are recorded for the restriction stage,
// which then sees only the forwarded ones (pb.mget is rewritten too).
func authorizeMget(r *http.Request, az Authorizer, base authz.Request, st *requestState, pb *parsedBody) *itemRefusal {
	items, ref := mgetItems(st, pb)
	if ref != nil {
		return ref
	}
	decided, denied := decideDocs(az, base, st, mgetShardAction, items, nil)
	for _, dd := range decided {
		if dd.refusal == nil {
			st.addItemAccess(dd.access)
		}
	}
	st.items, st.itemsDecided = shardAudits(mgetShardAction, mgetShardRequest, indicesOf(items), deniedIndices(denied)), true
	if len(denied) == 0 {
		return nil
	}
	if len(denied) < len(items) {
		// Only the docs form can be partly refused: ids all read the URL's index.
		kept := keptMgetDocs(pb.mget, denied)
		data, err := esbody.EncodeMget(kept)
		if err != nil {
			return &itemRefusal{status: http.StatusForbidden, reason: "cannot re-encode the allowed mget documents: " + err.Error()}
		}
		replaceBody(r, data)
		pb.mget = kept
	}
	return &itemRefusal{merge: newDocsMerger(denied, len(items))}
}

// mgetItems lists the documents of an _mget in response order, or refuses
// a request in which one names no index.
func mgetItems(st *requestState, pb *parsedBody) ([]docItem, *itemRefusal) {
	def, hasDef := defaultIndex(st)
	if len(pb.mgetIDs) > 0 && !hasDef {
		return nil, badBody("mget by ids needs an index in the URL")
	}
	items := make([]docItem, 0, len(pb.mget)+len(pb.mgetIDs))
	for _, doc := range pb.mget {
		idx := doc.Index
		if idx == "" {
			if !hasDef {
				return nil, badBody("mget document names no index")
			}
			idx = def
		}
		items = append(items, docItem{index: idx, id: doc.ID})
	}
	for _, id := range pb.mgetIDs {
		items = append(items, docItem{index: def, id: id})
	}
	return items, nil
}

// keptMgetDocs are the documents not refused, in order.
func keptMgetDocs(docs []esbody.MgetDoc, denied []deniedItem) []esbody.MgetDoc {
	kept := make([]esbody.MgetDoc, 0, len(docs)-len(denied))
	next := 0
	for pos, d := range docs {
		if next < len(denied) && denied[next].pos == pos {
			next++
			continue
		}
		kept = append(kept, d)
	}
	return kept
}

// newDocsMerger merges _mget and _mtermvectors responses: {"docs":[…]},
// without "took".
func newDocsMerger(denied []deniedItem, total int) *itemMerger {
	return &itemMerger{denied: denied, total: total, key: mgetDocsKey, render: deniedItem.docError, untimed: true}
}

// docError renders a refused document as Elasticsearch does
// (MultiGetResponse.Failure): its index and id next to the error, without
// a status.
func (d deniedItem) docError() json.RawMessage {
	type cause struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	type failure struct {
		RootCause []cause `json:"root_cause"`
		cause
	}
	b, _ := json.Marshal(struct { // strings only: cannot fail
		Index string  `json:"_index"`
		ID    string  `json:"_id,omitempty"`
		Error failure `json:"error"`
	}{d.index, d.id, failure{[]cause{{"security_exception", d.reason}}, cause{"security_exception", d.reason}}})
	return b
}
