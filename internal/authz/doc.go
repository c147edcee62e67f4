// Package authz holds Elasticsearch's authorization model as the proxy
// enforces it: role descriptors read from roles.yml (Elastic's schema,
// checked as strictly as Elasticsearch checks it), the built-in roles, the
// catalogue of named privileges and the action patterns they grant, index
// name patterns (wildcards and Lucene regular expressions) with
// restricted-index awareness, and the Evaluator that decides a request.
//
// The cluster behind the proxy has no security of its own, so every choice
// here fails closed: a role with any problem is dropped, an unknown privilege
// makes its role invalid, a pattern we cannot translate exactly is refused.
//
// Decisions follow Elasticsearch's RBAC engine: cluster actions by the
// roles' cluster privileges; index actions by resolving the request's index
// expressions under security against a snapshot of the cluster's
// namespace (Metadata): wildcards expand only to what the user may access,
// explicit names are refused or dropped, date math, exclusions, aliases,
// data streams, hidden, closed and restricted indices behave as in
// Elasticsearch. An allowed index decision lists the names to forward and,
// per concrete index, the document- and field-level security to apply,
// combined over the user's roles.
//
// The package knows nothing of HTTP: callers describe a request as a Request
// (user, roles, action name, index expressions, indices options, metadata)
// and get a Decision back.
package authz
