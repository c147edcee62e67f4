package authn

import (
	"crypto/md5"  //nolint:gosec // verifying legacy {MD5} hashes, reported as weak
	"crypto/sha1" //nolint:gosec // verifying legacy {SHA} hashes, reported as weak
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
)

const (
	sha1Prefix    = "{SHA}"
	md5Prefix     = "{MD5}"
	ssha256Prefix = "{SSHA256}"
	// ssha256SaltChars is the base64 text of the 8-byte salt.
	ssha256SaltChars = 12
)

// digestVerifier checks base64(digest(password ‖ salt)) against the stored
// text, the shape of {SHA}, {MD5} (no salt) and {SSHA256}.
type digestVerifier struct {
	sum  func(data []byte) []byte
	salt []byte
	want string
}

func (d digestVerifier) verify(password string) bool {
	data := append([]byte(password), d.salt...)
	return constantTimeEqual(base64.StdEncoding.EncodeToString(d.sum(data)), d.want)
}

func sumSHA1(b []byte) []byte   { s := sha1.Sum(b); return s[:] } //nolint:gosec // legacy format
func sumMD5(b []byte) []byte    { s := md5.Sum(b); return s[:] }  //nolint:gosec // legacy format
func sumSHA256(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// parseDigest checks that the stored digest has the length its algorithm
// produces: any other value could never match.
func parseDigest(alg HashAlgorithm, body string, size int, sum func([]byte) []byte, salt []byte) (*StoredHash, error) {
	h := &StoredHash{alg: alg}
	if d, err := base64.StdEncoding.DecodeString(body); err != nil || len(d) != size {
		return h, fmt.Errorf("digest must be padded base64 of %d bytes", size)
	}
	h.v = digestVerifier{sum: sum, salt: salt, want: body}
	return h, nil
}

func parseSHA1(stored string) (*StoredHash, error) {
	return parseDigest(HashSHA1, stored[len(sha1Prefix):], sha1.Size, sumSHA1, nil)
}

func parseMD5(stored string) (*StoredHash, error) {
	return parseDigest(HashMD5, stored[len(md5Prefix):], md5.Size, sumMD5, nil)
}

// parseSSHA256 follows Elasticsearch's current Hasher.SSHA256: the first 12
// characters after the prefix are the base64 text of the salt, and the
// digest is SHA-256 over the UTF-8 password followed by the *decoded* salt
// bytes (not the salt's base64 text).
func parseSSHA256(stored string) (*StoredHash, error) {
	body := stored[len(ssha256Prefix):]
	if len(body) < ssha256SaltChars {
		return &StoredHash{alg: HashSSHA256}, errors.New("too short to hold a salt")
	}
	salt, err := decodeBase64(body[:ssha256SaltChars])
	if err != nil {
		return &StoredHash{alg: HashSSHA256}, errors.New("salt is not valid base64")
	}
	return parseDigest(HashSSHA256, body[ssha256SaltChars:], sha256.Size, sumSHA256, salt)
}

// plainVerifier compares SHA-256 digests of both sides, so that the
// comparison is constant-time and does not even leak the stored length.
type plainVerifier struct{ sum [sha256.Size]byte }

func (p plainVerifier) verify(password string) bool {
	got := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(got[:], p.sum[:]) == 1
}

func parsePlain(stored string) *StoredHash {
	return &StoredHash{alg: HashPlaintext, v: plainVerifier{sum: sha256.Sum256([]byte(stored))}}
}
