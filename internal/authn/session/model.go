package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Data is everything a session holds. It is sealed as a whole before it
// reaches the store.
type Data struct {
	// Site names the login that made the session (its client and
	// redirect URI): a session is only valid there, even when several
	// sites' sessions end up in one store. "" in sessions made before it
	// was recorded.
	Site string `json:"site,omitempty"`
	// Issuer and Subject identify the user at the OpenID provider (iss, sub).
	Issuer  string `json:"iss"`
	Subject string `json:"sub"`
	// SID is the provider's session id (the ID token's sid claim), used by
	// back-channel logout; "" when the provider sends none.
	SID string `json:"sid,omitempty"`
	// Username is the principal's name, for logs.
	Username string `json:"user"`
	// Nonce is the login's nonce: a refreshed ID token that carries one
	// must carry the same.
	Nonce string `json:"nonce,omitempty"`
	// Claims are the verified ID token claims the principal is built from.
	Claims json.RawMessage `json:"claims"`
	// Tokens from the provider.
	IDToken      string `json:"id_token,omitempty"`
	AccessToken  string `json:"access_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// TokenExpiry is when the ID token (or the access token, if earlier)
	// expires: the session must be refreshed before then.
	TokenExpiry time.Time `json:"token_expiry"`
	// TokensIssuedAt is when the current tokens were obtained.
	TokensIssuedAt time.Time `json:"tokens_issued_at"`
	// Refreshes counts successful refreshes.
	Refreshes int `json:"refreshes"`
	// CreatedAt is the login time; ExpiresAt = CreatedAt + lifespan.
	CreatedAt time.Time `json:"created"`
	ExpiresAt time.Time `json:"expires"`
}

// Session is a loaded session.
type Session struct {
	Data
	// IdleExpiresAt is when the session ends unless used again (zero
	// without an idle timeout).
	IdleExpiresAt time.Time
	key           string
}

// Key is the session's store key (a hash of its cookie token).
func (s *Session) Key() string { return s.key }

// tokenBytes is the entropy of a cookie token.
const tokenBytes = 32

// tokenLen is the length of an encoded token.
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// newToken returns a random cookie token.
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validToken reports whether s has the shape of a token (before any store
// lookup, so junk cookies cost nothing).
func validToken(s string) bool {
	if len(s) != tokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// storeKey is the store key of a token. The store never sees the token:
// whoever reads the store cannot present its keys as cookies.
func storeKey(token string) string {
	sum := sha256.Sum256([]byte("portcullis session\x00" + token))
	return hex.EncodeToString(sum[:])
}

// indexKey names an index entry (per user, per provider session) without
// putting user identifiers in the store's key names.
func indexKey(kind, issuer, value string) string {
	sum := sha256.Sum256([]byte("portcullis " + kind + "\x00" + issuer + "\x00" + value))
	return hex.EncodeToString(sum[:])
}

// associatedData binds a sealed session to its store key.
func associatedData(key string) []byte { return []byte("portcullis session v1\x00" + key) }
