package server

import (
	"context"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/audit"
	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// Auditor makes audit events durable; *audit.Trail implements it. Record
// returns nil only when the events are on disk (or were filtered out, or
// the operator chose on_failure: allow).
type Auditor interface {
	Record(ctx context.Context, evs ...*audit.Event) error
	EmitRequestBody() bool
}

// auditUnavailable is the answer when the audit trail cannot be written:
// nothing is forwarded or refused without its record (fail closed).
func auditUnavailable() *eserr.Error {
	return &eserr.Error{Status: http.StatusServiceUnavailable, Type: "security_exception",
		Reason: "the audit trail cannot be written; the request was not processed"}
}

// withAuditedRefusals makes sure every response the proxy produces itself
// (401, 403, 400, 413, 429…) has its audit record on disk before its
// status line is sent. If the record cannot be written, the client gets
// 503 instead. Forwarded requests are audited by withGrantAudit.
func withAuditedRefusals(a Auditor, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		st.receivedPath, st.receivedQuery, st.received = r.URL.EscapedPath(), r.URL.RawQuery, true
		aw := &auditWriter{ResponseWriter: w, r: r, a: a}
		next.ServeHTTP(aw, r)
	})
}

// withGrantAudit records access_granted for a request about to be
// forwarded, with the per-item events of composite requests, and forwards
// it only once the records are durable.
func withGrantAudit(a Auditor, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		evs := itemEvents(r, st, a, true)
		if recordsAction(a, audit.AccessGranted) {
			evs = append([]*audit.Event{newEvent(r, st, a, audit.TypeTransport, audit.AccessGranted)}, evs...)
		}
		if pre := authEvents(r, st, a); pre != nil { // off by default: no copy then
			evs = append(pre, evs...)
		}
		if n := auditBytes(evs); n > maxRequestAuditBytes {
			st.Decision = "rejected" // audited as tampered_request, without the items
			st.Log().Warn("request refused: its audit records would be too large", zap.Int("bytes", n), zap.Int("events", len(evs)))
			auditTooLarge(n).Write(w)
			return
		}
		var err error
		if len(evs) > 0 {
			err = a.Record(r.Context(), evs...)
		}
		if err != nil {
			st.auditDone = true
			if clientGone(r, err) {
				// Nothing was forwarded and nobody waits for an answer:
				// not a failure of the trail.
				st.Decision = "canceled"
				st.Log().Info("client went away while its audit record was written; request not forwarded")
				return
			}
			st.Decision = "error"
			st.Log().Error("audit write failed; request refused", zap.Error(err))
			auditUnavailable().Write(w)
			return
		}
		st.auditDone = true
		next.ServeHTTP(w, r)
	})
}

// clientGone reports whether err only says that the request's own context
// was canceled: the client closed the connection (or reset the stream)
// while its record was on the way to disk.
func clientGone(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) && errors.Is(r.Context().Err(), context.Canceled)
}

// actionFilter is implemented by auditors that drop some event actions
// (audit.Trail: Elastic's include/exclude lists).
type actionFilter interface {
	Enabled(action string) bool
}

// recordsAction reports whether a keeps events of action: when it drops
// them all, the chain need not build them (an access_granted event per
// request is a measurable share of the proxy's work when it is excluded).
func recordsAction(a Auditor, action string) bool {
	f, ok := a.(actionFilter)
	return !ok || f.Enabled(action)
}

// auditWriter audits the proxy's own refusals at their first WriteHeader.
type auditWriter struct {
	http.ResponseWriter
	r       *http.Request
	a       Auditor
	started bool
	failed  bool
}

func (aw *auditWriter) WriteHeader(code int) {
	aw.before()
	if aw.failed {
		return
	}
	aw.ResponseWriter.WriteHeader(code)
}

func (aw *auditWriter) Write(p []byte) (int, error) {
	aw.before()
	if aw.failed {
		return len(p), nil // the 503 is already written; drop the refusal's body
	}
	return aw.ResponseWriter.Write(p)
}

// Flush keeps streaming responses streaming.
func (aw *auditWriter) Flush() {
	if f, ok := aw.ResponseWriter.(http.Flusher); ok && !aw.failed {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (aw *auditWriter) Unwrap() http.ResponseWriter { return aw.ResponseWriter }

func (aw *auditWriter) before() {
	if aw.started {
		return
	}
	aw.started = true
	st := stateOf(aw.r)
	if st.auditDone {
		return
	}
	ev := refusalEvent(aw.r, st, aw.a)
	if ev == nil {
		return
	}
	evs := []*audit.Event{ev}
	if st.Decision == "deny" {
		items := itemEvents(aw.r, st, aw.a, false)
		if n := auditBytes(items); n > maxRequestAuditBytes {
			aw.refuseTooLarge(st, n)
			return
		}
		evs = append(evs, items...)
	}
	if pre := authEvents(aw.r, st, aw.a); pre != nil {
		evs = append(pre, evs...)
	}
	if err := aw.a.Record(aw.r.Context(), evs...); err != nil {
		aw.failed = true
		if clientGone(aw.r, err) {
			st.Log().Info("client went away while its refusal's audit record was written")
			return
		}
		st.Decision = "error"
		st.Log().Error("audit write failed; refusal replaced by 503", zap.Error(err))
		h := aw.ResponseWriter.Header()
		for k := range h {
			if k != RequestIDHeader {
				delete(h, k)
			}
		}
		auditUnavailable().Write(aw.ResponseWriter)
	}
}

// refuseTooLarge replaces a refusal whose per-item records would exceed
// maxRequestAuditBytes by a 413, audited as one tampered_request event.
func (aw *auditWriter) refuseTooLarge(st *requestState, n int) {
	aw.failed = true
	st.Decision = "rejected"
	st.Log().Warn("request refused: its audit records would be too large", zap.Int("bytes", n))
	evs := []*audit.Event{newEvent(aw.r, st, aw.a, audit.TypeRest, audit.TamperedRequest)}
	if pre := authEvents(aw.r, st, aw.a); pre != nil {
		evs = append(pre, evs...)
	}
	e := auditTooLarge(n)
	if err := aw.a.Record(aw.r.Context(), evs...); err != nil {
		st.Decision = "error"
		st.Log().Error("audit write failed; refusal replaced by 503", zap.Error(err))
		e = auditUnavailable()
	}
	h := aw.ResponseWriter.Header()
	for k := range h {
		if k != RequestIDHeader {
			delete(h, k)
		}
	}
	e.Write(aw.ResponseWriter)
}

// refusalEvent describes the proxy's refusal of the request, following
// Elasticsearch's event actions.
func refusalEvent(r *http.Request, st *requestState, a Auditor) *audit.Event {
	switch st.Decision {
	case "unauthenticated":
		// Credentials that were presented and refused are a failed
		// authentication even when no user name could be read from them
		// (a malformed Basic header, an API key with a wrong secret), as in
		// Elasticsearch; anonymous_access_denied means none were presented.
		if st.AuthUser == "" && !st.credentialsRefused {
			return newEvent(r, st, a, audit.TypeRest, audit.AnonymousAccessDenied)
		}
		ev := newEvent(r, st, a, audit.TypeRest, audit.AuthenticationFailed)
		ev.UserName = st.AuthUser
		if st.authKeyID != "" { // Elasticsearch: the key's principal, its id
			ev.UserName, ev.APIKeyID = st.authKeyID, st.authKeyID
		}
		return ev
	case "deny":
		if st.runAsRefused {
			ev := newEvent(r, st, a, audit.TypeTransport, audit.RunAsDenied)
			ev.UserRunAsName = st.runAsName
			return ev
		}
		return newEvent(r, st, a, audit.TypeTransport, audit.AccessDenied)
	case "rejected":
		return newEvent(r, st, a, audit.TypeRest, audit.TamperedRequest)
	case "error":
		return nil // internal errors (panics, upstream failures) are logged, not audited
	}
	return nil
}

// authEvents are the events that come before a decision's: the
// authentication's success and the run_as grant, when kept (nil when
// neither is).
func authEvents(r *http.Request, st *requestState, a Auditor) []*audit.Event {
	var evs []*audit.Event
	if ev := authSuccessEvent(r, st, a); ev != nil {
		evs = append(evs, ev)
	}
	if ev := runAsGrantedEvent(r, st, a); ev != nil {
		evs = append(evs, ev)
	}
	return evs
}

// authSuccessEvent is Elasticsearch's authentication_success for a request
// that authenticated (whatever was decided next): a rest-layer event naming
// the user and the realm, without roles, action or indices. Nil when the
// request has no principal or the trail does not include the action: it
// is off by default, as in Elasticsearch, also for an auditor without an
// event filter.
func authSuccessEvent(r *http.Request, st *requestState, a Auditor) *audit.Event {
	if f, ok := a.(actionFilter); st.Principal == nil || !ok || !f.Enabled(audit.AuthenticationSuccess) {
		return nil
	}
	ev := newEvent(r, st, a, audit.TypeRest, audit.AuthenticationSuccess)
	if st.RunBy != nil { // the caller authenticated; the target was looked up
		asCaller(ev, st)
	}
	ev.Realm = ev.UserRealm
	ev.UserRoles, ev.Action, ev.Indices = nil, "", nil
	return ev
}

// runAsGrantedEvent is run_as_granted for a request that runs as another
// user, before the events of its decision (nil otherwise): the caller as
// user, the target as run_as.
func runAsGrantedEvent(r *http.Request, st *requestState, a Auditor) *audit.Event {
	if st.RunBy == nil || !recordsAction(a, audit.RunAsGranted) {
		return nil
	}
	ev := newEvent(r, st, a, audit.TypeTransport, audit.RunAsGranted)
	asCaller(ev, st)
	return ev
}

// asCaller turns an event of a run_as request around: user.* is the
// caller, user.run_as.* the target.
func asCaller(ev *audit.Event, st *requestState) {
	ev.UserRunAsName, ev.UserRunAsRealm = st.Principal.Username, st.Principal.Realm
	ev.UserName, ev.UserRealm, ev.UserRoles = st.RunBy.Username, st.RunBy.Realm, st.RunBy.Roles
	ev.UserRunByName, ev.UserRunByRealm = "", ""
}

// newEvent fills the fields every event of the request shares.
func newEvent(r *http.Request, st *requestState, a Auditor, typ, action string) *audit.Event {
	path, query := r.URL.EscapedPath(), r.URL.RawQuery
	if st.received { // as the client sent them, not as rewritten for the cluster
		path, query = st.receivedPath, st.receivedQuery
	}
	ev := &audit.Event{
		EventType: typ, EventAction: action,
		OriginType: audit.OriginRest, OriginAddress: r.RemoteAddr,
		URLPath: path, URLQuery: query, RequestMethod: r.Method,
		RequestID: st.ID, Action: st.Action, Indices: st.Indices,
		OpaqueID: capHeaderValue(r.Header.Get("X-Opaque-Id")), XForwardedFor: capHeaderValue(r.Header.Get("X-Forwarded-For")),
		TraceID: traceID(r.Header.Get("traceparent")),
	}
	if p := st.Principal; p != nil {
		ev.UserName, ev.UserRealm, ev.UserRoles = p.Username, p.Realm, p.Roles
		ev.AuthenticationType = audit.AuthRealm
		if authn.IsAnonymous(p) {
			ev.AuthenticationType = audit.AuthAnonymous
		}
		if k := p.APIKey; k != nil {
			ev.AuthenticationType, ev.APIKeyID, ev.APIKeyName = audit.AuthAPIKey, k.ID, k.Name
		}
		if t := p.ServiceToken; t != nil { // Elasticsearch lists no roles for service accounts
			ev.AuthenticationType, ev.TokenName, ev.TokenType, ev.UserRoles = audit.AuthToken, t.Name, t.Source, []string{}
		}
	}
	if by := st.RunBy; by != nil {
		ev.UserRunByName, ev.UserRunByRealm = by.Username, by.Realm
	}
	switch {
	case !a.EmitRequestBody():
	case st.bodyKept: // as the client sent it, not as rewritten for the cluster
		ev.RequestBody = string(st.receivedBody)
	case st.Body != nil:
		ev.RequestBody = string(st.Body.body.Raw)
	}
	return ev
}

// traceID is the trace id of a W3C traceparent header
// (version-traceid-parentid-flags), which Elasticsearch records as trace.id;
// "" when the header is absent or not of that shape.
func traceID(traceparent string) string {
	if len(traceparent) < 55 || traceparent[2] != '-' || traceparent[35] != '-' || traceparent[52] != '-' {
		return ""
	}
	id := traceparent[3:35]
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ""
		}
	}
	return id
}

// withReceivedBody keeps the parsed body as the client sent it for the
// audit trail's request.body, before later stages rewrite it: a probe of a
// hidden field must be recorded with the field's name, not with the name
// the proxy replaced it by, and without the role's DLS query. Only in the
// chain when the trail emits bodies.
func withReceivedBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		if st.Body != nil {
			st.receivedBody, st.bodyKept = st.Body.body.Raw, true
		}
		next.ServeHTTP(w, r)
	})
}
