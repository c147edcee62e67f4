package authn

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// hashKind is an algorithm with its work factor.
type hashKind struct {
	alg  HashAlgorithm
	cost int
}

// attachDummy gives s the hash verified for unknown users (and users whose
// hash is malformed), so that refusing them costs about as much as refusing
// a real user and response time does not reveal which names exist. The
// dummy has the algorithm and work factor most users of s have, and a
// random secret no password matches. Dummies are kept per kind because a
// bcrypt one costs a bcrypt computation to make. Callers hold reloadMu or
// own r exclusively.
func (r *FileRealm) attachDummy(s *snapshot) error {
	kind := s.typicalHashKind()
	if d, ok := r.dummies[kind]; ok {
		s.dummy = d
		return nil
	}
	d, err := makeDummy(kind)
	if err != nil {
		return fmt.Errorf("dummy hash: %w", err)
	}
	r.dummies[kind] = d
	s.dummy = d
	return nil
}

// makeDummy builds a hash of the given kind over random data.
func makeDummy(kind hashKind) (*StoredHash, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	b64 := base64.StdEncoding.EncodeToString
	var stored string
	switch kind.alg {
	case HashBcrypt:
		h, err := bcrypt.GenerateFromPassword([]byte(b64(secret)), kind.cost)
		if err != nil {
			return nil, err
		}
		stored = string(h)
	case HashPBKDF2:
		stored = fmt.Sprintf("%s%d$%s$%s", pbkdf2Prefix, kind.cost, b64(secret[:16]), b64(secret))
	case HashPBKDF2Stretch:
		stored = fmt.Sprintf("%s%d$%s$%s", pbkdf2StretchPrefix, kind.cost, b64(secret[:16]), b64(secret))
	case HashSSHA256:
		stored = ssha256Prefix + b64(secret[:8]) + b64(secret)
	case HashSHA1:
		stored = sha1Prefix + b64(secret[:20])
	case HashMD5:
		stored = md5Prefix + b64(secret[:16])
	default:
		stored = "dummy:" + b64(secret)
	}
	return ParseHash(stored)
}

// typicalHashKind returns the most common kind among the users, the higher
// work factor on a tie; plain text when there are no (valid) users, since
// then every name is unknown and there is nothing to hide.
func (s *snapshot) typicalHashKind() hashKind {
	counts := map[hashKind]int{}
	best, bestN := hashKind{alg: HashPlaintext}, 0
	for _, h := range s.users {
		if h == nil {
			continue
		}
		k := hashKind{alg: h.alg, cost: h.cost}
		counts[k]++
		if n := counts[k]; n > bestN || (n == bestN && moreCostly(k, best)) {
			best, bestN = k, n
		}
	}
	return best
}

// moreCostly orders kinds for ties: slow algorithms first, then work factor.
func moreCostly(a, b hashKind) bool {
	slow := func(k hashKind) bool { return k.alg == HashBcrypt || k.alg == HashPBKDF2 || k.alg == HashPBKDF2Stretch }
	if slow(a) != slow(b) {
		return slow(a)
	}
	return a.cost > b.cost || (a.cost == b.cost && a.alg > b.alg)
}
