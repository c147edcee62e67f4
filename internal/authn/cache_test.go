package authn

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCredentialCache(t *testing.T) {
	clock := newFakeClock()
	c, err := newCredentialCache(time.Minute, 2, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	p := &Principal{Username: "u", Roles: []string{"r"}}
	c.put("u", "pw", 1, p)

	cases := []struct {
		name     string
		user, pw string
		gen      uint64
		hit      bool
	}{
		{"hit", "u", "pw", 1, true},
		{"wrong password", "u", "pW", 1, false},
		{"prefix of password", "u", "p", 1, false},
		{"other user", "v", "pw", 1, false},
		{"still there after a wrong password", "u", "pw", 1, true},
		{"newer generation evicts", "u", "pw", 2, false},
		{"gone", "u", "pw", 1, false},
	}
	for _, tc := range cases {
		if got := c.get(tc.user, tc.pw, tc.gen); (got != nil) != tc.hit {
			t.Fatalf("%s: hit=%v, want %v", tc.name, got != nil, tc.hit)
		}
	}
}

func TestCredentialCacheNeverHoldsPassword(t *testing.T) {
	c, err := newCredentialCache(time.Minute, 10, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	const pw = "very-secret-password"
	c.put("alice", pw, 1, &Principal{Username: "alice"})
	for el := c.lru.Front(); el != nil; el = el.Next() {
		e := el.Value.(*cacheEntry)
		if s := fmt.Sprintf("%#v %#v", e, e.principal); strings.Contains(s, pw) || strings.Contains(string(e.digest[:]), pw) {
			t.Fatal("cache entry holds the password")
		}
	}
	other, _ := newCredentialCache(time.Minute, 10, time.Now)
	if other.digest("alice", pw) == c.digest("alice", pw) {
		t.Fatal("digest key is not per cache")
	}
	if c.digest("ab", "c") == c.digest("a", "bc") {
		t.Fatal("username and password not separated in the digest")
	}
}

func TestCredentialCacheBoundAndClear(t *testing.T) {
	clock := newFakeClock()
	c, _ := newCredentialCache(time.Hour, 3, clock.Now)
	for i := range 10 {
		c.put(fmt.Sprint("u", i), "pw", 1, &Principal{})
		if c.len() > 3 {
			t.Fatalf("cache grew to %d", c.len())
		}
	}
	if c.get("u9", "pw", 1) == nil || c.get("u6", "pw", 1) != nil {
		t.Fatal("LRU eviction order wrong")
	}
	c.clear()
	if c.len() != 0 || c.get("u9", "pw", 1) != nil {
		t.Fatal("clear left entries")
	}
}
