package session

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func secret(b byte) []byte { return bytes.Repeat([]byte{b}, MinSecretBytes) }

func TestKeyringSealOpen(t *testing.T) {
	old, err := NewKeyring([][]byte{secret(1)}, "session")
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := NewKeyring([][]byte{secret(2), secret(1)}, "session")
	if err != nil {
		t.Fatal(err)
	}
	otherPurpose, err := NewKeyring([][]byte{secret(1)}, "login-state")
	if err != nil {
		t.Fatal(err)
	}
	sealedOld, err := old.Seal([]byte("tokens"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	sealedNew, err := rotated.Seal([]byte("tokens"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(sealedOld)
	tampered[len(tampered)-1] ^= 1

	tests := []struct {
		name   string
		ring   *Keyring
		sealed []byte
		ad     string
		ok     bool
	}{
		{"same key", old, sealedOld, "ad", true},
		{"old value after rotation", rotated, sealedOld, "ad", true},
		{"new value with the new key", rotated, sealedNew, "ad", true},
		{"new value without the new key", old, sealedNew, "ad", false},
		{"other associated data", old, sealedOld, "other", false},
		{"other purpose", otherPurpose, sealedOld, "ad", false},
		{"tampered", old, tampered, "ad", false},
		{"truncated", old, sealedOld[:20], "ad", false},
		{"empty", old, nil, "ad", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plain, err := tc.ring.Open(tc.sealed, []byte(tc.ad))
			if tc.ok {
				if err != nil || string(plain) != "tokens" {
					t.Fatalf("Open = %q, %v", plain, err)
				}
				return
			}
			if !errors.Is(err, ErrUndecryptable) {
				t.Fatalf("Open = %q, %v; want ErrUndecryptable", plain, err)
			}
		})
	}
	if bytes.Contains(sealedOld, []byte("tokens")) {
		t.Fatal("plaintext visible in the sealed value")
	}
	again, _ := old.Seal([]byte("tokens"), []byte("ad"))
	if bytes.Equal(again, sealedOld) {
		t.Fatal("two seals of the same value are identical (nonce reuse)")
	}
}

func TestNewKeyringRefusesShortSecrets(t *testing.T) {
	if _, err := NewKeyring([][]byte{[]byte("short")}, "session"); err == nil {
		t.Fatal("short secret accepted")
	}
	if _, err := NewKeyring(nil, "session"); err == nil {
		t.Fatal("empty keyring accepted")
	}
}

func TestLoadSecrets(t *testing.T) {
	std := base64.StdEncoding.EncodeToString(secret(7))
	url := base64.RawURLEncoding.EncodeToString(secret(8))
	tests := []struct {
		name, content string
		want          int
		err           string
	}{
		{"two keys with comments", "# current\n" + std + "\n\n# previous\n" + url + "\n", 2, ""},
		{"short key", base64.StdEncoding.EncodeToString([]byte("0123456789")) + "\n", 0, "k:1: key is 10 bytes"},
		{"not base64", "not base64 at all!\n", 0, "k:1: key is not base64"},
		{"empty", "# nothing\n", 0, "no key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "k")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := LoadSecrets(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("LoadSecrets = %d keys, %v", len(got), err)
			}
			if !bytes.Equal(got[0], secret(7)) {
				t.Fatal("first key decoded wrongly")
			}
		})
	}
}
