package authn

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

const (
	// bcryptHashLen is the length of every well-formed bcrypt hash.
	bcryptHashLen = 60
	// maxBcryptCost is jBCrypt's limit (Elasticsearch refuses 31, x/crypto
	// would accept it).
	maxBcryptCost = 30
	// bcryptAlphabet is bcrypt's own base64 alphabet.
	bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// Limits enforced by HashPassword.
const (
	// DefaultBcryptCost is the cost HashPassword uses when given 0, as in
	// Elasticsearch.
	DefaultBcryptCost = 10
	// MinPasswordLength is the shortest password HashPassword accepts, as
	// elasticsearch-users does.
	MinPasswordLength = 6
	// MaxBcryptPasswordBytes is bcrypt's input limit: longer passwords would
	// be silently truncated, so HashPassword refuses them.
	MaxBcryptPasswordBytes = 72
)

// isBcryptPrefix is Elasticsearch's test: "$2" then a minor version jBCrypt
// knows (a, b or y) then "$". Anything else, even "$2x$…", is plain text.
func isBcryptPrefix(s string) bool {
	if len(s) < 4 || s[0] != '$' || s[1] != '2' || s[3] != '$' {
		return false
	}
	switch s[2] {
	case 'a', 'b', 'y':
		return true
	}
	return false
}

// parseBcrypt checks the shape fully so that a truncated or corrupted hash
// is reported at load time. x/crypto/bcrypt handles all three minor
// versions as they are: it keeps the minor byte when re-encoding for the
// comparison, and 2a/2b/2y differ only in historic bugs of other
// implementations, not in the algorithm.
func parseBcrypt(stored string) (*StoredHash, error) {
	h := &StoredHash{alg: HashBcrypt}
	if len(stored) != bcryptHashLen {
		return h, fmt.Errorf("must be %d characters long, got %d", bcryptHashLen, len(stored))
	}
	cost, err := strconv.Atoi(stored[4:6])
	if err != nil || stored[6] != '$' {
		return h, errors.New("cost must be two digits between '$' signs")
	}
	if cost < bcrypt.MinCost || cost > maxBcryptCost {
		return h, fmt.Errorf("cost %d is outside %d..%d", cost, bcrypt.MinCost, maxBcryptCost)
	}
	for i := 7; i < len(stored); i++ {
		if !isBcryptChar(stored[i]) {
			return h, errors.New("salt and hash contain a character outside bcrypt's alphabet")
		}
	}
	h.cost = cost
	h.v = bcryptVerifier{hash: []byte(stored)}
	return h, nil
}

func isBcryptChar(c byte) bool {
	for i := 0; i < len(bcryptAlphabet); i++ {
		if bcryptAlphabet[i] == c {
			return true
		}
	}
	return false
}

type bcryptVerifier struct{ hash []byte }

// verify uses x/crypto, whose final comparison is constant-time. Passwords
// over 72 bytes are accepted and only their first 72 bytes count, as with
// Elasticsearch's jBCrypt and every other bcrypt.
func (b bcryptVerifier) verify(password string) bool {
	return bcrypt.CompareHashAndPassword(b.hash, []byte(password)) == nil
}

// HashPassword hashes password with bcrypt ("$2a$", as Elasticsearch writes
// it) for a users file. cost 0 means DefaultBcryptCost. It refuses passwords
// shorter than MinPasswordLength characters or longer than
// MaxBcryptPasswordBytes bytes, and costs outside 4..30.
func HashPassword(password string, cost int) (string, error) {
	if cost == 0 {
		cost = DefaultBcryptCost
	}
	if cost < bcrypt.MinCost || cost > maxBcryptCost {
		return "", fmt.Errorf("hash password: bcrypt cost %d is outside %d..%d", cost, bcrypt.MinCost, maxBcryptCost)
	}
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return "", fmt.Errorf("hash password: passwords must be at least %d characters long", MinPasswordLength)
	}
	if len(password) > MaxBcryptPasswordBytes {
		return "", fmt.Errorf("hash password: bcrypt only uses the first %d bytes of a password; use a shorter one", MaxBcryptPasswordBytes)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}
