package e2e

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/pbkdf2"
)

// hashedUser is one users-file line made independently of the proxy's code,
// following Elasticsearch's Hasher, so the test checks compatibility rather
// than the proxy against itself.
type hashedUser struct {
	Name, Password, Line string
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// allHashFormats returns one user per hash format Elasticsearch accepts.
func allHashFormats(t *testing.T) []hashedUser {
	t.Helper()
	var us []hashedUser
	add := func(name, pw, hash string) {
		us = append(us, hashedUser{Name: name, Password: pw, Line: name + ":" + hash})
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("bcrypt-pw"), 4)
	if err != nil {
		t.Fatal(err)
	}
	add("u_bcrypt_2a", "bcrypt-pw", string(bc))
	add("u_bcrypt_2b", "bcrypt-pw", "$2b$"+string(bc[4:]))
	add("u_bcrypt_2y", "bcrypt-pw", "$2y$"+string(bc[4:]))

	salt := randBytes(32)
	key := pbkdf2.Key([]byte("pbkdf2-pw"), salt, 10000, 32, sha512.New)
	add("u_pbkdf2", "pbkdf2-pw", fmt.Sprintf("{PBKDF2}10000$%s$%s", b64(salt), b64(key)))

	sum := sha512.Sum512([]byte("stretch-pw"))
	key = pbkdf2.Key([]byte(hex.EncodeToString(sum[:])), salt, 10000, 32, sha512.New)
	add("u_pbkdf2_stretch", "stretch-pw", fmt.Sprintf("{PBKDF2_STRETCH}10000$%s$%s", b64(salt), b64(key)))

	// Elasticsearch's Hasher.SSHA256 (7.x on): 8 random salt bytes, stored as
	// 12 base64 characters; the digest is sha256(password || salt bytes).
	saltBytes := randBytes(8)
	h := sha256.Sum256(append([]byte("ssha-pw"), saltBytes...))
	saltText := b64(saltBytes)
	add("u_ssha256", "ssha-pw", "{SSHA256}"+saltText+b64(h[:]))

	s1 := sha1.Sum([]byte("sha-pw"))
	add("u_sha", "sha-pw", "{SHA}"+b64(s1[:]))
	m5 := md5.Sum([]byte("md5-pw"))
	add("u_md5", "md5-pw", "{MD5}"+b64(m5[:]))
	add("u_plain", "plain-pw", "plain-pw")
	return us
}
