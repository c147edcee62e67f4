package authn

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"strings"
)

const (
	pbkdf2Prefix        = "{PBKDF2}"
	pbkdf2StretchPrefix = "{PBKDF2_STRETCH}"
	// pbkdf2MinSaltBytes is Elasticsearch's PBKDF2_MIN_SALT_LENGTH_IN_BYTES.
	pbkdf2MinSaltBytes = 8
	// pbkdf2KeyUnit: Elasticsearch only accepts key lengths that are a
	// multiple of 128 bits.
	pbkdf2KeyUnit = 16
)

// parsePBKDF2 parses "<prefix><iterations>$<b64 salt>$<b64 key>". The key
// length is derived from the stored key as Elasticsearch does (its base64
// length, rounded down to a multiple of 16 bytes); a stored key that is not
// the canonical base64 of such a key could never match there, so it is
// reported as malformed here.
func parsePBKDF2(stored, prefix string, alg HashAlgorithm) (*StoredHash, error) {
	h := &StoredHash{alg: alg}
	iterText, rest, ok := strings.Cut(stored[len(prefix):], "$")
	if !ok {
		return h, errors.New("missing '$' after the iteration count")
	}
	saltText, keyText, ok := strings.Cut(rest, "$")
	if !ok {
		return h, errors.New("missing '$' between salt and key")
	}
	iter, err := strconv.Atoi(iterText)
	if err != nil || iter <= 0 || iter > math.MaxInt32 {
		return h, errors.New("iteration count must be a positive integer")
	}
	salt, err := decodeBase64(saltText)
	if err != nil {
		return h, errors.New("salt is not valid base64")
	}
	if len(salt) < pbkdf2MinSaltBytes {
		return h, errors.New("salt must be at least 8 bytes long")
	}
	keyLen, err := pbkdf2KeyLength(keyText)
	if err != nil {
		return h, err
	}
	h.cost = iter
	h.v = pbkdf2Verifier{stretch: alg == HashPBKDF2Stretch, iter: iter, salt: salt, keyLen: keyLen, want: keyText}
	return h, nil
}

// pbkdf2KeyLength mirrors Elasticsearch's "(n * 3) / 64 * 128" bits.
func pbkdf2KeyLength(keyText string) (int, error) {
	keyLen := len(keyText) * 3 / 64 * pbkdf2KeyUnit
	if keyLen <= 0 {
		return 0, errors.New("derived key is shorter than 16 bytes")
	}
	key, err := base64.StdEncoding.DecodeString(keyText)
	if err != nil || len(key) != keyLen || base64.StdEncoding.EncodeToString(key) != keyText {
		return 0, errors.New("derived key must be padded base64 of a multiple of 16 bytes")
	}
	return keyLen, nil
}

type pbkdf2Verifier struct {
	stretch bool
	iter    int
	salt    []byte
	keyLen  int
	want    string // canonical base64 of the derived key
}

// verify derives the key and compares its base64 text, as Elasticsearch
// compares the text too.
func (p pbkdf2Verifier) verify(password string) bool {
	if p.stretch {
		password = sha512Hex(password)
	}
	key, err := pbkdf2.Key(sha512.New, password, p.salt, p.iter, p.keyLen)
	if err != nil {
		return false
	}
	return constantTimeEqual(base64.StdEncoding.EncodeToString(key), p.want)
}

// sha512Hex is the PBKDF2_STRETCH pre-hash: lowercase hex of SHA-512 over
// the UTF-8 password (Elasticsearch's MessageDigests.toHexCharArray).
func sha512Hex(password string) string {
	sum := sha512.Sum512([]byte(password))
	return hex.EncodeToString(sum[:])
}
