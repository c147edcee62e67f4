package oidcweb

import (
	"net/http"
	"net/url"

	"go.uber.org/zap"
	"golang.org/x/oauth2"
)

// LoginURL implements authn.LoginRedirector: where a browser without a
// session goes to log in, coming back to the page it asked for.
func (s *Service) LoginURL(r *http.Request) string {
	return LoginPath + "?return=" + url.QueryEscape(safeReturn(r.URL.RequestURI()))
}

// login starts the authorization code flow: fresh state, nonce and PKCE
// verifier sealed into the pre-login cookie, and a redirect to the
// provider's authorization endpoint with the S256 challenge.
func (s *Service) login(w http.ResponseWriter, r *http.Request) {
	if s.keepsSession(r) {
		// Another site sent a browser that is logged in here: starting a
		// login would end its session (a logout any page could trigger).
		// It goes where the login would have taken it.
		redirect(w, r, safeReturn(r.URL.Query().Get("return")))
		return
	}
	d, err := s.provider.get()
	if err != nil {
		s.o.Logger.Warn("login: OpenID provider unavailable", zap.Error(err))
		loginFailed(w, http.StatusServiceUnavailable, "The identity provider cannot be reached; try again in a moment.")
		return
	}
	verifier := oauth2.GenerateVerifier()
	ls, err := newLoginState(safeReturn(r.URL.Query().Get("return")), s.o.Now(), verifier)
	if err != nil {
		s.o.Logger.Error("login: random state", zap.Error(err))
		loginFailed(w, http.StatusInternalServerError, "Internal error.")
		return
	}
	if err := s.setLoginState(w, ls); err != nil {
		s.o.Logger.Error("login: sealing state", zap.Error(err))
		loginFailed(w, http.StatusInternalServerError, "Internal error.")
		return
	}
	if tok := s.sessionToken(r); tok != "" {
		// A new login replaces the browser's session, if it still has one:
		// that ends a session, so it is audited as a logout first.
		if !s.recordReplacedSession(w, r, tok) {
			return
		}
		if err := s.o.Sessions.Delete(r.Context(), tok); err != nil {
			s.o.Logger.Warn("login: could not delete the previous session", zap.Error(err))
		}
		s.clearSessionCookie(w)
	}
	redirect(w, r, d.oauth2.AuthCodeURL(ls.State, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", ls.Nonce)))
}

// recordReplacedSession audits the end of the live session a new login
// replaces (as a local logout of its user); it reports false, with the
// 503 written, when the audit trail cannot take the record. A token whose
// session has already ended needs no record.
func (s *Service) recordReplacedSession(w http.ResponseWriter, r *http.Request, token string) bool {
	sess, err := s.loadSession(r.Context(), token)
	if err != nil || sess == nil {
		return true
	}
	o := s.logoutOutcome(sess, true)
	o.RPInitiated = false
	return s.record(w, r, o)
}

// keepsSession reports whether a login request came from another site
// (CrossSiteRequest) while the browser's session is live: that session
// is kept rather than replaced.
func (s *Service) keepsSession(r *http.Request) bool {
	tok := s.sessionToken(r)
	if tok == "" || !s.CrossSiteRequest(r) {
		return false
	}
	sess, err := s.loadSession(r.Context(), tok)
	return err == nil && sess != nil
}
