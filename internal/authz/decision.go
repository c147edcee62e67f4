package authz

// Request is what authz needs to know about one request (no HTTP).
//
// The cluster metadata and the indices options travel in the request, so
// that a decision is a pure function of the role set and the request (and
// the evaluator's clock, for date math). Items of _bulk, _mget and
// _msearch are decided one by one: one Request per item, with the item's
// action and index.
type Request struct {
	// User is the authenticated (effective) user name, as printed in
	// refusals.
	User string
	// Roles are the role names assigned to the user; names that resolve to
	// no role are ignored (and named in refusals).
	Roles []string
	// Action is Elastic's action name ("indices:data/read/search"); empty
	// when the request could not be classified.
	Action string
	// Indices are the index expressions the request names, split at commas
	// and percent-decoded, otherwise as given: they may be empty (all),
	// "_all", wildcards, "-exclusions", date math, "cluster:index", or
	// carry a "::data"/"::failures" selector.
	Indices []string
	// Options are the request's indices options (expand_wildcards,
	// ignore_unavailable, allow_no_indices…).
	Options IndicesOptions
	// Metadata is the cluster metadata to resolve names against; nil means
	// a cluster without any index (wildcards then reach nothing, explicit
	// names are judged by name).
	Metadata *Metadata
	// TargetUser is, for the security APIs about one user (has_privileges,
	// list_privileges, change_password), the user the request is about;
	// empty means the caller.
	TargetUser string
	// Limit, when not nil, is an API key's own role descriptors: the
	// request must be allowed by them too (see Limit).
	Limit *Limit
	// keyID names the API key in refusals (set while deciding a limited
	// request).
	keyID string
}

// Decision is the outcome for one request.
//
// For an index action that is allowed, Indices are the names to forward in
// place of the request's expressions (never holding a wildcard, date math,
// an exclusion or a selector), MatchNothing says to forward an expression
// that matches nothing instead ("*,-*", which Elasticsearch answers with an
// empty result), and Access says what each concrete index may show.
// Callers forward a request unchanged only when Allowed && Unrestricted.
type Decision struct {
	// Allowed says whether the request may proceed at all.
	Allowed bool
	// Unrestricted says the request may proceed exactly as sent: no name
	// to rewrite, no document- or field-level security.
	Unrestricted bool

	// Status is the HTTP status of a refusal: 403 (security_exception), 404
	// (index_not_found_exception) or 400 (a malformed index expression).
	// Zero when Allowed.
	Status int
	// ErrorType is the Elasticsearch error type of a refusal.
	ErrorType string
	// Reason is Elasticsearch's refusal message when Allowed is false.
	Reason string
	// NotFoundIndex is, for a 404, the index named in the error body
	// (resource.id and index fields).
	NotFoundIndex string

	// OwnAPIKeysOnly says a security API about API keys is allowed on the
	// caller's own keys only (manage_own_api_key): whoever answers it must
	// restrict it to them.
	OwnAPIKeysOnly bool
	// ManagedApplications, when not nil, says an application privilege API
	// is allowed only for the applications these patterns match (global
	// application.manage): whoever answers it must restrict it to them.
	ManagedApplications []string
	// ProfileApplications, when not nil, says a profile data update is
	// allowed only for the applications these patterns match (global
	// profile.write): every top-level key of its labels and data must be
	// one of them.
	ProfileApplications []string

	// EffectiveRoles are the user's roles that exist, sorted. Read-only:
	// the slice is shared by the decisions of every user with the same
	// role names.
	EffectiveRoles []string
	// MissingRoles are the user's role names that resolve to no role,
	// sorted. Read-only, shared as EffectiveRoles.
	MissingRoles []string

	// Indices are the index names to forward (an index action that is
	// allowed): concrete indices, aliases and data streams, each a plain
	// name to percent-encode (url.PathEscape) when joined into a path.
	// When Rewritten is false they equal the request's expressions.
	Indices []string
	// MatchNothing says nothing may be reached: forward "*,-*" (with
	// allow_no_indices) or answer an empty result.
	MatchNothing bool
	// Rewritten says Indices differ from the request's expressions.
	Rewritten bool
	// ActionOnly says the action was authorized by its name alone (some
	// group grants it somewhere): a composite request (_bulk, _mget,
	// _msearch, _mtermvectors) whose items the caller decides one by one,
	// or the continuation of a scroll, point in time or async search, whose
	// restrictions are those of the request that opened it. Indices and
	// Access are empty; Unrestricted is false.
	ActionOnly bool
	// Access lists, per concrete index reached, the document- and
	// field-level security that applies, sorted by index. It is nil when
	// the user may access everything without restriction (then the
	// request is forwarded as it is).
	Access []IndexAccess
}
