package cursor

import "errors"

// Errors returned by this package. Callers tell them apart with errors.Is;
// the returned errors wrap them with context.
var (
	// ErrTampered means a token was not made by this proxy with this key
	// for this kind: bad prefix, bad characters, bad encoding, failed
	// authentication, truncated, oversized, or a cluster id presented
	// directly. The server audits it as tampered_request and refuses the
	// request (400, as the cluster answers an id it cannot parse).
	ErrTampered = errors.New("cursor id was not issued by this proxy or was altered")
	// ErrNotOwner means a genuine token belongs to another owner. Answer
	// it as Elasticsearch answers a missing context (404
	// search_context_missing_exception or resource_not_found_exception),
	// so that the existence of another user's cursor is not revealed, and
	// audit access_denied.
	ErrNotOwner = errors.New("cursor id belongs to another user")
	// ErrRestrictionsChanged means a genuine token of the caller was
	// created under other document- or field-level security than the
	// caller has now (a role was lost, gained or changed): later pages
	// would be filtered by the old roles, so the cursor may not continue.
	// Answer 403 security_exception and audit access_denied.
	ErrRestrictionsChanged = errors.New("cursor id was created under other document or field level security")
	// ErrMalformed means a request names its ids in a shape the proxy does
	// not accept (wrong JSON type, unknown member, "_all" mixed with ids,
	// no id at all). The cluster refuses these shapes too; answer 400
	// illegal_argument_exception with the error text.
	ErrMalformed = errors.New("malformed cursor request")
	// ErrTooLarge means Wrap would produce a token longer than
	// MaxTokenSize. The caller refuses the response (and should release
	// the cluster's context).
	ErrTooLarge = errors.New("cursor token would exceed the size limit")
)
