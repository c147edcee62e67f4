package oidcweb

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/session"
)

// callback finishes a login: the state must be this browser's, the code is
// exchanged with the PKCE verifier, the ID token is verified (signature,
// issuer, audience, times, nonce), the claims must name a user, and only
// then is a session created and its cookie set.
func (s *Service) callback(w http.ResponseWriter, r *http.Request) {
	log := s.o.Logger
	q := r.URL.Query()
	ls, err := s.loginStateOf(r)
	if err != nil {
		log.Info("login callback refused", zap.String("reason", err.Error()))
		s.refuseLogin(w, r, http.StatusBadRequest, "This login cannot be completed: "+err.Error()+".", err.Error())
		return
	}
	s.clearLoginState(w) // one use, whatever happens next
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(ls.State)) != 1 {
		log.Warn("login callback refused: state mismatch (another login started in this browser, or a forged callback)")
		s.refuseLogin(w, r, http.StatusBadRequest, "This login does not match the one started in this browser.",
			"state mismatch (another login started in this browser, or a forged callback)")
		return
	}
	if e := q.Get("error"); e != "" {
		log.Info("login refused by the identity provider", zap.String("error", truncate(e, 100)), zap.String("description", truncate(q.Get("error_description"), 300)))
		s.refuseLogin(w, r, http.StatusUnauthorized, "The identity provider refused the login: "+truncate(e, 100)+" "+truncate(q.Get("error_description"), 300),
			"the identity provider refused the login: "+truncate(e, 100))
		return
	}
	ip := authn.LimiterKey(r.RemoteAddr, s.o.ExemptAddresses)
	if s.o.Limiter != nil {
		if err := s.o.Limiter.Check(ip, ""); err != nil {
			log.Warn("login callback refused: too many failed logins from this address", zap.Error(err))
			s.refuseLogin(w, r, http.StatusTooManyRequests, "Too many failed logins from this address; try again later.",
				"too many failed logins from this address")
			return
		}
	}
	d, err := s.provider.get()
	if err != nil {
		log.Warn("login callback: OpenID provider unavailable", zap.Error(err))
		s.refuseLogin(w, r, http.StatusServiceUnavailable, "The identity provider cannot be reached; try again in a moment.",
			"the identity provider cannot be reached")
		return
	}
	ctx, cancel := s.provider.tokenContext(r.Context())
	defer cancel()
	tok, err := d.oauth2.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(ls.Verifier))
	if err != nil {
		if _, refused := refusedByProvider(err); refused && s.o.Limiter != nil {
			s.o.Limiter.Failure(ip, "")
		}
		log.Warn("login callback: code exchange failed", zap.Error(err))
		s.refuseLogin(w, r, http.StatusUnauthorized, "The identity provider did not accept the login code.",
			"code exchange failed"+exchangeErrorCode(err))
		return
	}
	data, err := s.sessionData(r, d, tok, ls.Nonce)
	if err != nil {
		log.Warn("login callback refused", zap.Error(err))
		s.refuseLogin(w, r, http.StatusUnauthorized, "The identity provider's answer was refused: "+err.Error()+".", truncate(err.Error(), 300))
		return
	}
	p, err := s.principal(&session.Session{Data: *data})
	if err != nil {
		log.Warn("login callback refused", zap.Error(err))
		s.refuseLogin(w, r, http.StatusUnauthorized, "The identity provider's answer was refused: "+err.Error()+".", truncate(err.Error(), 300))
		return
	}
	if !s.record(w, r, Outcome{Kind: LoginSucceeded, Principal: p}) {
		return
	}
	token, _, err := s.o.Sessions.Create(r.Context(), *data)
	if err != nil {
		log.Error("login callback: session store unavailable", zap.Error(err))
		loginFailed(w, http.StatusServiceUnavailable, "The session store is unavailable, so no session can be created; try again later. "+
			"(API clients can still authenticate with bearer tokens or Basic credentials.)")
		return
	}
	log.Info("login", zap.String("user", data.Username), zap.String("issuer", data.Issuer))
	s.setSessionCookie(w, token)
	redirect(w, r, ls.Return)
}

// refuseLogin records a failed callback, then shows why it failed.
// reason is for the audit trail: never a code or a token.
func (s *Service) refuseLogin(w http.ResponseWriter, r *http.Request, status int, message, reason string) {
	if !s.record(w, r, Outcome{Kind: LoginFailed, Reason: reason}) {
		return
	}
	loginFailed(w, status, message)
}

// exchangeErrorCode is the OAuth error code of a failed code exchange
// (", invalid_grant"), or "": the rest of the provider's answer stays out
// of the audit trail.
func exchangeErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		return ": " + truncate(re.ErrorCode, 100)
	}
	return ""
}

// sessionData verifies the token response of a login and builds the
// session it starts.
func (s *Service) sessionData(r *http.Request, d *discovered, tok *oauth2.Token, nonce string) (*session.Data, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("no ID token in the token response (is the openid scope granted?)")
	}
	v, err := s.verifyIDToken(r.Context(), d, raw, nonce)
	if err != nil {
		return nil, err
	}
	if v.nonce == "" {
		return nil, errors.New("ID token has no nonce")
	}
	if err := checkAccessTokenHash(v, tok.AccessToken); err != nil {
		return nil, err
	}
	p, err := s.o.Claims.Principal(v.claims)
	if err != nil {
		return nil, err
	}
	now := s.o.Now()
	return &session.Data{
		Site: s.site, Issuer: v.issuer, Subject: v.subject, SID: v.sid, Username: p.Username, Nonce: v.nonce, Claims: v.json,
		IDToken: raw, AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
		TokenExpiry: tokenExpiry(v.expiry, tok.Expiry), TokensIssuedAt: now,
	}, nil
}

// checkAccessTokenHash verifies at_hash when the ID token carries one.
func checkAccessTokenHash(v *verifiedToken, accessToken string) error {
	if v.idt.AccessTokenHash == "" || accessToken == "" {
		return nil
	}
	if err := v.idt.VerifyAccessToken(accessToken); err != nil {
		return errors.New("access token does not match the ID token's at_hash")
	}
	return nil
}

// tokenExpiry is when the session's tokens stop being valid: the earlier
// of the ID token's exp and the access token's expiry.
func tokenExpiry(idExp, accessExp time.Time) time.Time {
	if !accessExp.IsZero() && accessExp.Before(idExp) {
		return accessExp
	}
	return idExp
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
