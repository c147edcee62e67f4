package authn

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// HashAlgorithm identifies how a stored password was hashed. It is resolved
// from the hash's prefix exactly as Elasticsearch's Hasher.resolveFromHash
// does.
type HashAlgorithm int

const (
	// HashPlaintext is a stored value with no recognised prefix: Elasticsearch
	// treats it as a clear-text password.
	HashPlaintext HashAlgorithm = iota
	// HashBcrypt is "$2a$", "$2b$" or "$2y$" bcrypt.
	HashBcrypt
	// HashPBKDF2 is "{PBKDF2}<iterations>$<salt>$<key>", PBKDF2-HMAC-SHA512.
	HashPBKDF2
	// HashPBKDF2Stretch is "{PBKDF2_STRETCH}…": PBKDF2 over the lowercase hex
	// SHA-512 of the password.
	HashPBKDF2Stretch
	// HashSSHA256 is "{SSHA256}<12 base64 chars of an 8-byte salt><base64 SHA-256>".
	HashSSHA256
	// HashSHA1 is "{SHA}<base64 SHA-1>", unsalted.
	HashSHA1
	// HashMD5 is "{MD5}<base64 MD5>", unsalted.
	HashMD5
)

// Weak-parameter thresholds: below them a hash still works but is reported.
// They are Elasticsearch's defaults for generated hashes.
const (
	// MinBcryptCost is the bcrypt cost below which a hash is reported as weak.
	MinBcryptCost = 10
	// MinPBKDF2Iterations is the PBKDF2 iteration count below which a hash is
	// reported as weak.
	MinPBKDF2Iterations = 10000
)

// String returns the algorithm's name as operators know it.
func (a HashAlgorithm) String() string {
	switch a {
	case HashBcrypt:
		return "bcrypt"
	case HashPBKDF2:
		return "PBKDF2"
	case HashPBKDF2Stretch:
		return "PBKDF2_STRETCH"
	case HashSSHA256:
		return "SSHA256"
	case HashSHA1:
		return "SHA"
	case HashMD5:
		return "MD5"
	default:
		return "plain text"
	}
}

// verifier checks a password against one parsed hash, in constant time with
// respect to the stored value.
type verifier interface {
	verify(password string) bool
}

// StoredHash is a password hash from a users file, parsed once at load time
// so that a malformed hash is reported then and not on every login. It
// never prints its content: String and GoString only name the algorithm.
type StoredHash struct {
	alg  HashAlgorithm
	cost int // bcrypt cost or PBKDF2 iterations; 0 otherwise
	v    verifier
}

var errEmptyHash = errors.New("empty password hash")

// ParseHash parses a stored hash, resolving its algorithm from its prefix. A
// value with no recognised prefix is a plain-text password (Elasticsearch
// semantics). A recognised prefix with a malformed body is an error: such an
// entry can never match any password. Errors never quote the hash.
func ParseHash(stored string) (*StoredHash, error) {
	if stored == "" {
		return nil, errEmptyHash
	}
	h, err := parseByPrefix(stored)
	if err != nil {
		return nil, fmt.Errorf("invalid %s hash: %w", h.alg, err)
	}
	return h, nil
}

// parseByPrefix dispatches on the prefix in Elasticsearch's order. On error
// it still returns a StoredHash carrying the algorithm, for the message.
func parseByPrefix(stored string) (*StoredHash, error) {
	switch {
	case isBcryptPrefix(stored):
		return parseBcrypt(stored)
	case strings.HasPrefix(stored, pbkdf2StretchPrefix):
		return parsePBKDF2(stored, pbkdf2StretchPrefix, HashPBKDF2Stretch)
	case strings.HasPrefix(stored, pbkdf2Prefix):
		return parsePBKDF2(stored, pbkdf2Prefix, HashPBKDF2)
	case strings.HasPrefix(stored, sha1Prefix):
		return parseSHA1(stored)
	case strings.HasPrefix(stored, md5Prefix):
		return parseMD5(stored)
	case strings.HasPrefix(stored, ssha256Prefix):
		return parseSSHA256(stored)
	default:
		return parsePlain(stored), nil
	}
}

// VerifyPassword reports whether password matches the stored hash. A
// malformed hash matches nothing.
func VerifyPassword(stored, password string) bool {
	h, err := ParseHash(stored)
	if err != nil {
		return false
	}
	return h.Verify(password)
}

// Algorithm returns the hash's algorithm.
func (h *StoredHash) Algorithm() HashAlgorithm { return h.alg }

// Verify reports whether password matches. A nil StoredHash matches nothing.
func (h *StoredHash) Verify(password string) bool {
	if h == nil || h.v == nil {
		return false
	}
	return h.v.verify(password)
}

// Weakness returns why the hash is weak, or "" when it is not. The message
// never contains the hash.
func (h *StoredHash) Weakness() string {
	switch h.alg {
	case HashPlaintext:
		return "password is stored in plain text (no recognised hash prefix); use bcrypt"
	case HashSHA1, HashMD5, HashSSHA256:
		return fmt.Sprintf("password uses the fast %s digest, cheap to brute-force; use bcrypt", h.alg)
	case HashBcrypt:
		if h.cost < MinBcryptCost {
			return fmt.Sprintf("bcrypt cost %d is below %d", h.cost, MinBcryptCost)
		}
	case HashPBKDF2, HashPBKDF2Stretch:
		if h.cost < MinPBKDF2Iterations {
			return fmt.Sprintf("%s uses %d iterations, fewer than %d", h.alg, h.cost, MinPBKDF2Iterations)
		}
	}
	return ""
}

// String names the algorithm only, so that a StoredHash logged by mistake
// does not leak the hash.
func (h *StoredHash) String() string {
	if h == nil {
		return "StoredHash(nil)"
	}
	return "StoredHash(" + h.alg.String() + ")"
}

// GoString is String, for %#v.
func (h *StoredHash) GoString() string { return h.String() }

// constantTimeEqual compares two strings without an early exit on the first
// differing byte. Only the lengths, which are public per algorithm, may leak.
func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// decodeBase64 decodes standard base64 with or without padding, as Java's
// Base64.getDecoder() (used by Elasticsearch) accepts both.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("not valid base64")
	}
	return b, nil
}
