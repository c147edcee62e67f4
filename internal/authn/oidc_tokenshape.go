package authn

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// backchannelLogoutEvent is the member of a logout token's events claim
// (OpenID Connect Back-Channel Logout 1.0).
const backchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// verifierClaims are the claims go-oidc decodes into its IDToken (iss,
// sub, aud, times, nonce, at_hash, distributed claims) with encoding/json,
// which matches member names case-insensitively and keeps the last match:
// a token carrying "Aud" after "aud" would be checked against the "Aud"
// value, while Elasticsearch, and the claims map principals are built
// from, read "aud" exactly.
func verifierClaims() [10]string {
	return [...]string{"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "at_hash", "_claim_names", "_claim_sources"}
}

// TokenKind says which JWTs a check accepts.
type TokenKind int

const (
	// IDTokensOnly accepts ID tokens (typ JWT or none): the login's.
	IDTokensOnly TokenKind = iota
	// IDOrAccessTokens also accepts OAuth access tokens typed as RFC 9068
	// says (at+jwt): bearer tokens, since API clients present access
	// tokens for the configured audiences (Elasticsearch's JWT realm with
	// token_type access_token).
	IDOrAccessTokens
)

// CheckIDTokenShape refuses a verified JWS that is not a credential of
// kind, or whose registered claims two readers could read differently:
//
//   - its typ header, when present, must be JWT, or with IDOrAccessTokens
//     also at+jwt: a logout token (logout+jwt) or a security event token
//     the provider signed for the same client is never a credential, and
//     an access token is not an ID token;
//   - it must not carry the back-channel logout event (a logout token,
//     typed or not, is never a credential);
//   - none of the claims go-oidc reads (verifierClaims) may appear under
//     another spelling than its own ("Aud", "SUB"): go-oidc would read
//     that one, everything else the exact one.
//
// token is the compact serialization whose signature was verified; claims
// are its payload decoded with DecodeClaims. The error never contains
// claim values.
func CheckIDTokenShape(token string, claims map[string]any, kind TokenKind) error {
	if err := checkJWTTyp(token, kind); err != nil {
		return err
	}
	registered := verifierClaims()
	for name, value := range claims {
		for _, reg := range registered {
			if name != reg && strings.EqualFold(name, reg) {
				return fmt.Errorf("the token has a claim %q besides %q: registered claim names are case-sensitive", truncate(name, 40), reg)
			}
		}
		// Any spelling: the back-channel endpoint reads events with
		// encoding/json, case-insensitively.
		if events, ok := value.(map[string]any); ok && strings.EqualFold(name, "events") {
			if _, logout := events[backchannelLogoutEvent]; logout {
				return errors.New("a back-channel logout token is not an ID token")
			}
		}
	}
	return nil
}

// checkJWTTyp reads the protected header of token and refuses a typ other
// than JWT (compared case-insensitively, as media types are).
func checkJWTTyp(token string, kind TokenKind) error {
	head, _, ok := strings.Cut(token, ".")
	if !ok {
		return errors.New("not a JWS compact serialization")
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return errors.New("the token header is not base64url")
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw, &h); err != nil {
		return errors.New("the token header is not a JSON object")
	}
	for name := range h {
		if name != "typ" && strings.EqualFold(name, "typ") {
			return errors.New("the token header spells typ in another case")
		}
	}
	rawTyp, present := h["typ"]
	if !present {
		return nil
	}
	var typ string
	if err := json.Unmarshal(rawTyp, &typ); err != nil {
		return errors.New("the token's typ header is not a string")
	}
	accessToken := strings.EqualFold(typ, "at+jwt") || strings.EqualFold(typ, "application/at+jwt")
	if !strings.EqualFold(typ, "JWT") && !(kind == IDOrAccessTokens && accessToken) {
		return fmt.Errorf("the token's typ is %q, not JWT: it is not an ID token", truncate(typ, 40))
	}
	return nil
}
