package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// idBytes and secretBytes are the random sizes of a key's id and secret
// (Elasticsearch: a 20-character id, a 22-character secret).
const (
	idBytes     = 15
	secretBytes = 16
	saltBytes   = 16
	hashPrefix  = "sha256:"
)

// newToken returns n random bytes as unpadded base64url text.
func newToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("apikey: reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashSecret returns the stored form of secret: "sha256:" salt ":" digest,
// both hex, the digest of salt followed by the secret.
func hashSecret(secret string) (string, error) {
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("apikey: reading random bytes: %w", err)
	}
	return hashPrefix + hex.EncodeToString(salt) + ":" + hex.EncodeToString(digest(salt, secret)), nil
}

func digest(salt []byte, secret string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// errBadHash reports a stored hash the store cannot read.
var errBadHash = errors.New("apikey: malformed stored hash")

// verifySecret reports whether secret matches the stored hash.
func verifySecret(stored, secret string) (bool, error) {
	rest, ok := strings.CutPrefix(stored, hashPrefix)
	if !ok {
		return false, errBadHash
	}
	saltHex, sumHex, ok := strings.Cut(rest, ":")
	if !ok {
		return false, errBadHash
	}
	salt, err1 := hex.DecodeString(saltHex)
	sum, err2 := hex.DecodeString(sumHex)
	if err1 != nil || err2 != nil || len(salt) == 0 || len(sum) != sha256.Size {
		return false, errBadHash
	}
	return subtle.ConstantTimeCompare(digest(salt, secret), sum) == 1, nil
}
