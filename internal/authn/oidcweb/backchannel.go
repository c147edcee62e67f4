package oidcweb

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
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

// maxReplayEntries bounds the remembered logout token ids.
const maxReplayEntries = 10000

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
	if !s.record(w, r, Outcome{Kind: BackchannelLoggedOut, Principal: lt.principal, Username: lt.subject, Subject: lt.subject, SID: lt.sid}) {
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
		logoutError(w, http.StatusBadRequest, "temporarily_unavailable", "the session store is unavailable")
		return
	}
	s.o.Logger.Info("back-channel logout", zap.Int("sessions", n), zap.Bool("by_sid", lt.sid != ""))
	w.WriteHeader(http.StatusOK)
}

type logoutToken struct {
	issuer, subject, sid string
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
	if !s.replays.first(idt.Issuer+"\x00"+claims.JTI, now) {
		return nil, errors.New("logout token replayed")
	}
	return &logoutToken{issuer: idt.Issuer, subject: idt.Subject, sid: claims.SID, principal: s.logoutPrincipal(idt)}, nil
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

// replayCache remembers logout token ids for as long as such tokens are
// accepted (bounded: when full, the oldest entries go).
type replayCache struct {
	max  int
	mu   sync.Mutex
	seen map[string]time.Time
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: map[string]time.Time{}}
}

// first reports whether id is seen for the first time, and remembers it.
func (c *replayCache) first(id string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[id]; ok {
		return false
	}
	if len(c.seen) >= c.max {
		c.evict(now)
	}
	c.seen[id] = now
	return true
}

// evict drops entries too old to matter, then the oldest if still full.
func (c *replayCache) evict(now time.Time) {
	var oldestID string
	var oldest time.Time
	for id, at := range c.seen {
		if now.Sub(at) > 2*logoutTokenMaxAge {
			delete(c.seen, id)
			continue
		}
		if oldestID == "" || at.Before(oldest) {
			oldestID, oldest = id, at
		}
	}
	if len(c.seen) >= c.max && oldestID != "" {
		delete(c.seen, oldestID)
	}
}
