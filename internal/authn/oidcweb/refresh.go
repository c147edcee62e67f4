package oidcweb

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authn/session"
)

// errRefreshRejected: the provider refused the refresh token (revoked,
// expired, user disabled) or answered with tokens for someone else. The
// session ends.
var errRefreshRejected = errors.New("the identity provider refused to refresh the session")

// refreshMargin is how long before the tokens expire they are refreshed:
// RefreshBefore, but at most a third of the tokens' lifetime (short-lived
// tokens would otherwise be refreshed on every request).
func (s *Service) refreshMargin(d *session.Data) time.Duration {
	margin := s.o.RefreshBefore
	if life := d.TokenExpiry.Sub(d.TokensIssuedAt); life > 0 && life/3 < margin {
		margin = life / 3
	}
	return margin
}

// needsRefresh: the session can be refreshed and its tokens expire soon.
func (s *Service) needsRefresh(d *session.Data, now time.Time) bool {
	return d.RefreshToken != "" && !now.Before(d.TokenExpiry.Add(-s.refreshMargin(d)))
}

// expired: the session's tokens are past their expiry (with the skew).
func (s *Service) expired(d *session.Data, now time.Time) bool {
	return now.After(d.TokenExpiry.Add(s.o.ClockSkew))
}

// fresh returns a session whose tokens are valid, refreshing them first
// when they expire soon. Refreshes are single-flight per session (across
// replicas with Redis); a replica that waited for another's refresh
// re-reads the session and uses the new tokens. When the provider cannot
// be reached, still-valid tokens are used; expired ones end the request
// with ErrUnavailable (never let through).
func (s *Service) fresh(r *http.Request, token string, sess *session.Session) (*session.Session, error) {
	now := s.o.Now()
	if !s.needsRefresh(&sess.Data, now) {
		if s.expired(&sess.Data, now) {
			_ = s.o.Sessions.Delete(r.Context(), token)
			s.logRefusal(sess, "session ended: tokens expired and no refresh token", nil)
			return nil, errSessionEnded
		}
		return sess, nil
	}
	updated, err := s.o.Sessions.Update(r.Context(), token, s.refresher(r.Context()))
	switch {
	case err == nil:
		return updated, nil
	case errors.Is(err, session.ErrNotFound):
		return nil, errSessionEnded
	case errors.Is(err, errRefreshRejected):
		s.logRefusal(sess, "session ended: refresh refused", err)
		_ = s.o.Sessions.Delete(r.Context(), token)
		return nil, errSessionEnded
	}
	// The provider or the store failed. Another replica may have refreshed
	// meanwhile (a lost lease): look again before giving up.
	s.logRefusal(sess, "session refresh failed", err)
	if again, lerr := s.loadSession(r.Context(), token); lerr == nil {
		sess = again
	}
	if !s.expired(&sess.Data, s.o.Now()) {
		return sess, nil
	}
	return nil, &authn.UnavailableError{Reason: "the session's tokens expired and could not be refreshed", Err: err}
}

// refresher returns the update that refreshes a session's tokens, unless
// the session read under the lock no longer needs it.
func (s *Service) refresher(ctx context.Context) session.UpdateFunc {
	return func(cur *session.Session) (*session.Data, error) {
		if !s.needsRefresh(&cur.Data, s.o.Now()) {
			return nil, nil // refreshed by another request or replica meanwhile
		}
		d, err := s.provider.get()
		if err != nil {
			return nil, err
		}
		// Not the request's context: a client that goes away must not
		// abort a refresh whose rotated refresh token must be stored.
		tctx, cancel := s.provider.tokenContext(context.WithoutCancel(ctx))
		defer cancel()
		tok, err := d.oauth2.TokenSource(tctx, &oauth2.Token{RefreshToken: cur.RefreshToken}).Token()
		if err != nil {
			if code, ok := refusedByProvider(err); ok {
				return nil, fmt.Errorf("%w: %s", errRefreshRejected, code)
			}
			return nil, fmt.Errorf("refreshing tokens: %w", err)
		}
		return s.refreshed(tctx, d, cur, tok)
	}
}

// refreshed builds the session data after a successful refresh. A new ID
// token must be valid and about the same user (iss and sub unchanged, the
// login's nonce if it carries one); a new refresh token replaces the old
// one (rotation).
func (s *Service) refreshed(ctx context.Context, d *discovered, cur *session.Session, tok *oauth2.Token) (*session.Data, error) {
	now := s.o.Now()
	next := cur.Data
	next.AccessToken = tok.AccessToken
	if tok.RefreshToken != "" {
		next.RefreshToken = tok.RefreshToken
	}
	next.TokensIssuedAt, next.Refreshes = now, cur.Refreshes+1
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		// No new ID token: the claims stay; the access token's expiry
		// bounds the session (or the previous lifetime if it has none).
		next.TokenExpiry = tok.Expiry
		if next.TokenExpiry.IsZero() {
			next.TokenExpiry = now.Add(cur.TokenExpiry.Sub(cur.TokensIssuedAt))
		}
		return &next, nil
	}
	v, err := s.verifyIDToken(ctx, d, raw, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errRefreshRejected, err)
	}
	if v.issuer != cur.Issuer || v.subject != cur.Subject || (v.nonce != "" && v.nonce != cur.Nonce) {
		return nil, fmt.Errorf("%w: the refreshed ID token is about another login", errRefreshRejected)
	}
	if _, err := s.o.Claims.Principal(v.claims); err != nil {
		return nil, fmt.Errorf("%w: %v", errRefreshRejected, err)
	}
	next.IDToken, next.Claims = raw, v.json
	next.TokenExpiry = tokenExpiry(v.expiry, tok.Expiry)
	return &next, nil
}

// refusedByProvider reports whether the token endpoint answered and said
// no (a 4xx such as invalid_grant: revoked, expired or reused refresh
// token), as opposed to failing (5xx, network) or shedding load (429,
// 408, or an error code saying it is temporarily unable to answer): the
// former ends the session, the others are retried. A rate limit must never
// end sessions: the proxy's client shares one quota at the provider, which
// anyone can spend (junk codes posted to the callback), and every session
// refreshing meanwhile would be logged out.
func refusedByProvider(err error) (string, bool) {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return "", false
	}
	switch re.ErrorCode {
	case "invalid_grant", "unauthorized_client":
		return re.ErrorCode, true
	case "temporarily_unavailable", "server_error", "slow_down":
		return "", false
	}
	if re.Response == nil {
		return "", false
	}
	switch status := re.Response.StatusCode; {
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status == http.StatusTooEarly:
		return "", false
	case status >= 400 && status < 500:
		return fmt.Sprintf("HTTP %d %s", status, re.ErrorCode), true
	}
	return "", false
}
