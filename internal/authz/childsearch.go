package authz

import (
	"fmt"
)

// searchingActions maps the actions that make the cluster search the
// request's indices on the user's behalf to the action of that search.
// Elasticsearch runs _update_by_query and _delete_by_query as a scroll
// search followed by bulk writes, each authorized as a request of its own
// with the caller's roles: the caller needs the read privilege as well as
// the write one (the APIs' documented prerequisites), and the search sees
// only what the read privilege's document- and field-level security shows.
// Deciding the write action alone would let a user who may write an index
// but not read it (or read it only through DLS/FLS) count, update and
// delete documents by queries on data hidden from them.
//
// Search templates and asynchronous searches run their search the same way
// (TransportSearchTemplateAction, TransportSubmitAsyncSearchAction): the
// read privilege grants both actions, but a role granting the outer action
// by its name alone, without DLS/FLS, must not lift the DLS/FLS another role
// puts on the search.
var searchingActions = map[string]string{
	"indices:data/write/update/byquery":     "indices:data/read/search",
	"indices:data/write/delete/byquery":     "indices:data/read/search",
	"indices:data/read/search/template":     "indices:data/read/search",
	"indices:data/read/async_search/submit": "indices:data/read/search",
}

// searchSides names the two decisions of a searching action, for refusals.
var searchSides = sides{
	who:  func(req Request) string { return fmt.Sprintf("user [%s]", req.User) },
	both: "the write and the search it runs",
}

// decideWithSearch decides req (a searching action) and the search it runs
// on the same index expressions, and intersects the two decisions: the
// names both reach, with the document- and field-level security of both
// (in Elasticsearch only the search's applies, but the write's is kept:
// the proxy enforces it on the request as a whole). As for API keys, when
// the two reached different names both are decided again on the names both
// reach, so that neither side's access counts a name the other dropped.
func (s *Subject) decideWithSearch(req Request, search string) Decision {
	return decidedOnCommonNames(req, func(req Request) Decision { return s.bothActions(req, search) })
}

// bothActions decides req and, when that allows it, the search it runs
// and the writes it makes (withItemWrites).
func (s *Subject) bothActions(req Request, search string) Decision {
	d := s.decideOne(req)
	if !d.Allowed {
		return d
	}
	sreq := req
	sreq.Action = search
	return s.withItemWrites(req, intersect(req, d, s.decideOne(sreq), searchSides))
}
