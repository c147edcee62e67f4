package server

import (
	"context"
	"net/http"
	"sync"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
)

// requestState is what the middlewares learn about one request. The outermost
// middleware creates it; inner ones fill it in, and the access log reads it
// once the response is written.
type requestState struct {
	ID string
	// base is the proxy's logger; Log derives the request's logger from it
	// on first use (most requests log only their access line).
	base      *zap.Logger
	log       *zap.Logger
	logOnce   sync.Once
	Principal *authn.Principal
	// RunBy is the authenticated caller when the request runs as another
	// user (es-security-runas-user); Principal is then that user.
	RunBy *authn.Principal
	// runAsRefused says the caller asked to run as runAsName and may not.
	runAsRefused bool
	runAsName    string
	// Route is a low-cardinality class of the endpoint ("search", "bulk", …).
	Route string
	// Action is the Elastic action name the request was classified as.
	Action string
	// Indices are the index expressions the request names.
	Indices []string
	// Class is the classifier's full result (nil when it failed).
	Class *esapi.Classification
	// Body is the parsed request body (nil without one).
	Body *parsedBody
	// Restricted is the authorization decision of a request allowed under
	// document- or field-level security: the restriction stage enforces
	// its Access. Nil otherwise.
	Restricted *authz.Decision
	// plan is how the restriction stage enforces Restricted.
	plan *restrictionPlan
	// restrictions is the restriction stage, when the proxy has one: items
	// of composite requests under DLS/FLS are then enforced, not refused.
	restrictions *Restrictions
	// limit is the API key's own role descriptors when the request
	// authenticated with a key (apikeylimit.go): every decision must
	// satisfy them too.
	limit *authz.Limit
	// ownAPIKeysOnly says the API key APIs may act on the caller's own
	// keys only (manage_own_api_key).
	ownAPIKeysOnly bool
	// managedApplications, when not nil, are the applications whose
	// privileges the caller may manage (global application.manage).
	managedApplications []string
	// profileApplications, when not nil, are the applications whose
	// profile data this request may write (global profile.write).
	profileApplications []string
	// decided is the authorization decision of an allowed request.
	decided *authz.Decision
	// indexNames says which names the cluster has, for the auto_create
	// checks of writes (autocreate.go); nil outside authorization.
	indexNames *existence
	// cursor is what the cursor stages learned (nil: no cursor involved).
	cursor *cursorState
	// merged says per-item refusals are merged into the cluster's answer
	// by an outer writer, which must receive it uncompressed.
	merged bool
	// gzipOK memoises whether the client accepts gzip, read before a
	// stage removes Accept-Encoding for the cluster (gzipKnown).
	gzipOK, gzipKnown bool
	// itemAccess is the DLS/FLS of the items of a composite request,
	// collected while they are decided one by one.
	itemAccess []authz.IndexAccess
	// receivedPath and receivedQuery are the request's escaped path and raw
	// query as the client sent them, before any stage rewrote the URL
	// (narrowed indices, q and sort moved into the body, source applied):
	// the url.path and url.query of its events. received says they are set.
	receivedPath, receivedQuery string
	received                    bool
	// receivedBody is the body as parsed, before any stage rewrote it (DLS
	// filters, hidden field names, cursor ids): the request.body of its
	// events. Kept only when the trail emits bodies (bodyKept).
	receivedBody []byte
	bodyKept     bool
	// AuthUser is the user name of refused credentials (for the audit).
	AuthUser string
	// authKeyID is the id of refused API key credentials (for the audit).
	authKeyID string
	// credentialsRefused says the request presented credentials that were
	// refused (authentication_failed), as opposed to presenting none
	// (anonymous_access_denied), even when no user name could be read.
	credentialsRefused bool
	// auditDone says the request's event is already recorded.
	auditDone bool
	// items are the per-item audit events of a composite request whose
	// items were decided one by one (itemsDecided).
	items        []itemAudit
	itemsDecided bool
	// classifyErr is why the classifier refused the request, if it did.
	classifyErr error
	// snapshot is the cluster metadata the request was authorized against
	// (nil without a metadata source).
	snapshot *authz.Metadata
	// Decision is "allow", "deny", "unauthenticated", "rejected", "error" or
	// "canceled" (the client went away before the request was forwarded).
	Decision string
}

type stateKey struct{}

func withState(r *http.Request, st *requestState) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
}

// stateOf returns the request's state; a fallback that logs nowhere if a
// handler is used outside the chain (tests).
func stateOf(r *http.Request) *requestState {
	if st, ok := r.Context().Value(stateKey{}).(*requestState); ok {
		return st
	}
	return &requestState{Decision: "error"}
}

// Log returns the request's logger: every line carries the request id.
// Without a base logger (tests, explain) it logs nowhere.
func (st *requestState) Log() *zap.Logger {
	st.logOnce.Do(func() {
		switch {
		case st.log != nil:
		case st.base != nil:
			st.log = requestLogger(st.base, st.ID)
		default:
			st.log = zap.NewNop()
		}
	})
	return st.log
}
