package server

import (
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// Per-item audit events of composite requests, in the shapes Elasticsearch
// gives them (x-pack AuthorizationService): after the request's own event,
//
//   - _bulk: per target index (Elasticsearch: per shard request, which has
//     one index) an access_granted "indices:data/write/bulk[s]" /
//     BulkShardRequest event when items go to that index, then one
//     access_denied and one access_granted event per item action
//     (indices:data/write/index:op_type/index or …:op_type/create, update,
//     delete),
//     request.name BulkItemRequest, indices [the index];
//   - _mget: per index an "indices:data/read/mget[shard]" /
//     MultiGetShardRequest event (_mtermvectors: "indices:data/read/mtv[shard]"
//     / MultiTermVectorsShardRequest);
//   - _msearch: per search an "indices:data/read/search" / SearchRequest
//     event (search/template and SearchTemplateRequest for
//     _msearch/template) with the search's indices.
//
// All share the request's request.id. They are recorded with the request's
// event, in the same group commit: durable before anything is forwarded,
// or before the refusal is sent (then only the refused items' events: the
// others were not executed).

const (
	bulkShardAction    = "indices:data/write/bulk[s]"
	bulkShardRequest   = "BulkShardRequest"
	bulkItemRequest    = "BulkItemRequest"
	mgetShardAction    = "indices:data/read/mget[shard]"
	mgetShardRequest   = "MultiGetShardRequest"
	searchRequest      = "SearchRequest"
	searchTemplateReq  = "SearchTemplateRequest"
	searchAction       = "indices:data/read/search"
	searchTemplateAct  = "indices:data/read/search/template"
	msearchAction      = "indices:data/read/msearch"
	msearchTemplateAct = "indices:data/read/msearch/template"
	bulkAction         = "indices:data/write/bulk"
	mgetAction         = "indices:data/read/mget"
)

// itemAudit is one per-item audit event of a composite request.
type itemAudit struct {
	granted     bool
	action      string
	requestName string
	indices     []string
}

// bulkDecision is the decision on one _bulk item.
type bulkDecision struct {
	index   string
	action  string
	granted bool
}

// bulkAudits groups the items' decisions as Elasticsearch audits them: per
// index, in the order the indices first appear, the shard request (when
// anything goes to that index), then refused and granted items by action.
func bulkAudits(decisions []bulkDecision) []itemAudit {
	var order []string
	byIndex := map[string][]bulkDecision{}
	for _, d := range decisions {
		if _, seen := byIndex[d.index]; !seen {
			order = append(order, d.index)
		}
		byIndex[d.index] = append(byIndex[d.index], d)
	}
	var out []itemAudit
	for _, index := range order {
		ds := byIndex[index]
		if anyGranted(ds) {
			out = append(out, itemAudit{granted: true, action: bulkShardAction, requestName: bulkShardRequest, indices: []string{index}})
		}
		for _, granted := range []bool{false, true} {
			for _, action := range actionsOf(ds, granted) {
				out = append(out, itemAudit{granted: granted, action: action, requestName: bulkItemRequest, indices: []string{index}})
			}
		}
	}
	return out
}

func anyGranted(ds []bulkDecision) bool {
	for _, d := range ds {
		if d.granted {
			return true
		}
	}
	return false
}

// actionsOf lists, in order of first appearance, the actions of the items
// with the given outcome.
func actionsOf(ds []bulkDecision, granted bool) []string {
	var actions []string
	seen := map[string]bool{}
	for _, d := range ds {
		if d.granted == granted && !seen[d.action] {
			seen[d.action] = true
			actions = append(actions, d.action)
		}
	}
	return actions
}

// mgetAudits is one shard-request event per distinct index, in order.
func mgetAudits(indices []string, denied map[string]bool) []itemAudit {
	return shardAudits(mgetShardAction, mgetShardRequest, indices, denied)
}

// msearchAudit is the event of one search of an _msearch.
func msearchAudit(action string, indices []string, granted bool) itemAudit {
	name := searchRequest
	if action == searchTemplateAct {
		name = searchTemplateReq
	}
	return itemAudit{granted: granted, action: action, requestName: name, indices: indices}
}

// searchItemAction is the action of each search of an _msearch (or
// _msearch/template) request.
func searchItemAction(action string) string {
	if action == msearchTemplateAct {
		return searchTemplateAct
	}
	return searchAction
}

// grantedItemAudits describes the items of a composite request that was
// allowed as a whole (a user with full access: no per-item decision was
// needed), so that the audit trail still says which indices it touched.
func grantedItemAudits(st *requestState) []itemAudit {
	pb := st.Body
	if pb == nil || st.Class == nil {
		return nil
	}
	def, hasDef := defaultIndex(st)
	switch st.Action {
	case bulkAction:
		ds := make([]bulkDecision, 0, len(pb.bulk))
		for _, it := range pb.bulk {
			idx := it.Index
			if idx == "" && !hasDef {
				continue // the cluster refuses the item; nothing to name
			}
			if idx == "" {
				idx = def
			}
			ds = append(ds, bulkDecision{index: idx, action: bulkItemAction(it), granted: true})
		}
		return bulkAudits(ds)
	case mgetAction:
		return mgetAudits(mgetIndices(pb, def, hasDef), nil)
	case mtvAction:
		return shardAudits(mtvShardAction, mtvShardRequest, indicesOf(mtvDocItems(st)), nil)
	case msearchAction, msearchTemplateAct:
		action := searchItemAction(st.Action)
		out := make([]itemAudit, 0, len(pb.msearch))
		for _, it := range pb.msearch {
			out = append(out, msearchAudit(action, msearchIndices(&it, st), true))
		}
		return out
	}
	return nil
}

// mgetIndices lists the index of every document of an _mget (the URL's for
// ids and for documents that name none).
func mgetIndices(pb *parsedBody, def string, hasDef bool) []string {
	var out []string
	if len(pb.mgetIDs) > 0 && hasDef {
		out = append(out, def)
	}
	for _, doc := range pb.mget {
		switch {
		case doc.Index != "":
			out = append(out, doc.Index)
		case hasDef:
			out = append(out, def)
		}
	}
	return out
}

// msearchIndices are a search's own indices, or the URL's.
func msearchIndices(it *esbody.MsearchItem, st *requestState) []string {
	if it.Indices != nil {
		return it.Indices
	}
	return st.Class.Indices
}

// itemEvents builds the per-item events of the request: all of them when
// the request is forwarded, only the refused items' when it is not.
func itemEvents(r *http.Request, st *requestState, a Auditor, forwarded bool) []*audit.Event {
	items := st.items
	if forwarded && !st.itemsDecided {
		items = grantedItemAudits(st)
	}
	var evs []*audit.Event
	for _, it := range items {
		if !forwarded && it.granted {
			continue
		}
		action := audit.AccessDenied
		if it.granted {
			action = audit.AccessGranted
		}
		ev := newEvent(r, st, a, audit.TypeTransport, action)
		ev.Action, ev.RequestName, ev.Indices = it.action, it.requestName, it.indices
		ev.RequestBody = "" // the request's own event carries it, once
		evs = append(evs, ev)
	}
	return evs
}
