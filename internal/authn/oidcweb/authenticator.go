package oidcweb

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/session"
)

// Authenticate implements authn.Authenticator for the session cookie.
//
// A request with an Authorization header is left to the other
// authenticators (explicit credentials win over a cookie, as in Kibana),
// and so is one without the cookie. A cookie whose session has ended
// yields an error matching authn.ErrNoCredentials (a browser is then sent
// to log in). A store that cannot be asked yields authn.ErrUnavailable:
// the request is refused, never let through. Tokens about to expire are
// refreshed first. State-changing requests must pass the CSRF check.
func (s *Service) Authenticate(r *http.Request) (*authn.Principal, error) {
	if len(r.Header.Values("Authorization")) > 0 {
		return nil, authn.ErrNoCredentials
	}
	p, _, err := s.authenticate(r)
	return p, err
}

// authenticate resolves the session cookie of r to its principal and
// (refreshed) session.
func (s *Service) authenticate(r *http.Request) (*authn.Principal, *session.Session, error) {
	token := s.sessionToken(r)
	if token == "" {
		return nil, nil, authn.ErrNoCredentials
	}
	sess, err := s.loadSession(r.Context(), token)
	if errors.Is(err, session.ErrNotFound) {
		return nil, nil, errSessionEnded
	}
	if err != nil {
		return nil, nil, &authn.UnavailableError{Reason: "the session store is unavailable", Err: err}
	}
	sess, err = s.fresh(r, token, sess)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.principal(sess)
	if err != nil {
		return nil, nil, err
	}
	if reason := s.csrfProblem(r); reason != "" {
		return nil, nil, &authn.CSRFError{Principal: p, Reason: reason}
	}
	return p, sess, nil
}

// loadSession loads the session of token, if this site made it: a
// session another site's login made (their sessions sharing one store
// and sealing keys) is not found here, so that a cookie of one tenant
// never logs in at another, whose users, role mappings and cluster are
// not its own. Sessions made before sessions recorded their site are
// accepted.
func (s *Service) loadSession(ctx context.Context, token string) (*session.Session, error) {
	sess, err := s.o.Sessions.Load(ctx, token)
	if err != nil {
		return nil, err
	}
	if sess.Site != "" && sess.Site != s.site {
		s.o.Logger.Warn("session cookie of another site's login refused", zap.String("user", sess.Username))
		return nil, errForeignSession
	}
	return sess, nil
}

// errForeignSession: the cookie names another site's session. It is not
// found here, and this site does not end it either.
var errForeignSession = fmt.Errorf("%w: the session belongs to another site", session.ErrNotFound)

// errSessionEnded: the cookie names a session that expired or was logged
// out. It is "no credentials" to the chain: the browser logs in again.
var errSessionEnded = fmt.Errorf("%w: the session has ended (expired or logged out)", authn.ErrNoCredentials)

// principal builds the session's principal from its stored ID token
// claims, with roles mapped now (so a reloaded role-mapping file applies
// to open sessions at once).
func (s *Service) principal(sess *session.Session) (*authn.Principal, error) {
	claims, err := authn.DecodeClaims(sess.Claims)
	if err != nil {
		return nil, &authn.AuthError{Username: sess.Username, Reason: "session claims unreadable"}
	}
	p, err := s.o.Claims.Principal(claims)
	if err != nil {
		return nil, &authn.AuthError{Username: sess.Username, Reason: "session claims: " + err.Error()}
	}
	if s.o.RoleMapper != nil {
		p.Roles = s.o.RoleMapper.Map(p)
	} else {
		p.Roles = []string{}
	}
	return p, nil
}

// logRefusal logs why a session could not be used (never its token).
func (s *Service) logRefusal(sess *session.Session, msg string, err error) {
	s.o.Logger.Info(msg, zap.String("user", sess.Username), zap.Error(err))
}
