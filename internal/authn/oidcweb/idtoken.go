package oidcweb

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// verifiedToken is an ID token whose signature, issuer, audience and times
// have been checked.
type verifiedToken struct {
	idt     *oidc.IDToken
	raw     string
	claims  map[string]any
	json    json.RawMessage
	issuer  string
	subject string
	sid     string
	nonce   string
	expiry  time.Time
}

// verifyIDToken checks an ID token from the token endpoint: signature
// (go-oidc, against the provider's keys), that it is an ID token whose
// registered claims have one spelling (authn.CheckIDTokenShape), iss, aud
// containing our client id
// (and azp when there are several audiences), exp and iat with the clock
// skew, and the nonce when one is expected ("" after a refresh, where
// the nonce, if any, must still be the login's).
func (s *Service) verifyIDToken(ctx context.Context, d *discovered, raw, nonce string) (*verifiedToken, error) {
	idt, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("invalid ID token: %w", err)
	}
	var rawClaims json.RawMessage
	if err := idt.Claims(&rawClaims); err != nil {
		return nil, fmt.Errorf("invalid ID token claims: %w", err)
	}
	claims, err := authn.DecodeClaims(rawClaims)
	if err != nil {
		return nil, fmt.Errorf("invalid ID token claims: %w", err)
	}
	if err := authn.CheckIDTokenShape(raw, claims, authn.IDTokensOnly); err != nil {
		return nil, fmt.Errorf("invalid ID token: %w", err)
	}
	now := s.o.Now()
	if err := s.checkTimes(claims, now, true); err != nil {
		return nil, fmt.Errorf("ID token: %w", err)
	}
	if err := s.checkAuthorizedParty(idt.Audience, claims); err != nil {
		return nil, err
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, errors.New("ID token nonce does not match the login's")
	}
	exp, _ := authn.NumericDate(claims["exp"])
	v := &verifiedToken{
		idt: idt, raw: raw, claims: claims, json: rawClaims, issuer: idt.Issuer, subject: idt.Subject,
		nonce: idt.Nonce, expiry: exp,
	}
	v.sid, _ = claims["sid"].(string)
	if v.subject == "" {
		return nil, errors.New("ID token has no sub")
	}
	return v, nil
}

// checkTimes checks exp (when required or present), iat and nbf against now
// with the configured skew.
func (s *Service) checkTimes(claims map[string]any, now time.Time, expRequired bool) error {
	skew := s.o.ClockSkew
	if raw, ok := claims["exp"]; ok || expRequired {
		exp, ok := authn.NumericDate(raw)
		if !ok {
			return errors.New("no valid exp claim")
		}
		if now.After(exp.Add(skew)) {
			return fmt.Errorf("expired at %s", exp.UTC().Format(time.RFC3339))
		}
	}
	iat, ok := authn.NumericDate(claims["iat"])
	if !ok {
		return errors.New("no valid iat claim")
	}
	if iat.After(now.Add(skew)) {
		return fmt.Errorf("issued in the future (iat %s)", iat.UTC().Format(time.RFC3339))
	}
	if raw, ok := claims["nbf"]; ok {
		nbf, ok := authn.NumericDate(raw)
		if !ok || nbf.After(now.Add(skew)) {
			return errors.New("not valid yet (nbf)")
		}
	}
	return nil
}

// checkAuthorizedParty applies OpenID Connect Core 3.1.3.7: with several
// audiences the azp claim must be present; when present it must be us.
func (s *Service) checkAuthorizedParty(aud []string, claims map[string]any) error {
	azp, present := claims["azp"]
	if !present {
		if len(aud) > 1 {
			return errors.New("ID token has several audiences and no azp")
		}
		return nil
	}
	if v, ok := azp.(string); !ok || v != s.o.ClientID {
		return errors.New("ID token was issued to another client (azp)")
	}
	if !slices.Contains(aud, s.o.ClientID) {
		return errors.New("ID token audience does not contain the client id")
	}
	return nil
}
