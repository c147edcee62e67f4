package oidcweb

import (
	"context"
	"net/http"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// OutcomeKind says what a login endpoint decided, for the audit trail.
type OutcomeKind int

// Outcomes of the login endpoints.
const (
	// LoginSucceeded: a callback verified the provider's answer; the
	// session is about to be created.
	LoginSucceeded OutcomeKind = iota + 1
	// LoginFailed: a callback was refused (state, provider error, code
	// exchange, ID token).
	LoginFailed
	// LoggedOut: a logout is about to end the browser's session (local,
	// then RP-initiated when the provider supports it).
	LoggedOut
	// LogoutWithoutSession: a logout named no live session (no cookie,
	// or one whose session has already ended).
	LogoutWithoutSession
	// LogoutForged: a POST logout failed the CSRF check.
	LogoutForged
	// BackchannelLoggedOut: a valid logout token is about to end the
	// sessions of its sub / sid.
	BackchannelLoggedOut
	// BackchannelRefused: a back-channel logout request was refused
	// (missing or invalid logout token).
	BackchannelRefused
)

// Outcome is what a login endpoint decided about one request. It never
// holds a code, a token or a cookie.
type Outcome struct {
	Kind OutcomeKind
	// Principal is the user, with roles, when known (LoginSucceeded,
	// LoggedOut, and BackchannelLoggedOut when the logout token's claims
	// map to a user).
	Principal *authn.Principal
	// Username names the user when there is no Principal but a name is
	// known (the sub of a logout token, the user of a forged logout).
	Username string
	// Reason says why a login or logout was refused (log-safe).
	Reason string
	// RPInitiated: the logout continues at the provider's end-session
	// endpoint.
	RPInitiated bool
	// Subject and SID are a valid logout token's sub and sid.
	Subject, SID string
	// HadCookie: the request carried a session cookie (LogoutWithoutSession).
	HadCookie bool
}

// Recorder makes an outcome durable. The endpoint answers only once it
// returned nil; an error makes the endpoint answer 503 instead, with no
// effect (fail closed).
type Recorder func(r *http.Request, o Outcome) error

type recorderKey struct{}

// WithRecorder returns r carrying rec, which the endpoints call with each
// of their outcomes before answering. The proxy installs it in front of
// the endpoints; without one (a Service used on its own) outcomes are only
// logged.
func WithRecorder(r *http.Request, rec Recorder) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), recorderKey{}, rec))
}

// record hands o to the request's recorder. When it fails, the 503 is
// written and record returns false: the caller stops without effect.
func (s *Service) record(w http.ResponseWriter, r *http.Request, o Outcome) bool {
	rec, ok := r.Context().Value(recorderKey{}).(Recorder)
	if !ok || rec == nil {
		return true
	}
	if err := rec(r, o); err != nil {
		s.o.Logger.Error("login endpoint refused: the audit trail cannot be written", zap.Error(err))
		auditUnavailable().Write(w)
		return false
	}
	return true
}

// auditUnavailable is the proxy's answer when the audit trail cannot be
// written, the same as for every other request.
func auditUnavailable() *eserr.Error {
	return &eserr.Error{Status: http.StatusServiceUnavailable, Type: "security_exception",
		Reason: "the audit trail cannot be written; the request was not processed"}
}
