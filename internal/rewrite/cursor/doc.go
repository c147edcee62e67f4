// Package cursor binds the continuation ids of Elasticsearch and OpenSearch
// (scroll ids, point-in-time ids, async-search / EQL / SQL / ES|QL ids and
// SQL cursors) to the principal that created them and to the restrictions
// in force at that moment.
//
// The cluster behind the proxy enforces no security: whoever presents a
// scroll or point-in-time id continues it with full rights, on the indices
// and with the document filter the first request had. Elasticsearch only
// lets the same user or API key continue a scroll or async search;
// Portcullis is stricter. The proxy never shows a cluster id to a client:
// every id in a response is replaced by a token (see Binder.Wrap) that
// carries, encrypted and authenticated,
//
//   - the cluster's id,
//   - the owner (user name, realm type and name, API key id),
//   - the concrete indices the first request reached, so that later pages
//     can be authorized and filtered like the first,
//   - a fingerprint of the document- and field-level security that applied
//     (FingerprintOf), so that the same user after losing or changing a
//     role cannot continue a cursor that was filtered for the old roles.
//
// Every id in a request must be such a token (Binder.Unwrap): a cluster id,
// a token of another kind, a token made with another key, or any altered
// byte is ErrTampered, which the server audits as tampered_request. A valid
// token held by someone else is ErrNotOwner, answered like a missing
// context, as Elasticsearch does (404). Tokens are wrapped for every
// principal, superusers included: otherwise a cluster id seen by a
// superuser would be accepted from anyone.
//
// Request side, the Rewrite* methods find the ids in every place the cluster
// reads them (path, query string, body), check them and put the cluster's
// ids in their place, keeping the member order of the body. Response side,
// RewriteIDs streams a response and replaces the ids in the members a Field
// names, copying every other byte as it is, in bounded memory.
//
// "_all" operations (DELETE _search/scroll/_all, DELETE and GET
// _search/point_in_time/_all) are turned into operations on the caller's own
// ids with a Registry of the ids each owner holds.
//
// # Wiring
//
// A request that creates a cursor (a search with ?scroll, OpenSearch's POST
// {index}/_search/point_in_time, Elasticsearch's POST {index}/_pit, an
// _async_search submit, EQL, SQL and ES|QL searches): after authorization,
// take NewBinding(owner, the decision's concrete indices, the decision's
// Access with DLS templates rendered, now). Stream a 2xx response through
// RewriteIDs with the API's fields (SearchFields, CreatePITFields, …) and
// a ReplaceFunc that wraps with that binding and adds the id to the
// Registry with the request's keep-alive (ParseKeepAlive of ?scroll or
// ?keep_alive); run RewriteHeaders for text formats.
//
// A request that continues one (the IndicesCursor routes of esapi, a search
// body with "pit", an SQL body with "cursor"): call the matching Rewrite*
// method. ErrTampered is audited as tampered_request and refused (400);
// ErrNotOwner is answered as a missing context (404); ErrMalformed is a
// 400. Then decide the action again for the caller on
// Cursor.Binding.Indices and Check the binding against FingerprintOf the
// new decision's access (ErrRestrictionsChanged: 403). Filter the response
// with the new decision, like the first page (a search on a point in time
// gets its DLS query as any search), and rewrite its ids with
// Cursor.Binding, which keeps the creation time.
//
// "_all": RewriteClearScroll reports All for DELETE _search/scroll/_all and
// for "_all" in its body; RewriteDeletePIT reports All for "_all" in
// OpenSearch's pit_id. For those and for DELETE _search/point_in_time/_all
// (no body), send the caller's ids from Registry.List instead
// (ClearScrollBody, PITIDsBody), or answer NoScrollsFreed / NoPITs when
// there are none; map the ids of the deletion's response back to tokens
// (DeletePITFields, TokensByUpstreamID) and Remove them from the registry.
// GET _search/point_in_time/_all goes through FilterAllPITs.
//
// The package is pure: no HTTP handler, no network, no global state.
package cursor
