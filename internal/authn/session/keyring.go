package session

import (
	"bufio"
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// MinSecretBytes is the least entropy accepted for one key in a key file.
const MinSecretBytes = 32

// sealVersion is the first byte of every sealed value: the format, so that
// a future format can coexist with this one during an upgrade.
const sealVersion = 1

// keyIDLen is how many bytes of a key's fingerprint prefix a sealed value.
const keyIDLen = 8

// ErrUndecryptable means a sealed value was made with a key the keyring no
// longer holds, or was altered. Callers treat it like a missing value.
var ErrUndecryptable = errors.New("session: value cannot be decrypted (unknown key or tampered)")

// Keyring seals and opens values with XChaCha20-Poly1305. The first key
// seals; every key opens, so keys can be rotated: add a new key first,
// keep the old one until the values it sealed have expired, then remove it.
// Keys are derived from the configured secrets with HKDF-SHA256 and a
// purpose label, so the same secret file can serve several purposes
// (sessions, login state) without sharing keys between them.
type Keyring struct {
	keys []keyEntry
}

type keyEntry struct {
	id   [keyIDLen]byte
	aead cipher.AEAD
}

// NewKeyring derives one key per secret for purpose. The first secret seals.
func NewKeyring(secrets [][]byte, purpose string) (*Keyring, error) {
	if len(secrets) == 0 {
		return nil, errors.New("session: at least one secret is required")
	}
	k := &Keyring{}
	for i, s := range secrets {
		if len(s) < MinSecretBytes {
			return nil, fmt.Errorf("session: secret %d is %d bytes; at least %d are required", i+1, len(s), MinSecretBytes)
		}
		key, err := hkdf.Key(sha256.New, s, nil, "portcullis "+purpose, chacha20poly1305.KeySize)
		if err != nil {
			return nil, fmt.Errorf("session: deriving key %d: %w", i+1, err)
		}
		aead, err := chacha20poly1305.NewX(key)
		if err != nil {
			return nil, fmt.Errorf("session: key %d: %w", i+1, err)
		}
		// The id is a hash of the derived key: it tells which key sealed a
		// value without revealing anything usable about the key.
		sum := sha256.Sum256(append([]byte("portcullis key id\x00"), key...))
		var e keyEntry
		copy(e.id[:], sum[:keyIDLen])
		e.aead = aead
		k.keys = append(k.keys, e)
	}
	return k, nil
}

// Seal encrypts and authenticates plaintext, binding it to associated
// (which Open must be given again): a value moved to another store key or
// cookie no longer opens.
func (k *Keyring) Seal(plaintext, associated []byte) ([]byte, error) {
	e := k.keys[0]
	out := make([]byte, 0, 1+keyIDLen+chacha20poly1305.NonceSizeX+len(plaintext)+e.aead.Overhead())
	out = append(out, sealVersion)
	out = append(out, e.id[:]...)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("session: random nonce: %w", err)
	}
	out = append(out, nonce...)
	return e.aead.Seal(out, nonce, plaintext, associated), nil
}

// Open reverses Seal. Any failure is ErrUndecryptable.
func (k *Keyring) Open(sealed, associated []byte) ([]byte, error) {
	head := 1 + keyIDLen + chacha20poly1305.NonceSizeX
	if len(sealed) < head || sealed[0] != sealVersion {
		return nil, ErrUndecryptable
	}
	id := sealed[1 : 1+keyIDLen]
	for _, e := range k.keys {
		if !bytes.Equal(e.id[:], id) {
			continue
		}
		plain, err := e.aead.Open(nil, sealed[1+keyIDLen:head], sealed[head:], associated)
		if err != nil {
			return nil, ErrUndecryptable
		}
		return plain, nil
	}
	return nil, ErrUndecryptable
}

// LoadSecrets reads a key file: one secret per line, base64 (standard or
// URL alphabet, padded or not) of at least MinSecretBytes random bytes
// (e.g. `openssl rand -base64 32`). Blank lines and lines starting with #
// are ignored. The first secret seals new values; the others only open
// values sealed before a rotation.
func LoadSecrets(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		secret, err := decodeSecret(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if len(secret) < MinSecretBytes {
			return nil, fmt.Errorf("%s:%d: key is %d bytes; at least %d random bytes are required", path, n, len(secret), MinSecretBytes)
		}
		out = append(out, secret)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no key (one base64 key of %d random bytes per line)", path, MinSecretBytes)
	}
	return out, nil
}

func decodeSecret(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("key is not base64")
}

// RandomSecret returns a fresh random secret, for a single instance that
// was given no key file (its sessions do not survive a restart).
func RandomSecret() ([]byte, error) {
	b := make([]byte, MinSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("session: random secret: %w", err)
	}
	return b, nil
}
