// Package explain works out, without forwarding anything, what the proxy
// would do with one request for one user: how it classifies it, whether it
// allows, narrows or refuses it (with Elasticsearch's exact error), which
// document- and field-level security applies per index, and, for _bulk,
// _mget and _msearch, what happens to each item. It backs `proxy
// explain`, an operator's tool; it uses the proxy's own classifier, body
// parser and role evaluator, so that its answer is the proxy's.
package explain

import "encoding/json"

// Outcome is what the proxy does with a request (or an item).
type Outcome string

// Outcomes.
const (
	// Allow: forwarded as sent.
	Allow Outcome = "allow"
	// Narrow: forwarded, but restricted: index expressions rewritten to
	// the authorized names, document- or field-level security enforced,
	// or some items of a composite request refused one by one.
	Narrow Outcome = "narrow"
	// Deny: refused as a whole; nothing reaches the cluster.
	Deny Outcome = "deny"
)

// Report is the explanation of one request.
type Report struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query,omitempty"`
	// User and Roles are the subject the request was decided for;
	// RolesFrom says where the roles came from.
	User      string   `json:"user"`
	Roles     []string `json:"roles"`
	RolesFrom string   `json:"roles_from"`
	// Metadata says which index names wildcards were resolved against.
	Metadata string `json:"metadata"`

	Classification *Classification `json:"classification,omitempty"`

	Outcome Outcome `json:"outcome"`
	// Status and Error are, for a refusal, the HTTP status and the exact
	// JSON body the proxy answers.
	Status int             `json:"status,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`

	EffectiveRoles []string `json:"effective_roles,omitempty"`
	MissingRoles   []string `json:"missing_roles,omitempty"`
	// Indices are the names forwarded in place of the request's
	// expressions, when they differ (Rewritten) or match nothing.
	Indices      []string `json:"indices,omitempty"`
	Rewritten    bool     `json:"rewritten,omitempty"`
	MatchNothing bool     `json:"match_nothing,omitempty"`
	// Access is the document- and field-level security per index.
	Access []IndexAccess `json:"access,omitempty"`
	// Items are the per-item decisions of a _bulk, _mget or _msearch.
	Items []Item `json:"items,omitempty"`
	// Notes are caveats: what the explanation could not know offline.
	Notes []string `json:"notes,omitempty"`
}

// Classification is what the classifier learned about the request.
type Classification struct {
	Action      string   `json:"action"`
	Route       string   `json:"route"`
	Endpoint    string   `json:"endpoint"`
	Indices     []string `json:"indices,omitempty"`
	IndicesFrom string   `json:"indices_from"`
	BodyIndices bool     `json:"body_indices,omitempty"`
	Targets     []string `json:"targets,omitempty"`
	Body        string   `json:"body"`
	// BodyItems is the number of items of an NDJSON or _mget body.
	BodyItems int `json:"body_items,omitempty"`
}

// IndexAccess is the document- and field-level security on one index.
type IndexAccess struct {
	Index string `json:"index"`
	// DLS are the role queries, OR-ed; empty means every document.
	DLS []Query `json:"dls,omitempty"`
	// FLS are the field_security definitions, unioned; empty means every
	// field.
	FLS []FieldSet `json:"fls,omitempty"`
}

// Query is one DLS query: as written in the role, and rendered for the
// user when it is a template.
type Query struct {
	Written  json.RawMessage `json:"written"`
	Rendered json.RawMessage `json:"rendered,omitempty"`
	// Error says why the query cannot be used (the proxy then refuses).
	Error string `json:"error,omitempty"`
}

// FieldSet is one field_security definition.
type FieldSet struct {
	Grant  []string `json:"grant"`
	Except []string `json:"except,omitempty"`
}

// Item is the decision on one item of a composite request.
type Item struct {
	// Position is the 0-based position of the item in the body; Line its
	// 1-based line (NDJSON bodies only).
	Position int    `json:"position"`
	Line     int    `json:"line,omitempty"`
	Op       string `json:"op,omitempty"`
	ID       string `json:"id,omitempty"`
	Action   string `json:"action"`
	// Indices are the item's index expressions.
	Indices []string `json:"indices"`
	Outcome Outcome  `json:"outcome"`
	// Status and Reason are the item's own error, for a refused item.
	Status int    `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Forwarded are the names the item is narrowed to, when narrowed.
	Forwarded []string      `json:"forwarded,omitempty"`
	Access    []IndexAccess `json:"access,omitempty"`
}
