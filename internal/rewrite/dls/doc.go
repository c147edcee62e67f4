// Package dls enforces Elasticsearch-style document-level security (DLS)
// from outside the cluster, by rewriting requests.
//
// The cluster behind the proxy has no security: whatever body the proxy
// forwards runs with full rights. So every request that reaches an index
// under DLS is rewritten so that only the documents the caller's roles
// allow can shape the response, or it is refused with an *Refusal. Nothing
// here does HTTP: the server calls it per request.
//
// The flow for a search is:
//
//	cache := dls.NewCache(0)                     // one per proxy, owned by the server
//	indices := dls.FromAccess(decision.Access)  // per concrete index: its role queries
//	filter, err := cache.Filter(user, indices)  // render, validate, scope by _index
//	if filter != nil {                          // nil: no index is under DLS
//		err = dls.CheckURL(dls.Search, r.URL.Query())
//		body, consumed, err := dls.ApplyURLQuery(dls.Search, body, r.URL.Query())
//		// remove consumed from the URL, then:
//		body, err = dls.Wrap(dls.Search, body, filter)
//	}
//
// Errors are *Refusal values (an Elasticsearch-shaped status, type and
// reason), except those of Cache.Query and Cache.Queries (see
// RoleQueryRefusal) and ErrUnsupported from the write-side Matches.
//
// Role queries (package authz keeps them as written in roles.yml) are a
// query object, a string holding one, or a mustache template
// {"template":{"source":…,"params":…}} rendered per user with
// Elasticsearch's variables (_user.username, _user.email, _user.full_name,
// _user.roles, _user.metadata.*) and functions ({{#toJson}}, {{#join}},
// {{#url}}), following Elasticsearch's lang-mustache (checked against
// OpenSearch's _render/template). A user value can never change the
// structure of a role query, which takes four deliberate differences:
//
//   - values are JSON-escaped wherever they land: also the elements of
//     {{#join}} and a string given to {{#toJson}}, which Elasticsearch
//     writes raw;
//   - unescaped output ({{{x}}}, {{&x}}), partials, delimiters and
//     inheritance are refused;
//   - {{x}} of an array or object (Java's toString in Elasticsearch) is
//     refused: {{#toJson}} is the way;
//   - a template may only use the JSON content type, and a stored script
//     ({"template":{"id":…}}) is refused.
//
// A variable that resolves to nothing renders as nothing, as in
// Elasticsearch. Every rendered query is parsed strictly (duplicate names
// refused) and validated: what Elasticsearch refuses in role queries
// (terms lookup, has_child, has_parent, percolate, indexed shapes, now in
// ranges) and what the proxy refuses under DLS is refused.
//
// Filter scopes each role query to the indices it belongs to with terms
// queries on _index, so that one request over several indices applies each
// index's own DLS, and documents of an index the decision did not know match
// nothing.
//
// Wrap turns a search-like body into
//
//	{"query":{"bool":{"must":[<the caller's query or match_all>],"filter":[<dls>]}}}
//
// and makes every other part of the body that could let hidden documents
// shape a visible result safe, or refuses the request (see Wrap for the
// list). Matches and MatchesAny evaluate a role query on a document about
// to be written (write-side DLS, beyond Elasticsearch).
package dls
