package authn

import (
	"testing"
)

func TestTypicalHashKind(t *testing.T) {
	h := func(stored string) *StoredHash {
		p, err := ParseHash(stored)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	pbkdf2 := knownVectors[7].stored // 10000 iterations
	cases := []struct {
		name  string
		users map[string]*StoredHash
		want  hashKind
	}{
		{"no users", map[string]*StoredHash{}, hashKind{HashPlaintext, 0}},
		{"only malformed", map[string]*StoredHash{"a": nil}, hashKind{HashPlaintext, 0}},
		{"sha", map[string]*StoredHash{"a": h(sha1Hunter), "b": nil}, hashKind{HashSHA1, 0}},
		{"single bcrypt", map[string]*StoredHash{"a": h(pyBcrypt2a)}, hashKind{HashBcrypt, 4}},
		{"most common", map[string]*StoredHash{"a": h(pyBcrypt2a), "b": h(pyBcrypt2b), "c": h(htpasswdAlice)}, hashKind{HashBcrypt, 5}},
		{"tie prefers higher cost", map[string]*StoredHash{"a": h(pyBcrypt2a), "b": h(strongBcrypt)}, hashKind{HashBcrypt, 10}},
		{"tie prefers slow algorithm", map[string]*StoredHash{"a": h(sha1Hunter), "b": h(pbkdf2)}, hashKind{HashPBKDF2, 10000}},
	}
	for _, tc := range cases {
		if got := (&snapshot{users: tc.users}).typicalHashKind(); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestMakeDummy(t *testing.T) {
	for _, k := range []hashKind{
		{HashBcrypt, 4}, {HashPBKDF2, 1000}, {HashPBKDF2Stretch, 1000},
		{HashSSHA256, 0}, {HashSHA1, 0}, {HashMD5, 0}, {HashPlaintext, 0},
	} {
		d, err := makeDummy(k)
		if err != nil {
			t.Fatalf("%+v: %v", k, err)
		}
		if d.alg != k.alg || d.cost != k.cost {
			t.Fatalf("dummy %v cost %d, want %+v", d, d.cost, k)
		}
		for _, pw := range []string{"", "dummy", "password"} {
			if d.Verify(pw) {
				t.Fatalf("%+v dummy matched %q", k, pw)
			}
		}
	}
}
