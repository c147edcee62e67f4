package esapi

import "errors"

// IndexSource says where a request names the indices it touches.
type IndexSource int

const (
	// IndicesNone means the endpoint is cluster-level: it names no index and
	// reads no index data (health, settings, node info, ...).
	IndicesNone IndexSource = iota
	// IndicesPath means the index expression is a path parameter
	// (`/{index}/_search`).
	IndicesPath
	// IndicesQuery means the route has no index in its path and the
	// expression came from the `index` query-string parameter, which the
	// cluster merges into the same parameter map as path parameters
	// (`/_search?index=x` searches x).
	IndicesQuery
	// IndicesBody means only the body names the indices (`POST /_bulk`,
	// `POST /_mget`, `POST /_reindex`, SQL text, scroll and PIT ids, ...).
	IndicesBody
	// IndicesAllImplicit means the request names no index and the cluster
	// then targets every index (`GET /_search`, `GET /_cat/indices`).
	IndicesAllImplicit
	// IndicesCursor means the indices were fixed by an earlier request and
	// travel in an opaque id (path or body): scroll ids, PIT ids, async
	// search / EQL / SQL / ES|QL ids, SQL cursors. Authorize against what
	// the id was created for, bound to its creator.
	IndicesCursor
)

// String returns the lower-case name used in logs and tests.
func (s IndexSource) String() string {
	switch s {
	case IndicesNone:
		return "none"
	case IndicesPath:
		return "path"
	case IndicesQuery:
		return "query"
	case IndicesBody:
		return "body"
	case IndicesAllImplicit:
		return "all"
	case IndicesCursor:
		return "cursor"
	}
	return "unknown"
}

// BodyKind is the shape of the request body an endpoint accepts.
type BodyKind int

const (
	// BodyNone means the endpoint takes no body.
	BodyNone BodyKind = iota
	// BodyJSON means one structured document (JSON, or YAML/CBOR/SMILE by
	// content type: the cluster accepts every XContent type).
	BodyJSON
	// BodyNDJSON means newline-delimited structured documents (bulk,
	// msearch, ...).
	BodyNDJSON
	// BodyOpaque means text or binary the proxy cannot interpret as a query
	// (ML data upload, text-structure samples, ...).
	BodyOpaque
)

// String returns the lower-case name used in logs and tests.
func (b BodyKind) String() string {
	switch b {
	case BodyNone:
		return "none"
	case BodyJSON:
		return "json"
	case BodyNDJSON:
		return "ndjson"
	case BodyOpaque:
		return "opaque"
	}
	return "unknown"
}

// Classification is what the classifier learned about one request.
type Classification struct {
	// Action is Elastic's (or, for OpenSearch-only APIs, OpenSearch's)
	// transport action name, e.g. "indices:data/read/search". It is set for
	// denied endpoints too, so refusals can name it.
	Action string
	// API names the endpoint's handler: the rest-api-spec name where there
	// is one ("indices.put_alias"), for stages whose rules depend on how
	// that handler reads its body.
	API string
	// Route is a low-cardinality class for metrics and logs ("search",
	// "bulk", "document", "cat", "cluster", ...).
	Route string
	// Endpoint is the matched pattern, e.g. "POST /{index}/_search".
	Endpoint string
	// Indices are the index expressions the request names in its path or in
	// the `index` query parameter, percent-decoded and split at commas
	// exactly as the cluster does. Empty when IndicesFrom is not Path or
	// Query.
	Indices []string
	// Expressions are Indices parsed: exclusions, wildcards, remote cluster
	// prefixes, selectors and date math made explicit.
	Expressions []IndexExpression
	// IndicesFrom says where the index expressions come from.
	IndicesFrom IndexSource
	// IndexParam is the name of the path (or query) parameter that held
	// the index expressions: "index", or "name" / "alias" for the APIs
	// whose path names them so (data streams, resolve index, rollover).
	// Empty when IndicesFrom is not Path or Query.
	IndexParam string
	// BodyIndices is true when the body can name indices too, on top of (or
	// instead of) the path: bulk/mget/msearch items, reindex source and
	// destination, PIT and scroll ids, SQL/PPL/ES|QL text, ...
	BodyIndices bool
	// Targets are further index-like names the request creates or writes
	// through, taken from the path: resize and rollover targets, alias
	// names, clone targets. They are decoded and split like Indices.
	Targets []string
	// Body is the kind of body the endpoint accepts.
	Body BodyKind
	// Denied, when non-empty, means this endpoint is refused on purpose; it
	// is the reason.
	Denied string
	// PathParams are the decoded path parameters other than the index
	// expression: id, name, repository, snapshot, task_id, ... Parameters
	// that the cluster would take from the query string when the path lacks
	// them are included (see IndicesQuery).
	PathParams map[string]string
	// Params are the parsed query-string parameters.
	Params Params
}

// Errors returned by ClassifyRequest. Every error means: refuse the request.
var (
	// ErrUnknownEndpoint is returned when no route matches the method and
	// path; the cluster would answer 400/405, the proxy refuses instead.
	ErrUnknownEndpoint = errors.New("unknown endpoint")
	// ErrBadPath is returned when the path cannot be decoded the way the
	// cluster decodes it, or is ambiguous (dot segments, empty segments,
	// bad percent-encoding, ...).
	ErrBadPath = errors.New("malformed or ambiguous path")
	// ErrBadIndex is returned when an index expression is not one the
	// cluster would accept, or is ambiguous.
	ErrBadIndex = errors.New("invalid index expression")
	// ErrBadParams is returned when the query string is ambiguous
	// (duplicate parameters, a parameter that contradicts the path) or
	// malformed.
	ErrBadParams = errors.New("invalid or ambiguous query parameters")
)
