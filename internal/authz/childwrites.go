package authz

import "fmt"

// actionBulkShard is the action of the shard-level bulk requests the
// cluster sends for a bulk request's items.
const actionBulkShard = "indices:data/write/bulk[s]"

// byQueryItemActions maps the by-query actions to the actions Elasticsearch
// authorizes, with the caller's roles, for the writes they make.
// AbstractAsyncBulkByScrollAction sends each batch of search hits as a bulk
// request: its shard requests (indices:data/write/bulk[s]) and then every
// item are authorized on their own (AuthorizationService.authorizeBulkItems),
// a delete item as indices:data/write/delete, a re-indexed document (an
// index request with the default op_type) as
// indices:data/write/index:op_type/index. A role granting
// indices:data/write/delete/byquery by name, with read but without the
// delete action, may therefore not delete anything through it; deciding the
// by-query action alone let it. (The delete and index privileges grant
// their by-query action and its items alike.) A script of
// _update_by_query setting ctx.op to "delete" makes delete items: that is
// decided on the script (internal/server), not here.
var byQueryItemActions = map[string][]string{
	"indices:data/write/delete/byquery": {actionBulkShard, "indices:data/write/delete"},
	"indices:data/write/update/byquery": {actionBulkShard, "indices:data/write/index:op_type/index"},
}

// itemSides names the two decisions of a by-query action and of the writes
// it makes, for refusals.
var itemSides = sides{
	who:  func(req Request) string { return fmt.Sprintf("user [%s]", req.User) },
	both: "the request and the writes it makes",
}

// withItemWrites intersects d, the decision of a by-query action req, with
// the decisions of the actions of the writes it makes (byQueryItemActions)
// on the same index expressions: only the names every one reaches, with
// the document- and field-level security of all of them. A refused write
// action refuses the request with that action's refusal, the one
// Elasticsearch puts on each item.
func (s *Subject) withItemWrites(req Request, d Decision) Decision {
	for _, action := range byQueryItemActions[req.Action] {
		if !d.Allowed {
			return d
		}
		ireq := req
		ireq.Action = action
		d = intersect(req, d, s.decideOne(ireq), itemSides)
	}
	return d
}
