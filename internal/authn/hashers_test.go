package authn

import (
	"crypto/md5" //nolint:gosec // test vectors for a legacy format
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // test vectors for a legacy format
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	xpbkdf2 "golang.org/x/crypto/pbkdf2"
)

// Vectors produced by independent implementations, not by this package:
//   - bcrypt: Apache htpasswd ($2y$) and Python's bcrypt package ($2a$, $2b$);
//   - {SHA}, {MD5}, {SSHA256}: Python hashlib + base64, following
//     Elasticsearch's Hasher (SSHA256: sha256(password ‖ decoded 8-byte salt),
//     salt written as its 12 base64 characters);
//   - {PBKDF2}/{PBKDF2_STRETCH}: Python hashlib.pbkdf2_hmac, and Java's
//     SecretKeyFactory "PBKDF2withHMACSHA512" with a 32-byte salt and a
//     256-bit key exactly as Elasticsearch's getPbkdf2Hash builds them.
var knownVectors = []struct {
	name     string
	stored   string
	password string
	alg      HashAlgorithm
}{
	{"htpasswd 2y", htpasswdAlice, "correct horse", HashBcrypt},
	{"htpasswd 2y non-ascii", "$2y$04$EMh/3kEiYTDl8o7TK9WPi.ZoBRXbE2WS.DlKYO8NCPD2c5oj8iZ3.", "pässwörd-ü", HashBcrypt},
	{"python 2a", pyBcrypt2a, "s3cret-a", HashBcrypt},
	{"python 2b", pyBcrypt2b, "s3cret-b", HashBcrypt},
	{"python SHA", "{SHA}nipRCJj4yRYN5yIDIUAGXoxmMMk=", "hunter2-ß", HashSHA1},
	{"python MD5", "{MD5}TvsbTkhZD0/vvnNGy+eN4g==", "hunter2-ß", HashMD5},
	{"python SSHA256", "{SSHA256}AQIDBAUGBwg=BQWz3RbE6fo6YcAPhhfehfQH0/0lkloTEPeugT9ftmg=", "hunter2-ß", HashSSHA256},
	{"python PBKDF2", "{PBKDF2}10000$ABEiM0RVZneImaq7zN3u/w==$1dMJ+94MICSPlQpfcKLqFEJ6snHW/yrQnEnHnesvbEM=", "hunter2-ß", HashPBKDF2},
	{"python PBKDF2_STRETCH 64-byte key", "{PBKDF2_STRETCH}1000$ABEiM0RVZneImaq7zN3u/w==$FGTOKk93I2/iP0rdceWaihQHp8VyjEIV7zy2zmfe5y2oZgtNMNS94njLeV9XQaqjrPys3r5Bc+zZV1IBdK+2qw==", "hunter2-ß", HashPBKDF2Stretch},
	{"java PBKDF2", "{PBKDF2}10000$yMfGxcTDwsHAv769vLu6ubi3trW0s7KxsK+urayrqqk=$wgZEFoE17wgXUINK50WQ5V98eeMXw1kiNAQcAhSG3FA=", "Ünïcødé pw 1", HashPBKDF2},
	{"java PBKDF2_STRETCH", "{PBKDF2_STRETCH}10000$yMfGxcTDwsHAv769vLu6ubi3trW0s7KxsK+urayrqqk=$JNJHXphfUqb9r26Or4L/YV/0j83Bbq09wDDw56TeEyU=", "Ünïcødé pw 1", HashPBKDF2Stretch},
	{"plain", "just-plain", "just-plain", HashPlaintext},
	{"unknown bcrypt minor is plain text", "$2x$04$abc", "$2x$04$abc", HashPlaintext},
	{"no minor is plain text", "$2$04$abc", "$2$04$abc", HashPlaintext},
	{"lowercase prefix is plain text", "{sha}abc", "{sha}abc", HashPlaintext},
}

func TestKnownVectors(t *testing.T) {
	for _, tc := range knownVectors {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseHash(tc.stored)
			if err != nil {
				t.Fatalf("ParseHash: %v", err)
			}
			if h.Algorithm() != tc.alg {
				t.Fatalf("algorithm = %v, want %v", h.Algorithm(), tc.alg)
			}
			if !h.Verify(tc.password) {
				t.Fatal("right password refused")
			}
			for _, wrong := range wrongPasswords(tc.password) {
				if h.Verify(wrong) {
					t.Fatalf("wrong password %q accepted", wrong)
				}
			}
		})
	}
}

func wrongPasswords(pw string) []string {
	return []string{"", pw + "x", pw[:len(pw)-1], strings.ToUpper(pw) + "!", " " + pw}
}

// TestGeneratedHashes builds each format with the standard library (and
// x/crypto's independent PBKDF2) inside the test, from random salts.
func TestGeneratedHashes(t *testing.T) {
	const pw = "Tr0ub4dor&3 ✓"
	salt := randomBytes(t, 32)
	b64 := base64.StdEncoding.EncodeToString
	sha1Sum := sha1.Sum([]byte(pw)) //nolint:gosec // legacy format under test
	md5Sum := md5.Sum([]byte(pw))   //nolint:gosec // legacy format under test
	sshaSalt := salt[:8]
	ssha := sha256.Sum256(append([]byte(pw), sshaSalt...))
	stretched := sha512.Sum512([]byte(pw))
	bc, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"bcrypt 2a":                       string(bc),
		"bcrypt 2b":                       "$2b$" + string(bc[4:]),
		"bcrypt 2y":                       "$2y$" + string(bc[4:]),
		"SHA":                             "{SHA}" + b64(sha1Sum[:]),
		"MD5":                             "{MD5}" + b64(md5Sum[:]),
		"SSHA256":                         "{SSHA256}" + b64(sshaSalt) + b64(ssha[:]),
		"PBKDF2":                          fmt.Sprintf("{PBKDF2}2000$%s$%s", b64(salt), b64(xpbkdf2.Key([]byte(pw), salt, 2000, 32, sha512.New))),
		"PBKDF2 48-byte key, 8-byte salt": fmt.Sprintf("{PBKDF2}1000$%s$%s", b64(salt[:8]), b64(xpbkdf2.Key([]byte(pw), salt[:8], 1000, 48, sha512.New))),
		"PBKDF2 unpadded salt":            fmt.Sprintf("{PBKDF2}1000$%s$%s", base64.RawStdEncoding.EncodeToString(salt[:10]), b64(xpbkdf2.Key([]byte(pw), salt[:10], 1000, 32, sha512.New))),
		"PBKDF2_STRETCH": fmt.Sprintf("{PBKDF2_STRETCH}1500$%s$%s", b64(salt),
			b64(xpbkdf2.Key([]byte(hex.EncodeToString(stretched[:])), salt, 1500, 32, sha512.New))),
		"plain": pw,
	}
	for name, stored := range cases {
		t.Run(name, func(t *testing.T) {
			if !VerifyPassword(stored, pw) {
				t.Fatal("right password refused")
			}
			for _, wrong := range wrongPasswords(pw) {
				if VerifyPassword(stored, wrong) {
					t.Fatalf("wrong password %q accepted", wrong)
				}
			}
		})
	}
}

// TestStretchUsesLowercaseHex guards the pre-hash: uppercase hex must not
// verify.
func TestStretchUsesLowercaseHex(t *testing.T) {
	const pw = "pw-stretch"
	salt := randomBytes(t, 16)
	sum := sha512.Sum512([]byte(pw))
	upper := strings.ToUpper(hex.EncodeToString(sum[:]))
	stored := fmt.Sprintf("{PBKDF2_STRETCH}1000$%s$%s", base64.StdEncoding.EncodeToString(salt),
		base64.StdEncoding.EncodeToString(xpbkdf2.Key([]byte(upper), salt, 1000, 32, sha512.New)))
	if VerifyPassword(stored, pw) {
		t.Fatal("uppercase-hex stretched hash verified")
	}
}

// TestSSHA256UsesDecodedSalt guards the choice of Elasticsearch's current
// semantics over hashing the salt's base64 text.
func TestSSHA256UsesDecodedSalt(t *testing.T) {
	const pw = "salty"
	saltText := base64.StdEncoding.EncodeToString([]byte("8bytes!!"))
	textSum := sha256.Sum256([]byte(pw + saltText))
	stored := "{SSHA256}" + saltText + base64.StdEncoding.EncodeToString(textSum[:])
	if VerifyPassword(stored, pw) {
		t.Fatal("SSHA256 over the salt's base64 text verified; Elasticsearch hashes the decoded salt")
	}
}

// TestBcryptLongPassword: like Elasticsearch's jBCrypt, only the first 72
// bytes of a password count.
func TestBcryptLongPassword(t *testing.T) {
	long := strings.Repeat("a", 72)
	h, err := HashPassword(long, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyPassword(h, long+"ignored") || VerifyPassword(h, long[:71]) {
		t.Fatal("bcrypt must use exactly the first 72 bytes")
	}
}

func TestMalformedHashes(t *testing.T) {
	key32 := base64.StdEncoding.EncodeToString(make([]byte, 32))
	salt16 := base64.StdEncoding.EncodeToString(make([]byte, 16))
	cases := []struct{ name, stored, body string }{
		{"empty", "", ""},
		{"bcrypt short", "$2a$10$abcdefghijklmnopqrstuv", "abcdefghijklmnopqrstuv"},
		{"bcrypt long", pyBcrypt2a + "x", pyBcrypt2a[7:]},
		{"bcrypt cost not digits", "$2a$1x$" + pyBcrypt2a[7:], pyBcrypt2a[7:]},
		{"bcrypt cost too high", "$2a$31$" + pyBcrypt2a[7:], pyBcrypt2a[7:]},
		{"bcrypt cost too low", "$2a$03$" + pyBcrypt2a[7:], pyBcrypt2a[7:]},
		{"bcrypt bad alphabet", pyBcrypt2a[:59] + "=", pyBcrypt2a[7:59]},
		{"bcrypt missing separator", "$2a$04x" + pyBcrypt2a[7:], pyBcrypt2a[7:]},
		{"pbkdf2 no separators", "{PBKDF2}10000", "10000"},
		{"pbkdf2 one separator", "{PBKDF2}10000$" + salt16, salt16},
		{"pbkdf2 iterations not a number", "{PBKDF2}ten$" + salt16 + "$" + key32, key32},
		{"pbkdf2 zero iterations", "{PBKDF2}0$" + salt16 + "$" + key32, key32},
		{"pbkdf2 negative iterations", "{PBKDF2}-5$" + salt16 + "$" + key32, key32},
		{"pbkdf2 short salt", "{PBKDF2}10000$c2FsdA==$" + key32, key32},
		{"pbkdf2 salt not base64", "{PBKDF2}10000$!!!!!!!!!!!!$" + key32, key32},
		{"pbkdf2 key not multiple of 16", "{PBKDF2}10000$" + salt16 + "$" + base64.StdEncoding.EncodeToString(make([]byte, 20)), "AAAAAAAAAAAAAAAAAAAAAAAAAAA="},
		{"pbkdf2 key too short", "{PBKDF2}10000$" + salt16 + "$AAAA", "AAAA"},
		{"pbkdf2 key unpadded", "{PBKDF2}10000$" + salt16 + "$" + strings.TrimRight(key32, "="), strings.TrimRight(key32, "=")},
		{"pbkdf2 key not base64", "{PBKDF2}10000$" + salt16 + "$" + strings.Repeat("*", 44), strings.Repeat("*", 44)},
		{"pbkdf2 extra separator", "{PBKDF2}10000$" + salt16 + "$" + key32 + "$x", key32},
		{"stretch malformed", "{PBKDF2_STRETCH}10000$" + salt16, salt16},
		{"sha not base64", "{SHA}not base64!", "not base64!"},
		{"sha wrong length", "{SHA}" + base64.StdEncoding.EncodeToString(make([]byte, 19)), "AAAAAAAAAAAAAAAAAAAAAAAAAA=="},
		{"sha empty", "{SHA}", ""},
		{"md5 wrong length", "{MD5}" + base64.StdEncoding.EncodeToString(make([]byte, 20)), "AAAAAAAAAAAAAAAAAAAAAAAAAAA="},
		{"ssha256 too short", "{SSHA256}AQIDBAUG", "AQIDBAUG"},
		{"ssha256 salt not base64", "{SSHA256}************" + key32, "************"},
		{"ssha256 digest wrong length", "{SSHA256}AQIDBAUGBwg=" + base64.StdEncoding.EncodeToString(make([]byte, 31)), "AQIDBAUGBwg="},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseHash(tc.stored)
			if err == nil {
				t.Fatalf("ParseHash accepted a malformed hash as %v", h.Algorithm())
			}
			if tc.body != "" && strings.Contains(err.Error(), tc.body) {
				t.Fatalf("error quotes the hash: %v", err)
			}
			// A malformed hash with a known prefix must never fall back to
			// plain-text comparison.
			for _, pw := range []string{tc.stored, "", "password"} {
				if VerifyPassword(tc.stored, pw) {
					t.Fatalf("malformed hash matched %q", pw)
				}
			}
		})
	}
}

func TestWeakness(t *testing.T) {
	cases := []struct {
		stored string
		weak   string // substring, "" for not weak
	}{
		{pyBcrypt2a, "bcrypt cost 4 is below 10"},
		{strongBcrypt, ""},
		{"{PBKDF2}10000$ABEiM0RVZneImaq7zN3u/w==$1dMJ+94MICSPlQpfcKLqFEJ6snHW/yrQnEnHnesvbEM=", ""},
		{knownVectors[8].stored, "PBKDF2_STRETCH uses 1000 iterations"},
		{"{SHA}nipRCJj4yRYN5yIDIUAGXoxmMMk=", "fast SHA digest"},
		{"{MD5}TvsbTkhZD0/vvnNGy+eN4g==", "fast MD5 digest"},
		{"{SSHA256}AQIDBAUGBwg=BQWz3RbE6fo6YcAPhhfehfQH0/0lkloTEPeugT9ftmg=", "fast SSHA256 digest"},
		{"cleartext", "plain text"},
	}
	for _, tc := range cases {
		h, err := ParseHash(tc.stored)
		if err != nil {
			t.Fatal(err)
		}
		w := h.Weakness()
		if (tc.weak == "") != (w == "") || !strings.Contains(w, tc.weak) {
			t.Errorf("%v: Weakness() = %q, want %q", h, w, tc.weak)
		}
		if strings.Contains(w, tc.stored) {
			t.Errorf("weakness message quotes the hash")
		}
	}
}

func TestStoredHashDoesNotPrintSecrets(t *testing.T) {
	for _, stored := range []string{"cleartext-secret", pyBcrypt2a, "{SHA}nipRCJj4yRYN5yIDIUAGXoxmMMk="} {
		h, err := ParseHash(stored)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{fmt.Sprint(h), fmt.Sprintf("%v %+v %#v %s", h, h, h, h)} {
			if strings.Contains(s, stored) || strings.Contains(s, "secret") {
				t.Fatalf("formatting leaked the hash: %s", s)
			}
		}
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("s3cure-pass", 0)
	if err != nil {
		t.Fatal(err)
	}
	if parsed, err := ParseHash(h); err != nil || !strings.HasPrefix(h, "$2a$10$") || parsed.Algorithm() != HashBcrypt {
		t.Fatalf("HashPassword default = %q…, %v; want $2a$10$ bcrypt", h[:7], err)
	}
	h4, err := HashPassword("s3cure-pass", 4)
	if err != nil || !strings.HasPrefix(h4, "$2a$04$") {
		t.Fatalf("cost 4: %q, %v", h4, err)
	}
	if !VerifyPassword(h4, "s3cure-pass") || VerifyPassword(h4, "s3cure-pasS") {
		t.Fatal("round trip failed")
	}
	for _, tc := range []struct {
		pw   string
		cost int
	}{{"s3cure-pass", 3}, {"s3cure-pass", 31}, {"short", 4}, {"", 4}, {strings.Repeat("x", 73), 4}} {
		if _, err := HashPassword(tc.pw, tc.cost); err == nil {
			t.Errorf("HashPassword(len %d, cost %d) succeeded", len(tc.pw), tc.cost)
		}
	}
}

func mustHash(t *testing.T, pw string, cost int) string {
	t.Helper()
	h, err := HashPassword(pw, cost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
