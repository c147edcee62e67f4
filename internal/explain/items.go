package explain

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/server"
)

// decideItems explains a composite request whose action was authorized by
// name: each item is decided on its own, as the server's authorizeItems
// does. Refused items are answered one by one inside a 200; the request
// is refused as a whole only for the reasons the server refuses it.
func decideItems(rep *Report, in Input, c *esapi.Classification, base authz.Request, b *server.ParsedBody) {
	if b == nil {
		rep.refuse(eserr.Security(http.StatusBadRequest, fmt.Sprintf("request [%s] requires a body", base.Action)))
		return
	}
	var e *eserr.Error
	switch base.Action {
	case "indices:data/write/bulk":
		e = bulkItems(rep, in, c, base, b)
	case "indices:data/read/mget":
		e = mgetItems(rep, in, c, base, b)
	case "indices:data/read/msearch", "indices:data/read/msearch/template":
		msearchItems(rep, in, c, base, b)
	default:
		rep.Outcome = Narrow
		rep.Notes = append(rep.Notes, fmt.Sprintf("the items of [%s] are decided one by one when the request is served; explain does not itemize this API", base.Action))
		return
	}
	if e != nil {
		rep.Items = nil
		rep.refuse(e)
		return
	}
	rep.Outcome = Allow
	if slices.ContainsFunc(rep.Items, func(it Item) bool { return it.Outcome != Allow }) {
		rep.Outcome = Narrow
	}
}

// bulkItems decides each _bulk item; it returns the refusal of the whole
// request (with the server's own rules and messages).
func bulkItems(rep *Report, in Input, c *esapi.Classification, base authz.Request, b *server.ParsedBody) *eserr.Error {
	if e := server.BulkRequestRefusal(in.Authorizer, base, c); e != nil {
		return e
	}
	for pos, it := range b.Bulk() {
		idx, e := server.BulkItemIndex(in.Authorizer, base, c, it)
		if e != nil {
			return e
		}
		item := Item{Position: pos, Line: it.Line, Op: it.Action, ID: it.ID, Action: server.BulkItemAction(it), Indices: []string{idx}}
		access, e := server.DecideItem(in.Authorizer, base, item.Action, idx)
		if e == nil && access != nil && it.Op == "update" {
			e = server.RestrictedBulkUpdateRefusal()
		}
		item.settle(e, access, in)
		if e == nil && item.Access != nil && it.Op != "update" {
			rep.addNote("writes and deletes under document-level security are checked against the role query and the cluster when the request is served")
		}
		rep.Items = append(rep.Items, item)
	}
	return nil
}

// mgetItems decides each _mget document on its index.
func mgetItems(rep *Report, in Input, c *esapi.Classification, base authz.Request, b *server.ParsedBody) *eserr.Error {
	docs, e := server.MgetDocuments(c, b)
	if e != nil {
		return e
	}
	for pos, doc := range docs {
		item := Item{Position: pos, ID: doc.ID, Action: server.MgetShardAction, Indices: []string{doc.Index}}
		access, e := server.DecideItem(in.Authorizer, base, item.Action, doc.Index)
		item.settle(e, access, in)
		rep.Items = append(rep.Items, item)
	}
	return nil
}

// msearchItems decides each search of an _msearch, narrowing its indices
// as a search alone would be.
func msearchItems(rep *Report, in Input, c *esapi.Classification, base authz.Request, b *server.ParsedBody) {
	action := server.MsearchItemAction(base.Action)
	items := b.Msearch()
	for i := range items {
		it := &items[i]
		req := base
		req.Action, req.Indices, req.Options = action, it.Indices, server.MsearchItemOptions(it)
		if it.Indices == nil {
			req.Indices = c.Indices
		}
		item := Item{Position: i, Line: it.Line, Action: action, Indices: req.Indices, Outcome: Allow}
		d := in.Authorizer.Decide(req)
		switch {
		case !d.Allowed:
			e := denial(d)
			item.Outcome, item.Status, item.Reason = Deny, e.Status, e.Reason
		default:
			if d.Rewritten || d.MatchNothing {
				item.Outcome, item.Forwarded = Narrow, d.Indices
				if d.MatchNothing {
					item.Forwarded = []string{"*", "-*"}
				}
			}
			if slices.ContainsFunc(d.Access, authz.IndexAccess.Filtered) {
				item.Outcome, item.Access = Narrow, accessOf(d.Access, in.User)
			}
		}
		if item.Indices == nil {
			item.Indices = []string{}
		}
		rep.Items = append(rep.Items, item)
	}
}

// settle records an item's decision: refused (e), or allowed with the
// DLS/FLS in access.
func (it *Item) settle(e *eserr.Error, access []authz.IndexAccess, in Input) {
	switch {
	case e != nil:
		it.Outcome, it.Status, it.Reason = Deny, e.Status, e.Reason
	case slices.ContainsFunc(access, authz.IndexAccess.Filtered):
		it.Outcome, it.Access = Narrow, accessOf(access, in.User)
	default:
		it.Outcome = Allow
	}
}

// addNote adds a note once.
func (rep *Report) addNote(n string) {
	if !slices.Contains(rep.Notes, n) {
		rep.Notes = append(rep.Notes, n)
	}
}
