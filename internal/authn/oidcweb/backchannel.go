package oidcweb

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// backchannelEvent is the events member a logout token must carry.
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutTokenMaxAge bounds how old a logout token's iat may be: replays
// of an old token (which could end sessions created after it) are refused.
const logoutTokenMaxAge = 10 * time.Minute

// maxLogoutBody bounds the back-channel request body.
const maxLogoutBody = 64 << 10

// backchannel implements OpenID Connect Back-Channel Logout 1.0 for the
// provider: it validates the logout token (signature, iss, aud, iat, the
// events claim, sid or sub, no nonce, a jti not seen before) and deletes the
// matching sessions: by sid when present (and of that sub if both are
// given), else every session of sub. Answers: 200, or 400 with an OAuth
// error body (the spec's answer to an invalid token or a failed logout).
func (s *Service) backchannel(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		logoutError(w, http.StatusMethodNotAllowed, "invalid_request", "POST a logout_token")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLogoutBody)
	if err := r.ParseForm(); err != nil {
		s.refuseBackchannel(w, r, "unreadable form body")
		return
	}
	raw := r.PostForm.Get("logout_token")
	if raw == "" {
		s.refuseBackchannel(w, r, "missing logout_token")
		return
	}
	lt, err := s.verifyLogoutToken(r, raw)
	if err != nil {
		s.o.Logger.Warn("back-channel logout refused", zap.Error(err))
		s.refuseBackchannel(w, r, err.Error())
		return
	}
	// The token's id is claimed in the session store, which replicas
	// share: a replay (which would end the sessions the user opened
	// since) is refused by whichever replica it reaches. The claim lasts
	// as long as the token's iat is accepted.
	first, err := s.o.Sessions.ClaimOnce(r.Context(), lt.issuer, lt.jti, 2*(logoutTokenMaxAge+s.o.ClockSkew))
	if err != nil {
		s.o.Logger.Error("back-channel logout failed: session store unavailable", zap.Error(err))
		logoutError(w, http.StatusBadRequest, "temporarily_unavailable", "the session store is unavailable")
		return
	}
	if !first {
		s.o.Logger.Warn("back-channel logout refused: logout token replayed")
		s.refuseBackchannel(w, r, "logout token replayed")
		return
	}
	// A logout that fails from here releases its claim: the provider
	// retries a failed logout with the same token, which must not then be
	// refused as a replay while the user's sessions live on.
	if !s.record(w, r, Outcome{Kind: BackchannelLoggedOut, Principal: lt.principal, Username: lt.subject, Subject: lt.subject, SID: lt.sid}) {
		s.releaseLogoutToken(r, lt)
		return
	}
	var n int
	if lt.sid != "" {
		n, err = s.o.Sessions.DeleteSID(r.Context(), lt.issuer, lt.sid, lt.subject)
	} else {
		n, err = s.o.Sessions.DeleteSubject(r.Context(), lt.issuer, lt.subject)
	}
	if err != nil {
		s.o.Logger.Error("back-channel logout failed: session store unavailable", zap.Error(err))
		s.releaseLogoutToken(r, lt)
		logoutError(w, http.StatusBadRequest, "temporarily_unavailable", "the session store is unavailable")
		return
	}
	s.o.Logger.Info("back-channel logout", zap.Int("sessions", n), zap.Bool("by_sid", lt.sid != ""))
	w.WriteHeader(http.StatusOK)
}

// releaseLogoutToken forgets the claim of a logout token whose logout
// failed, so that the provider's retry is not taken for a replay.
func (s *Service) releaseLogoutToken(r *http.Request, lt *logoutToken) {
	if err := s.o.Sessions.ReleaseOnce(r.Context(), lt.issuer, lt.jti); err != nil {
		s.o.Logger.Error("back-channel logout: the failed logout's token stays claimed; the provider's retry will be refused", zap.Error(err))
	}
}

type logoutToken struct {
	issuer, subject, sid string
	// jti is the token's id, claimed in the session store so that a
	// replay to this replica or another is refused.
	jti string
	// principal is the user the token's claims map to, when they name
	// one (most providers send only sub and sid).
	principal *authn.Principal
}

// refuseBackchannel records a refused back-channel logout, then answers
// the spec's 400 invalid_request.
func (s *Service) refuseBackchannel(w http.ResponseWriter, r *http.Request, reason string) {
	if !s.record(w, r, Outcome{Kind: BackchannelRefused, Reason: truncate(reason, 300)}) {
		return
	}
	logoutError(w, http.StatusBadRequest, "invalid_request", reason)
}

// verifyLogoutToken validates a logout token as the spec's section 2.6
// asks.
func (s *Service) verifyLogoutToken(r *http.Request, raw string) (*logoutToken, error) {
	d, err := s.provider.get()
	if err != nil {
		return nil, errors.New("the identity provider cannot be reached to verify the token")
	}
	idt, err := d.verifier.Verify(r.Context(), raw) // signature, iss, aud
	if err != nil {
		return nil, fmt.Errorf("invalid logout token: %v", err)
	}
	var claims struct {
		Events json.RawMessage `json:"events"`
		SID    string          `json:"sid"`
		JTI    string          `json:"jti"`
	}
	if err := idt.Claims(&claims); err != nil {
		return nil, errors.New("invalid logout token claims")
	}
	var all map[string]json.RawMessage
	_ = idt.Claims(&all)
	if _, ok := all["nonce"]; ok {
		return nil, errors.New("a logout token must not contain a nonce")
	}
	var events map[string]json.RawMessage
	if err := json.Unmarshal(claims.Events, &events); err != nil || !isJSONObject(events[backchannelEvent]) {
		return nil, errors.New("logout token lacks the back-channel logout event")
	}
	if idt.Subject == "" && claims.SID == "" {
		return nil, errors.New("logout token has neither sub nor sid")
	}
	now := s.o.Now()
	if idt.IssuedAt.IsZero() || now.Sub(idt.IssuedAt) > logoutTokenMaxAge+s.o.ClockSkew || idt.IssuedAt.After(now.Add(s.o.ClockSkew)) {
		return nil, errors.New("logout token iat is missing or not recent")
	}
	if !idt.Expiry.IsZero() && now.After(idt.Expiry.Add(s.o.ClockSkew)) {
		return nil, errors.New("logout token expired")
	}
	// jti is required (section 2.4): without one, a replay of the token
	// (which would end the sessions the user opened since) cannot be told
	// from its first use.
	if claims.JTI == "" {
		return nil, errors.New("logout token has no jti")
	}
	return &logoutToken{issuer: idt.Issuer, subject: idt.Subject, sid: claims.SID, jti: claims.JTI, principal: s.logoutPrincipal(idt)}, nil
}

// logoutPrincipal maps a verified logout token's claims to a user, or nil.
func (s *Service) logoutPrincipal(idt *oidc.IDToken) *authn.Principal {
	var raw json.RawMessage
	if err := idt.Claims(&raw); err != nil {
		return nil
	}
	claims, err := authn.DecodeClaims(raw)
	if err != nil {
		return nil
	}
	p, err := s.o.Claims.Principal(claims)
	if err != nil {
		return nil
	}
	p.Roles = []string{}
	if s.o.RoleMapper != nil {
		p.Roles = s.o.RoleMapper.Map(p)
	}
	return p
}

func isJSONObject(raw json.RawMessage) bool {
	var obj map[string]json.RawMessage
	return raw != nil && json.Unmarshal(raw, &obj) == nil && obj != nil
}

func logoutError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}
