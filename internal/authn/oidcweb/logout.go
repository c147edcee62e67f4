package oidcweb

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn/session"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// logout ends the browser's session: deleted from the store (so a copied
// cookie is worthless too), cookie cleared, refresh token revoked, then,
// when the provider has an end_session_endpoint, RP-initiated logout there
// (id_token_hint, post_logout_redirect_uri; a POST form unless
// EndSessionByRedirect); otherwise the logged-out page. GET is allowed
// (links); POST must pass the CSRF check like any state-changing request.
func (s *Service) logout(w http.ResponseWriter, r *http.Request) {
	token := s.sessionToken(r)
	if r.Method == http.MethodPost {
		if reason := s.csrfProblem(r); reason != "" {
			if s.record(w, r, Outcome{Kind: LogoutForged, Username: s.sessionUser(r, token), Reason: reason}) {
				eserr.Security(http.StatusBadRequest, reason).Write(w)
			}
			return
		}
	}
	var sess *session.Session
	if token != "" {
		loaded, err := s.loadSession(r.Context(), token)
		if err == nil {
			sess = loaded
		}
		if err == nil || errors.Is(err, session.ErrNotFound) {
			if !s.record(w, r, s.logoutOutcome(sess, true)) {
				return
			}
			if errors.Is(err, errForeignSession) {
				err = nil // not this site's to end
			} else {
				err = s.o.Sessions.Delete(r.Context(), token)
			}
		}
		if err != nil {
			s.o.Logger.Error("logout: session store unavailable; the session could not be revoked", zap.Error(err))
			s.clearSessionCookie(w)
			writePage(w, http.StatusServiceUnavailable, page{Title: "Logout incomplete",
				Message: "You are logged out in this browser, but the session store is unavailable, so the session could not be revoked on the server. Try again later."})
			return
		}
	} else if !s.record(w, r, s.logoutOutcome(nil, false)) {
		return
	}
	s.clearSessionCookie(w)
	if sess != nil {
		s.o.Logger.Info("logout", zap.String("user", sess.Username))
		s.revoke(r.Context(), sess)
	}
	s.leave(w, r, sess)
}

// revoke revokes the ended session's refresh token at the provider (see
// revoke.go). A failure is logged, not shown: the session is gone from the
// store either way.
func (s *Service) revoke(ctx context.Context, sess *session.Session) {
	if sess.RefreshToken == "" {
		return
	}
	asked, err := s.provider.revokeRefreshToken(context.WithoutCancel(ctx), sess.RefreshToken)
	switch {
	case err != nil:
		s.o.Logger.Warn("logout: the provider did not revoke the refresh token (the session is deleted all the same)",
			zap.String("user", sess.Username), zap.Error(err))
	case asked:
		s.o.Logger.Info("logout: refresh token revoked at the provider", zap.String("user", sess.Username))
	}
}

// logoutOutcome describes a logout for the audit trail: the session's
// user (with roles, when its claims still map), or no session at all.
func (s *Service) logoutOutcome(sess *session.Session, hadCookie bool) Outcome {
	if sess == nil {
		return Outcome{Kind: LogoutWithoutSession, HadCookie: hadCookie,
			Reason: "the session has ended (expired or logged out)"}
	}
	o := Outcome{Kind: LoggedOut, Username: sess.Username, RPInitiated: s.afterLogout(sess) != s.o.PostLogoutRedirectURL}
	if p, err := s.principal(sess); err == nil {
		o.Principal = p
	}
	return o
}

// sessionUser is the user of the session token names, or "" (for the
// audit of a refused logout; the session is not used).
func (s *Service) sessionUser(r *http.Request, token string) string {
	if token == "" {
		return ""
	}
	sess, err := s.loadSession(r.Context(), token)
	if err != nil {
		return ""
	}
	return sess.Username
}

// afterLogout is where the browser goes once its session is gone: the
// provider's end-session endpoint when there was a session and the
// provider has one, else the post-logout page.
func (s *Service) afterLogout(sess *session.Session) string {
	endpoint, params := s.endSession(sess)
	if endpoint == nil {
		return s.o.PostLogoutRedirectURL
	}
	q := endpoint.Query()
	for k, v := range params {
		q[k] = v
	}
	endpoint.RawQuery = q.Encode()
	return endpoint.String()
}

// endSession is the provider's end-session endpoint and the parameters
// of RP-initiated logout for sess (nil when there is no session or no
// endpoint).
func (s *Service) endSession(sess *session.Session) (*url.URL, url.Values) {
	if sess == nil {
		return nil, nil
	}
	d, err := s.provider.get()
	if err != nil || d.endSession == "" {
		return nil, nil
	}
	u, err := url.Parse(d.endSession)
	if err != nil {
		return nil, nil
	}
	params := url.Values{"client_id": {s.o.ClientID}, "post_logout_redirect_uri": {s.o.PostLogoutRedirectURL}}
	if sess.IDToken != "" {
		params.Set("id_token_hint", sess.IDToken)
	}
	return u, params
}

// leave sends the browser on after logout: to the end-session endpoint
// with a self-submitting POST form (the ID token hint stays out of URLs)
// or, with EndSessionByRedirect, a redirect; else to the post-logout page.
func (s *Service) leave(w http.ResponseWriter, r *http.Request, sess *session.Session) {
	endpoint, params := s.endSession(sess)
	if endpoint == nil || s.o.EndSessionByRedirect {
		redirect(w, r, s.afterLogout(sess))
		return
	}
	writeEndSessionForm(w, endpoint.String(), params)
}

// loggedOut is the page shown after logout.
func (s *Service) loggedOut(w http.ResponseWriter, _ *http.Request) {
	writePage(w, http.StatusOK, page{Title: "Logged out", Message: "You are logged out.", Link: LoginPath, LinkText: "Log in again"})
}
