package apikey

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

var alice = &authn.Principal{Username: "alice", Realm: "default_file", RealmType: "file", Roles: []string{"b", "a"},
	FullName: "Alice A", Metadata: map[string]any{"tenant": "acme"}}

func newStore(t *testing.T, path string) *FileStore {
	t.Helper()
	s, err := OpenFileStore(path, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustCreate(t *testing.T, s *FileStore, name string, ttl time.Duration, now time.Time) *Created {
	t.Helper()
	c, err := New(name, alice, []byte(`{"r":{"cluster":["monitor"]}}`), map[string]any{"team": "x"}, ttl, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(c.Key); err != nil {
		t.Fatal(err)
	}
	return c
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return "invalid: " + err.Error()
	}
	return buf.String()
}

func authWith(a *Authenticator, value string) (*authn.Principal, error) {
	r := httptest.NewRequest("GET", "/", nil)
	if value != "" {
		r.Header.Set("Authorization", value)
	}
	return a.Authenticate(r)
}

func TestAuthenticator(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newStore(t, filepath.Join(t.TempDir(), "keys.json"))
	s.now = func() time.Time { return now }
	a := NewAuthenticator(s)
	a.now = func() time.Time { return now }
	live := mustCreate(t, s, "live", 0, now)
	short := mustCreate(t, s, "short", time.Hour, now)
	gone := mustCreate(t, s, "gone", 0, now)
	if _, _, err := s.Invalidate(Filter{IDs: []string{gone.Key.ID}}, func(*Key) bool { return true }); err != nil {
		t.Fatal(err)
	}

	p, err := authWith(a, "ApiKey "+live.Encoded)
	if err != nil {
		t.Fatal(err)
	}
	if p.Username != "alice" || p.Realm != authn.APIKeyRealm || p.APIKey == nil || p.APIKey.ID != live.Key.ID || p.APIKey.Name != "live" ||
		!slices.Equal(p.Roles, []string{"a", "b"}) || compact(p.APIKey.RoleDescriptors) != `{"r":{"cluster":["monitor"]}}` ||
		p.Metadata["tenant"] != "acme" || p.Metadata["team"] != nil || p.APIKey.Metadata["team"] != "x" || p.FullName != "Alice A" {
		t.Fatalf("principal %+v %+v", p, p.APIKey)
	}
	if _, err := authWith(a, "apikey "+live.Encoded); err != nil {
		t.Fatalf("the scheme is case-insensitive: %v", err)
	}

	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for name, value := range map[string]string{
		"wrong secret":  "ApiKey " + enc(live.Key.ID+":"+short.Secret),
		"unknown id":    "ApiKey " + enc("nope:"+live.Secret),
		"no colon":      "ApiKey " + enc(live.Key.ID),
		"empty secret":  "ApiKey " + enc(live.Key.ID+":"),
		"not base64":    "ApiKey %%%",
		"too long":      "ApiKey " + strings.Repeat("A", 1000),
		"invalidated":   "ApiKey " + gone.Encoded,
		"other's token": "ApiKey " + enc(short.Key.ID+":"+live.Secret),
	} {
		var ae *authn.AuthError
		if _, err := authWith(a, value); !errors.As(err, &ae) {
			t.Errorf("%s: %v, want an AuthError", name, err)
		} else if strings.Contains(ae.Error(), live.Secret) || strings.Contains(ae.Error(), short.Secret) {
			t.Errorf("%s: the error holds a secret", name)
		}
	}
	for _, value := range []string{"", "Basic " + enc("alice:pw"), "Bearer x", "ApiKeyX y"} {
		if _, err := authWith(a, value); !errors.Is(err, authn.ErrNoCredentials) {
			t.Errorf("%q: %v, want ErrNoCredentials", value, err)
		}
	}

	if _, err := authWith(a, "ApiKey "+short.Encoded); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	now = now.Add(time.Hour)
	if _, err := authWith(a, "ApiKey "+short.Encoded); err == nil {
		t.Fatal("an expired key authenticated")
	}
}

// TestStoreSharedByReplicas: two stores on one file, as two proxy
// replicas on a shared volume: a key one creates authenticates at the
// other, and one's invalidation is seen by the other; concurrent writers
// lose nothing.
func TestStoreSharedByReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	a, b := newStore(t, path), newStore(t, path)
	c := mustCreate(t, a, "k", 0, time.Now())
	clock := time.Now()
	b.now = func() time.Time { return clock }
	clock = clock.Add(missRefreshEvery + time.Millisecond) // an unknown id re-reads the file soon
	p, err := authWith(NewAuthenticator(b), "ApiKey "+c.Encoded)
	if err != nil || p.APIKey.ID != c.Key.ID {
		t.Fatalf("replica b: %v", err)
	}
	if done, _, err := a.Invalidate(Filter{Name: "k"}, func(*Key) bool { return true }); err != nil || !slices.Equal(done, []string{c.Key.ID}) {
		t.Fatalf("invalidate: %v %v", done, err)
	}
	clock = clock.Add(refreshEvery + time.Millisecond)
	if _, err := authWith(NewAuthenticator(b), "ApiKey "+c.Encoded); err == nil {
		t.Fatal("replica b accepted a key replica a invalidated")
	}
	if _, already, _ := b.Invalidate(Filter{IDs: []string{c.Key.ID}}, func(*Key) bool { return true }); !slices.Equal(already, []string{c.Key.ID}) {
		t.Fatalf("previously invalidated: %v", already)
	}

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			mustCreate(t, s, "concurrent", 0, time.Now())
		}()
	}
	wg.Wait()
	if got := len(newStore(t, path).Find(Filter{Name: "concurrent"})); got != 20 {
		t.Fatalf("%d of 20 keys written concurrently by two replicas survived", got)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), c.Secret) {
		t.Fatal("the store holds a secret")
	}
}

func TestStoreRefusesCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"not json":      "{",
		"unknown field": `{"api_keys":[],"extra":1}`,
		"no hash":       `{"api_keys":[{"id":"a","username":"u"}]}`,
		"duplicate id":  `{"api_keys":[{"id":"a","hash":"h","username":"u"},{"id":"a","hash":"h","username":"u"}]}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenFileStore(path, zap.NewNop()); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

func TestFilter(t *testing.T) {
	k := &Key{ID: "i1", Name: "deploy-ci", Username: "alice", Realm: "default_file"}
	for _, tc := range []struct {
		f    Filter
		want bool
	}{
		{Filter{}, true},
		{Filter{IDs: []string{"x", "i1"}}, true},
		{Filter{IDs: []string{"x"}}, false},
		{Filter{Name: "deploy-*"}, true},
		{Filter{Name: "deploy"}, false},
		{Filter{Name: "*"}, true},
		{Filter{Username: "alice", RealmName: "default_file"}, true},
		{Filter{Username: "alice", RealmName: "oidc1"}, false},
		{Filter{Username: "bob"}, false},
	} {
		if got := tc.f.Matches(k); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestParseExpiration(t *testing.T) {
	for in, want := range map[string]time.Duration{"1d": 24 * time.Hour, "12h": 12 * time.Hour, "30m": 30 * time.Minute, "45s": 45 * time.Second, "1500ms": 1500 * time.Millisecond} {
		if got, err := ParseExpiration(in); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0d", "-1d", "1w", "d", "1.5h", "99999999999d"} {
		if _, err := ParseExpiration(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestSecretHash(t *testing.T) {
	h, err := hashSecret("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashSecret("s3cret")
	if h == h2 {
		t.Fatal("two hashes of one secret are equal: no salt")
	}
	if ok, err := verifySecret(h, "s3cret"); !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
	if ok, _ := verifySecret(h, "s3creT"); ok {
		t.Fatal("a wrong secret verified")
	}
	for _, bad := range []string{"", "sha256:", "sha256:zz:00", "md5:aa:bb", "sha256:aa:" + strings.Repeat("0", 10)} {
		if _, err := verifySecret(bad, "s3cret"); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestUnreadableStoreFailsClosed: a key revoked by editing the file, in an
// edit that broke the file (a trailing comma), stops authenticating; so
// does every key until the file reads again.
func TestUnreadableStoreFailsClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	s := newStore(t, path)
	clock := time.Now()
	s.now = func() time.Time { return clock }
	c := mustCreate(t, s, "k", 0, clock)
	a := NewAuthenticator(s)
	if _, err := authWith(a, "ApiKey "+c.Encoded); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	broken := strings.Replace(string(data), `"invalidated": false`, `"invalidated": true,`, 1)
	if broken == string(data) {
		t.Fatal("the test's edit did not apply")
	}
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(10 * time.Minute)
	if _, err := authWith(a, "ApiKey "+c.Encoded); err == nil {
		t.Fatal("a key authenticates while the store file cannot be parsed")
	}
	if err := os.WriteFile(path, data, 0o600); err != nil { // repaired: the key is back
		t.Fatal(err)
	}
	clock = clock.Add(10 * time.Minute)
	if _, err := authWith(a, "ApiKey "+c.Encoded); err != nil {
		t.Fatalf("after the repair: %v", err)
	}
}
