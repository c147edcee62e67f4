package authn

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
)

// newNativeFixture is a native realm over a fresh users file, with the
// users' hashes at bcrypt's lowest cost (the tests are about the realm,
// not bcrypt).
func newNativeFixture(t *testing.T) (r *NativeRealm, path string, obs *recordingObserver) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "native_users.json")
	obs = &recordingObserver{}
	r, err := NewNativeRealm(NativeRealmOptions{Docs: mustOpenDocs(t, path), Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	return r, path, obs
}

func mustOpenDocs(t *testing.T, path string) *jsonfile.Docs {
	t.Helper()
	d, err := jsonfile.OpenDocs(path, "users", func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNativeRealmAuthenticate(t *testing.T) {
	r, _, _ := newNativeFixture(t)
	ctx := context.Background()
	created, err := r.PutUser(NativeUser{Username: "dave", Roles: []string{"b", "a", "b"}, FullName: "Dave", Email: "d@example.com",
		Metadata: map[string]any{"team": "x"}, Enabled: true}, mustHash(t, "dave-pass", 4))
	if err != nil || !created {
		t.Fatalf("put: %v %v", created, err)
	}
	p, err := r.Authenticate(ctx, "dave", "dave-pass")
	if err != nil {
		t.Fatal(err)
	}
	if p.Username != "dave" || p.Realm != "default_native" || p.RealmType != "native" || !slices.Equal(p.Roles, []string{"a", "b"}) ||
		p.FullName != "Dave" || p.Email != "d@example.com" || p.Metadata["team"] != "x" {
		t.Fatalf("principal %+v", p)
	}
	for _, tc := range []struct{ name, user, pw string }{
		{"wrong password", "dave", "dave-pass2"},
		{"unknown user", "nobody", "dave-pass"},
		{"empty password", "dave", ""},
	} {
		p, err := r.Authenticate(ctx, tc.user, tc.pw)
		mustRefuse(t, p, err, tc.user)
	}
	if err := r.SetEnabled("dave", false); err != nil {
		t.Fatal(err)
	}
	p, err = r.Authenticate(ctx, "dave", "dave-pass")
	mustRefuse(t, p, err, "dave")
	if _, ok := r.Lookup("dave"); ok {
		t.Fatal("a disabled user was looked up")
	}
	if err := r.SetEnabled("dave", true); err != nil {
		t.Fatal(err)
	}
	if q, ok := r.Lookup("dave"); !ok || q.RealmType != "native" || !slices.Equal(q.Roles, []string{"a", "b"}) {
		t.Fatalf("lookup: %+v %v", q, ok)
	}
	if _, err := r.Authenticate(ctx, "dave", "dave-pass"); err != nil {
		t.Fatalf("after enabling: %v", err)
	}
	if _, err := r.Authenticate(ctx, "dave", "dave-pass"); err != nil {
		t.Fatalf("again: %v", err)
	}
}

// TestNativeRealmCacheInvalidation: a cached login stops working as soon
// as the password changes, the user is disabled or deleted, here or in a
// replica sharing the file.
func TestNativeRealmCacheInvalidation(t *testing.T) {
	r, path, obs := newNativeFixture(t)
	ctx := context.Background()
	if _, err := r.PutUser(NativeUser{Username: "dave", Roles: []string{"x"}, Enabled: true}, mustHash(t, "old-pass", 4)); err != nil {
		t.Fatal(err)
	}
	login := func(pw string) error { _, err := r.Authenticate(ctx, "dave", pw); return err }
	if login("old-pass") != nil || login("old-pass") != nil {
		t.Fatal("login failed")
	}
	if hits, _ := obs.counts(); hits != 1 {
		t.Fatalf("cache hits %d, want 1", hits)
	}
	if err := r.SetPassword("dave", mustHash(t, "new-pass", 4)); err != nil {
		t.Fatal(err)
	}
	if login("old-pass") == nil {
		t.Fatal("the old password still works after the change")
	}
	if login("new-pass") != nil || login("new-pass") != nil {
		t.Fatal("the new password does not work")
	}
	// An update without a password keeps the hash; the roles change at once.
	if created, err := r.PutUser(NativeUser{Username: "dave", Roles: []string{"y"}, Enabled: true}, ""); err != nil || created {
		t.Fatalf("update: %v %v", created, err)
	}
	if p, err := r.Authenticate(ctx, "dave", "new-pass"); err != nil || !slices.Equal(p.Roles, []string{"y"}) {
		t.Fatalf("after the update: %+v %v", p, err)
	}
	// Another replica's change, seen through the shared file.
	other, err := NewNativeRealm(NativeRealmOptions{Docs: mustOpenDocs(t, path)})
	if err != nil {
		t.Fatal(err)
	}
	if found, err := other.DeleteUser("dave"); err != nil || !found {
		t.Fatalf("delete: %v %v", found, err)
	}
	eventually(t, func() bool { return login("new-pass") != nil })
}

func TestNativeRealmStore(t *testing.T) {
	r, _, _ := newNativeFixture(t)
	if _, err := r.PutUser(NativeUser{Username: "eve", Enabled: true}, ""); !errors.Is(err, ErrPasswordRequired) {
		t.Fatalf("create without a password: %v", err)
	}
	if _, err := r.PutUser(NativeUser{Username: "eve", Enabled: true}, "{SHA}abc"); err == nil {
		t.Fatal("a non-bcrypt hash was stored")
	}
	if err := r.SetPassword("nobody", mustHash(t, "whatever", 4)); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("password of an unknown user: %v", err)
	}
	if err := r.SetEnabled("nobody", true); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("enabling an unknown user: %v", err)
	}
	if found, err := r.DeleteUser("nobody"); found || err != nil {
		t.Fatalf("deleting an unknown user: %v %v", found, err)
	}
	for _, n := range []string{"b", "a"} {
		if _, err := r.PutUser(NativeUser{Username: n, Enabled: true}, mustHash(t, "secret-"+n, 4)); err != nil {
			t.Fatal(err)
		}
	}
	got := r.Users(nil)
	if len(got) != 2 || got[0].Username != "a" || got[1].Username != "b" || got[0].Roles == nil {
		t.Fatalf("users: %+v", got)
	}
	if got := r.Users([]string{"b", "zz"}); len(got) != 1 || got[0].Username != "b" {
		t.Fatalf("users b,zz: %+v", got)
	}
}

// TestRealmChain: the file realm first, then the native realm; a refusal
// by one goes on to the next; an unknown user and a wrong password are the
// same error; lookup follows the same order.
func TestRealmChain(t *testing.T) {
	f := newRealmFixture(t, nil)
	native, _, _ := newNativeFixture(t)
	for _, u := range []struct{ name, pw string }{{"alice", "native-alice"}, {"dave", "dave-pass"}} {
		if _, err := native.PutUser(NativeUser{Username: u.name, Roles: []string{"native_role"}, Enabled: true}, mustHash(t, u.pw, 4)); err != nil {
			t.Fatal(err)
		}
	}
	chain := RealmChain{f.realm, native}
	ctx := context.Background()
	for _, tc := range []struct {
		user, pw, realm string
	}{
		{"alice", "correct horse", "file"},  // the file realm first
		{"alice", "native-alice", "native"}, // refused by the file realm, then the native one
		{"dave", "dave-pass", "native"},     // only native
		{"bob", "s3cret-a", "file"},         // only file
	} {
		p, err := chain.Authenticate(ctx, tc.user, tc.pw)
		if err != nil || p.RealmType != tc.realm {
			t.Fatalf("%s/%s: %+v %v, want realm %s", tc.user, tc.pw, p, err, tc.realm)
		}
	}
	for _, tc := range []struct{ user, pw string }{{"alice", "nope-nope"}, {"dave", "nope-nope"}, {"nobody", "nope-nope"}} {
		p, err := chain.Authenticate(ctx, tc.user, tc.pw)
		mustRefuse(t, p, err, tc.user)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := chain.Authenticate(cancelled, "dave", "dave-pass"); err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if p, ok := chain.Lookup("alice"); !ok || p.RealmType != "file" {
		t.Fatalf("lookup alice: %+v", p)
	}
	if p, ok := chain.Lookup("dave"); !ok || p.RealmType != "native" {
		t.Fatalf("lookup dave: %+v", p)
	}
	if _, ok := chain.Lookup("nobody"); ok {
		t.Fatal("an unknown user was looked up")
	}
}

// TestBasicOverRealmChain: Basic authentication over the chain logs in
// users of both realms, and failed logins against either count toward the
// same lockout.
func TestBasicOverRealmChain(t *testing.T) {
	f := newRealmFixture(t, nil)
	native, _, _ := newNativeFixture(t)
	if _, err := native.PutUser(NativeUser{Username: "dave", Roles: []string{}, Enabled: true}, mustHash(t, "dave-pass", 4)); err != nil {
		t.Fatal(err)
	}
	limiter := NewLoginLimiter(LoginLimiterOptions{MaxFailures: 3})
	b := NewBasicAuthenticator(RealmChain{f.realm, native}, BasicOptions{Limiter: limiter})
	for _, tc := range []struct{ creds, realm string }{{"bob:s3cret-a", "file"}, {"dave:dave-pass", "native"}} {
		p, err := b.Authenticate(requestWith("192.0.2.1:1", basicHeader(tc.creds)))
		if err != nil || p.RealmType != tc.realm {
			t.Fatalf("%s: %+v %v", tc.creds, p, err)
		}
	}
	for i := 0; i < 3; i++ {
		_, err := b.Authenticate(requestWith("192.0.2.2:1", basicHeader("dave:wrong-pass")))
		mustRefuse(t, nil, err, "dave")
	}
	_, err := b.Authenticate(requestWith("192.0.2.3:1", basicHeader("dave:dave-pass")))
	var rl *RateLimitError
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &rl) || rl.Username != "dave" {
		t.Fatalf("the native user after 3 failures: %v, want rate limited, naming dave (for the audit)", err)
	}
}
