package cursor

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
)

// Token layout: a prefix "pc1" + kind code + "_" (version 1), then the
// unpadded base64url encoding of salt || AES-256-GCM(plaintext). Each token
// is sealed with its own key, HKDF-SHA256(master key, salt), so the random
// salt never meets the 96-bit nonce limit of GCM with random nonces however
// many tokens one key seals; the nonce can then be fixed. The prefix is the
// additional authenticated data, so the kind and version cannot be
// changed. The alphabet is [A-Za-z0-9_-]: safe in URL paths and in the
// comma-separated list of DELETE _search/scroll/{ids}.
const (
	tokenVersion = "pc1"
	prefixLen    = len(tokenVersion) + 2
	saltSize     = 16
	hkdfInfo     = "portcullis cursor token v1"
)

// Size limits of keys and tokens.
const (
	// MinKeySize is the shortest master key NewBinder accepts, in bytes.
	MinKeySize = 32
	// MaxTokenSize is the longest token, in bytes. Unwrap refuses longer
	// input before any decoding or cryptography. It leaves room for the
	// scroll or point-in-time id of a search over a few thousand shards and
	// its list of indices.
	MaxTokenSize = 512 << 10
)

// tokenEncoding is strict: trailing bits must be zero, so one byte
// sequence has exactly one text (a changed last character never decodes
// to the same token).
func tokenEncoding() *base64.Encoding { return base64.RawURLEncoding.Strict() }

// Binder wraps cluster ids into tokens bound to their owner and unwraps
// them. It is safe for concurrent use. Replicas of the proxy that share a
// key accept each other's tokens; changing the key invalidates every
// outstanding token (clients then get ErrTampered and must start over).
type Binder struct {
	master []byte
	random io.Reader
}

// NewBinder returns a Binder using key (at least MinKeySize bytes of
// secret; see LoadKey and RandomKey). The key is copied.
func NewBinder(key []byte) (*Binder, error) {
	return newBinder(key, rand.Reader)
}

// newBinder lets tests supply a deterministic salt source.
func newBinder(key []byte, random io.Reader) (*Binder, error) {
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("cursor: key of %d bytes, need at least %d", len(key), MinKeySize)
	}
	return &Binder{master: append([]byte(nil), key...), random: random}, nil
}

// prefix returns the token prefix of a valid kind.
func prefix(kind Kind) string { return tokenVersion + string(kind.code()) + "_" }

// Wrap returns the token that stands for upstreamID, of the given kind,
// bound by b. It fails for an unknown kind, an empty id, a binding without
// owner, or a token longer than MaxTokenSize (ErrTooLarge).
func (bd *Binder) Wrap(kind Kind, upstreamID string, b Binding) (string, error) {
	if !kind.valid() {
		return "", fmt.Errorf("cursor: wrap: unknown kind %d", kind)
	}
	if upstreamID == "" {
		return "", fmt.Errorf("cursor: wrap %s: empty id", kind)
	}
	if b.Owner.IsZero() {
		return "", fmt.Errorf("cursor: wrap %s: no owner", kind)
	}
	plain := encodePayload(upstreamID, b)
	pfx := prefix(kind)
	sealedLen := saltSize + len(plain) + aeadOverhead
	if len(pfx)+tokenEncoding().EncodedLen(sealedLen) > MaxTokenSize {
		return "", fmt.Errorf("cursor: wrap %s id of %d bytes with %d indices: %w", kind, len(upstreamID), len(b.Indices), ErrTooLarge)
	}
	sealed := make([]byte, saltSize, sealedLen)
	if _, err := io.ReadFull(bd.random, sealed); err != nil {
		return "", fmt.Errorf("cursor: wrap %s: salt: %w", kind, err)
	}
	aead, err := bd.aead(sealed[:saltSize])
	if err != nil {
		return "", fmt.Errorf("cursor: wrap %s: %w", kind, err)
	}
	sealed = aead.Seal(sealed, make([]byte, gcmNonceSize), plain, []byte(pfx))
	out := make([]byte, len(pfx)+tokenEncoding().EncodedLen(len(sealed)))
	copy(out, pfx)
	tokenEncoding().Encode(out[len(pfx):], sealed)
	return string(out), nil
}

// Unwrap returns the cluster id a token of the given kind stands for and
// its binding. Any failure is ErrTampered: the token is too long, has
// another prefix or kind, a character outside the token alphabet, or fails
// authentication (altered, truncated, made with another key). Unwrap does
// not check the owner; see Binding.Check and Binder.Resolve.
func (bd *Binder) Unwrap(kind Kind, token string) (string, Binding, error) {
	if len(token) > MaxTokenSize {
		return "", Binding{}, fmt.Errorf("cursor: %s token of %d bytes: %w", kind, len(token), ErrTampered)
	}
	if !kind.valid() {
		return "", Binding{}, fmt.Errorf("cursor: unwrap: unknown kind %d", kind)
	}
	if err := checkPrefix(kind, token); err != nil {
		return "", Binding{}, err
	}
	body := token[prefixLen:]
	if !inTokenAlphabet(body) {
		return "", Binding{}, fmt.Errorf("cursor: %s token has characters outside the token alphabet: %w", kind, ErrTampered)
	}
	sealed, err := tokenEncoding().DecodeString(body)
	if err != nil || len(sealed) < saltSize+aeadOverhead {
		return "", Binding{}, fmt.Errorf("cursor: %s token does not decode: %w", kind, ErrTampered)
	}
	aead, err := bd.aead(sealed[:saltSize])
	if err != nil {
		return "", Binding{}, fmt.Errorf("cursor: unwrap %s: %w", kind, err)
	}
	plain, err := aead.Open(nil, make([]byte, gcmNonceSize), sealed[saltSize:], []byte(token[:prefixLen]))
	if err != nil {
		return "", Binding{}, fmt.Errorf("cursor: %s token fails authentication: %w", kind, ErrTampered)
	}
	upstream, b, err := decodePayload(plain)
	if err != nil {
		return "", Binding{}, fmt.Errorf("cursor: %s token: %v: %w", kind, err, ErrTampered)
	}
	return upstream, b, nil
}

// checkPrefix refuses a token without the version prefix of kind, naming
// the kind it claims when it is another one.
func checkPrefix(kind Kind, token string) error {
	if len(token) < prefixLen || token[:len(tokenVersion)] != tokenVersion || token[prefixLen-1] != '_' {
		return fmt.Errorf("cursor: not a %s token of this proxy: %w", kind, ErrTampered)
	}
	if c := token[len(tokenVersion)]; c != kind.code() {
		return fmt.Errorf("cursor: token of kind code %q used as a %s id: %w", c, kind, ErrTampered)
	}
	return nil
}

// inTokenAlphabet reports whether s holds only base64url characters. It is
// checked before decoding because the decoder skips '\r' and '\n', which
// would let two texts stand for one token.
func inTokenAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// AES-256-GCM parameters. Every token uses the all-zero nonce: each token
// has its own key.
const (
	aeadOverhead = 16
	gcmNonceSize = 12
)

// aead returns the AES-256-GCM of the token with this salt.
func (bd *Binder) aead(salt []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, bd.master, salt, hkdfInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("derive token key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("token cipher: %w", err)
	}
	return cipher.NewGCM(block)
}
