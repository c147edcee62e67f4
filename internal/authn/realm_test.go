package authn

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/portcullis-proxy/portcullis/internal/reload"
)

type realmFixture struct {
	dir   string
	users string
	roles string
	clock *fakeClock
	obs   *recordingObserver
	realm *FileRealm
}

const (
	fixtureUsers = "alice:" + htpasswdAlice + "\n" + // correct horse
		"bob:" + pyBcrypt2a + "\n" + // s3cret-a
		"carol:" + sha1Hunter + "\n" + // hunter2-ß
		"dan:" + pyBcrypt2b + "\n" + // s3cret-b, no roles
		"grace:" + badPBKDF2 + "\n" +
		"heidi:pass:with:colons\n"
	fixtureRoles = "admin:alice\nviewer:alice,bob\nviewer: carol\n"
)

func newRealmFixture(t *testing.T, mutate func(*FileRealmOptions)) *realmFixture {
	t.Helper()
	f := &realmFixture{dir: t.TempDir(), clock: newFakeClock(), obs: &recordingObserver{}}
	f.users = writeFile(t, f.dir, "users", fixtureUsers)
	f.roles = writeFile(t, f.dir, "users_roles", fixtureRoles)
	opts := FileRealmOptions{UsersPath: f.users, UsersRolesPath: f.roles, Observer: f.obs, Clock: f.clock.Now}
	if mutate != nil {
		mutate(&opts)
	}
	r, err := NewFileRealm(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.realm = r
	return f
}

func (f *realmFixture) login(t *testing.T, user, pw string) (*Principal, error) {
	t.Helper()
	return f.realm.Authenticate(context.Background(), user, pw)
}

func (f *realmFixture) mustLogin(t *testing.T, user, pw string, wantRoles ...string) *Principal {
	t.Helper()
	p, err := f.login(t, user, pw)
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	if wantRoles == nil {
		wantRoles = []string{}
	}
	if p.Username != user || p.Realm != DefaultFileRealmName || p.RealmType != "file" || !slices.Equal(p.Roles, wantRoles) {
		t.Fatalf("principal = %+v, want %s roles %v", p, user, wantRoles)
	}
	return p
}

func mustRefuse(t *testing.T, p *Principal, err error, user string) {
	t.Helper()
	var ae *AuthError
	if p != nil || !errors.As(err, &ae) || ae.Username != user || ae.Reason != reasonBadCredentials {
		t.Fatalf("got %v, %v; want *AuthError for %q", p, err, user)
	}
}

func TestFileRealmAuthenticate(t *testing.T) {
	f := newRealmFixture(t, nil)
	cases := []struct {
		user, pw string
		roles    []string // nil: refused
	}{
		{"alice", "correct horse", []string{"admin", "viewer"}},
		{"bob", "s3cret-a", []string{"viewer"}},
		{"carol", "hunter2-ß", []string{"viewer"}},
		{"dan", "s3cret-b", []string{}},
		{"heidi", "pass:with:colons", []string{}},
		{"alice", "correct horsE", nil},
		{"alice", "", nil},
		{"grace", badPBKDF2, nil},
		{"grace", "", nil},
		{"nobody", "correct horse", nil},
		{"Alice", "correct horse", nil},
	}
	for _, tc := range cases {
		t.Run(tc.user+"/"+tc.pw, func(t *testing.T) {
			if tc.roles == nil {
				p, err := f.login(t, tc.user, tc.pw)
				mustRefuse(t, p, err, tc.user)
				return
			}
			f.mustLogin(t, tc.user, tc.pw, tc.roles...)
		})
	}
}

func TestFileRealmUnknownUserIndistinguishable(t *testing.T) {
	f := newRealmFixture(t, func(o *FileRealmOptions) { o.CacheTTL = -1 })
	_, errUnknown := f.login(t, "nobody", "x")
	_, errWrong := f.login(t, "alice", "x")
	var a, b *AuthError
	if !errors.As(errUnknown, &a) || !errors.As(errWrong, &b) || a.Reason != b.Reason {
		t.Fatalf("errors differ: %v / %v", errUnknown, errWrong)
	}
	if f.obs.failed[0] != f.obs.failed[1] {
		t.Fatalf("observer reasons differ: %v", f.obs.failed)
	}
	// The unknown-user path must pay for a bcrypt comparison like a known
	// user does; without the dummy it takes microseconds.
	dummy := f.realm.state.Load().dummy
	if dummy.alg != HashBcrypt || dummy.cost != 5 { // alice and dan use cost 5, bob 4
		t.Fatalf("dummy = %v cost %d, want the users' most common kind, bcrypt 5", dummy, dummy.cost)
	}
	refHash := mustHash(t, "reference", dummy.cost)
	ref := minDuration(3, func() { _ = bcrypt.CompareHashAndPassword([]byte(refHash), []byte("x")) })
	got := minDuration(3, func() { _, _ = f.login(t, "nobody", "x") })
	if got < ref/4 {
		t.Fatalf("unknown user took %v, a bcrypt comparison %v: timing reveals existence", got, ref)
	}
	gotBad := minDuration(3, func() { _, _ = f.login(t, "grace", "x") })
	if gotBad < ref/4 {
		t.Fatalf("malformed-hash user took %v, want a dummy comparison", gotBad)
	}
}

func minDuration(n int, fn func()) time.Duration {
	best := time.Duration(1 << 62)
	for range n {
		start := time.Now()
		fn()
		best = min(best, time.Since(start))
	}
	return best
}

func TestFileRealmOptions(t *testing.T) {
	f := newRealmFixture(t, func(o *FileRealmOptions) { o.Name = "file1" })
	p, err := f.login(t, "bob", "s3cret-a")
	if err != nil || p.Realm != "file1" || f.realm.Name() != "file1" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := NewFileRealm(FileRealmOptions{UsersPath: f.users}); err == nil {
		t.Fatal("missing users_roles path accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.realm.Authenticate(ctx, "bob", "s3cret-a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}

func TestFileRealmMissingAndUnreadableFiles(t *testing.T) {
	dir := t.TempDir()
	r, err := NewFileRealm(FileRealmOptions{UsersPath: filepath.Join(dir, "users"), UsersRolesPath: filepath.Join(dir, "roles")})
	if err != nil {
		t.Fatalf("missing files must not fail: %v", err)
	}
	if ps := r.Problems(); len(ps) != 2 || ps.HasErrors() {
		t.Fatalf("problems: %s", problemList(ps))
	}
	p, err := r.Authenticate(context.Background(), "alice", "correct horse")
	mustRefuse(t, p, err, "alice")

	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFileRealm(FileRealmOptions{UsersPath: filepath.Join(dir, "adir"), UsersRolesPath: filepath.Join(dir, "roles")}); err == nil {
		t.Fatal("unreadable users file accepted at startup")
	}
}

func TestFileRealmCache(t *testing.T) {
	f := newRealmFixture(t, nil)
	f.mustLogin(t, "alice", "correct horse", "admin", "viewer")
	f.mustLogin(t, "alice", "correct horse", "admin", "viewer")
	if hits, misses := f.obs.counts(); hits != 1 || misses != 1 {
		t.Fatalf("hits %d misses %d, want 1 1", hits, misses)
	}
	// A wrong password against a cached user is a miss, refused, and does
	// not evict the entry.
	p, err := f.login(t, "alice", "wrong")
	mustRefuse(t, p, err, "alice")
	f.mustLogin(t, "alice", "correct horse", "admin", "viewer")
	if hits, misses := f.obs.counts(); hits != 2 || misses != 2 {
		t.Fatalf("hits %d misses %d, want 2 2", hits, misses)
	}
	// Mutating a returned principal must not alter the cache.
	p = f.mustLogin(t, "alice", "correct horse", "admin", "viewer")
	p.Roles[0] = "superuser"
	f.mustLogin(t, "alice", "correct horse", "admin", "viewer")
}

func TestFileRealmCacheTTL(t *testing.T) {
	f := newRealmFixture(t, func(o *FileRealmOptions) { o.CacheTTL = time.Minute })
	f.mustLogin(t, "bob", "s3cret-a", "viewer")
	f.clock.Advance(59 * time.Second)
	f.mustLogin(t, "bob", "s3cret-a", "viewer")
	if hits, _ := f.obs.counts(); hits != 1 {
		t.Fatalf("hits = %d before expiry, want 1", hits)
	}
	f.clock.Advance(time.Second) // exactly TTL after the write
	f.mustLogin(t, "bob", "s3cret-a", "viewer")
	if hits, misses := f.obs.counts(); hits != 1 || misses != 2 {
		t.Fatalf("after TTL hits %d misses %d, want 1 2", hits, misses)
	}
}

func TestFileRealmCacheBound(t *testing.T) {
	f := newRealmFixture(t, func(o *FileRealmOptions) { o.CacheMaxUsers = 2 })
	f.mustLogin(t, "alice", "correct horse", "admin", "viewer")
	f.mustLogin(t, "bob", "s3cret-a", "viewer")
	f.mustLogin(t, "carol", "hunter2-ß", "viewer")
	if n := f.realm.cache.len(); n != 2 {
		t.Fatalf("cache holds %d entries, want 2", n)
	}
	f.mustLogin(t, "carol", "hunter2-ß", "viewer") // hit
	f.mustLogin(t, "alice", "correct horse", "admin", "viewer")
	if hits, misses := f.obs.counts(); hits != 1 || misses != 4 {
		t.Fatalf("hits %d misses %d, want 1 4 (alice evicted first)", hits, misses)
	}
}

func TestFileRealmCacheDisabled(t *testing.T) {
	for _, mutate := range []func(*FileRealmOptions){
		func(o *FileRealmOptions) { o.CacheTTL = -1 },
		func(o *FileRealmOptions) { o.CacheMaxUsers = -1 },
	} {
		f := newRealmFixture(t, mutate)
		f.mustLogin(t, "bob", "s3cret-a", "viewer")
		f.mustLogin(t, "bob", "s3cret-a", "viewer")
		if hits, misses := f.obs.counts(); hits != 0 || misses != 0 || f.realm.cache != nil {
			t.Fatalf("cache used while disabled: %d %d", hits, misses)
		}
	}
}

func TestFileRealmReload(t *testing.T) {
	f := newRealmFixture(t, nil)
	f.mustLogin(t, "alice", "correct horse", "admin", "viewer")
	f.mustLogin(t, "bob", "s3cret-a", "viewer")

	if changed, err := f.realm.Reload(); changed || err != nil {
		t.Fatalf("unchanged files: changed=%v err=%v", changed, err)
	}
	f.mustLogin(t, "alice", "correct horse", "admin", "viewer") // still cached

	// Role change applies at once despite the cached entry.
	writeFile(t, f.dir, "users_roles", "auditor:alice\nviewer:bob\n")
	if changed, err := f.realm.Reload(); !changed || err != nil {
		t.Fatalf("roles change: changed=%v err=%v", changed, err)
	}
	if n := f.realm.cache.len(); n != 0 {
		t.Fatalf("cache holds %d entries after a change, want it cleared", n)
	}
	f.mustLogin(t, "alice", "correct horse", "auditor")

	// A removed user is refused despite the cached entry.
	writeFile(t, f.dir, "users", strings.Replace(fixtureUsers, "alice:"+htpasswdAlice+"\n", "", 1))
	if changed, _ := f.realm.Reload(); !changed {
		t.Fatal("users change not seen")
	}
	p, err := f.login(t, "alice", "correct horse")
	mustRefuse(t, p, err, "alice")

	// A changed password: the old one is refused despite the cache.
	writeFile(t, f.dir, "users", "bob:"+sha1Hunter+"\n")
	if changed, _ := f.realm.Reload(); !changed {
		t.Fatal("password change not seen")
	}
	p, err = f.login(t, "bob", "s3cret-a")
	mustRefuse(t, p, err, "bob")
	f.mustLogin(t, "bob", "hunter2-ß", "viewer")
}

func TestFileRealmReloadUnreadableFailsClosed(t *testing.T) {
	f := newRealmFixture(t, nil)
	f.mustLogin(t, "bob", "s3cret-a", "viewer") // cached
	if err := os.Remove(f.users); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(f.users, 0o700); err != nil { // root can read anything but a directory
		t.Fatal(err)
	}
	changed, err := f.realm.Reload()
	if !changed || err == nil {
		t.Fatalf("unreadable users file: changed=%v err=%v", changed, err)
	}
	p, err := f.login(t, "bob", "s3cret-a")
	mustRefuse(t, p, err, "bob")
	if changed, err := f.realm.Reload(); changed || err == nil {
		t.Fatalf("still unreadable: changed=%v err=%v, want false and the error", changed, err)
	}
	// Recovery.
	if err := os.Remove(f.users); err != nil {
		t.Fatal(err)
	}
	writeFile(t, f.dir, "users", fixtureUsers)
	if changed, err := f.realm.Reload(); !changed || err != nil {
		t.Fatalf("recovery: changed=%v err=%v", changed, err)
	}
	f.mustLogin(t, "bob", "s3cret-a", "viewer")
}

func TestFileRealmUnreadableRolesKeepsUsersWithoutRoles(t *testing.T) {
	f := newRealmFixture(t, nil)
	f.mustLogin(t, "alice", "correct horse", "admin", "viewer")
	if err := os.Remove(f.roles); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(f.roles, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := f.realm.Reload(); err == nil {
		t.Fatal("unreadable users_roles not reported")
	}
	f.mustLogin(t, "alice", "correct horse")
}

func TestFileRealmWatch(t *testing.T) {
	f := newRealmFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.realm.Watch(ctx, 5*time.Millisecond); close(done) }()
	f.mustLogin(t, "bob", "s3cret-a", "viewer")

	writeFile(t, f.dir, "users_roles", "ops:bob\n")
	eventually(t, func() bool {
		p, err := f.login(t, "bob", "s3cret-a")
		return err == nil && slices.Equal(p.Roles, []string{"ops"})
	})
	writeFile(t, f.dir, "users", "carol:"+sha1Hunter+"\n")
	eventually(t, func() bool { _, err := f.login(t, "bob", "s3cret-a"); return err != nil })

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not stop when its context ended")
	}
}

// TestFileRealmWatchConfigMapSwap mimics a Kubernetes ConfigMap volume:
// users -> ..data/users, ..data -> ..2025_a; an update atomically renames a
// new ..data symlink over the old one.
func TestFileRealmWatchConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	for name, users := range map[string]string{"..v1": "bob:" + pyBcrypt2a + "\n", "..v2": "carol:" + sha1Hunter + "\n"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), "users", users)
		writeFile(t, filepath.Join(dir, name), "users_roles", "viewer:bob,carol\n")
	}
	mustSymlink(t, "..v1", filepath.Join(dir, "..data"))
	mustSymlink(t, "..data/users", filepath.Join(dir, "users"))
	mustSymlink(t, "..data/users_roles", filepath.Join(dir, "users_roles"))
	r, err := NewFileRealm(FileRealmOptions{UsersPath: filepath.Join(dir, "users"), UsersRolesPath: filepath.Join(dir, "users_roles")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Watch(ctx, 5*time.Millisecond)
	if _, err := r.Authenticate(ctx, "bob", "s3cret-a"); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, "..v2", filepath.Join(dir, "..data_tmp"))
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool {
		_, errBob := r.Authenticate(ctx, "bob", "s3cret-a")
		_, errCarol := r.Authenticate(ctx, "carol", "hunter2-ß")
		return errBob != nil && errCarol == nil
	})
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFileRealmConcurrentReload(t *testing.T) {
	f := newRealmFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.realm.Watch(ctx, time.Millisecond)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			roles := "viewer:bob\n"
			if i%2 == 1 {
				roles = "admin:bob\n"
			}
			writeFile(t, f.dir, "users_roles", roles)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	for range 200 {
		p, err := f.login(t, "bob", "s3cret-a")
		if err != nil || len(p.Roles) > 1 {
			t.Fatalf("%+v %v", p, err)
		}
	}
	<-done
}

// Lookup finds users of the users file without a password (run_as
// targets), with their roles; names the file lacks are not found.
func TestFileRealmLookup(t *testing.T) {
	f := newRealmFixture(t, nil)
	for _, tc := range []struct {
		user  string
		found bool
		roles []string
	}{
		{"alice", true, []string{"admin", "viewer"}},
		{"dan", true, []string{}},
		{"mallory", false, nil},
		{"", false, nil},
	} {
		p, ok := f.realm.Lookup(tc.user)
		if ok != tc.found {
			t.Fatalf("Lookup(%q) found=%v, want %v", tc.user, ok, tc.found)
		}
		if ok && (p.Username != tc.user || p.RealmType != RealmTypeFile || p.Realm == "" || !slices.Equal(p.Roles, tc.roles)) {
			t.Errorf("Lookup(%q) = %+v, want roles %v in the file realm", tc.user, p, tc.roles)
		}
	}
}

// TestFileRealmPollWaitsForHalfWrittenFiles: a poll does not load a file
// modified within reload.SettleTime: one being written in place is read as
// a prefix of its final content, and "admin:alice,dani" cut after "dan"
// made the existing user dan an admin until the next poll. Once the file
// has settled, the poll loads it; an explicit Reload (SIGHUP) does not wait.
func TestFileRealmPollWaitsForHalfWrittenFiles(t *testing.T) {
	f := newRealmFixture(t, nil)
	f.mustLogin(t, "dan", "s3cret-b")
	touch := func(age time.Duration) {
		t.Helper()
		at := f.clock.Now().Add(-age)
		if err := os.Chtimes(f.roles, at, at); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, f.dir, "users_roles", "viewer:alice,bob\nadmin:alice,dan") // being written: "i\n" not there yet
	touch(0)
	if changed, err := f.realm.Poll(); changed || err != nil {
		t.Fatalf("a file being written was loaded: changed=%v err=%v", changed, err)
	}
	f.mustLogin(t, "dan", "s3cret-b")
	writeFile(t, f.dir, "users_roles", "viewer:alice,bob\nadmin:alice,dani\n")
	touch(2 * reload.SettleTime)
	if changed, err := f.realm.Poll(); !changed || err != nil {
		t.Fatalf("a settled file was not loaded: changed=%v err=%v", changed, err)
	}
	f.mustLogin(t, "dan", "s3cret-b")
	f.mustLogin(t, "bob", "s3cret-a", "viewer")
	writeFile(t, f.dir, "users_roles", "viewer:bob\n")
	touch(0)
	if changed, err := f.realm.Reload(); !changed || err != nil {
		t.Fatalf("an explicit reload waited: changed=%v err=%v", changed, err)
	}
	f.mustLogin(t, "alice", "correct horse")
}

// TestFileRealmReloadFIFO: a users file replaced by a named pipe (or a
// device) is refused as unreadable, failing closed, instead of blocking
// the reload forever: a reload stuck in open(2) held the reload lock, so
// no later poll or SIGHUP could apply any revocation again.
func TestFileRealmReloadFIFO(t *testing.T) {
	f := newRealmFixture(t, nil)
	f.mustLogin(t, "bob", "s3cret-a", "viewer")
	if err := os.Remove(f.users); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(f.users, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := f.realm.Reload(); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a users file that is a named pipe was not reported")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reload blocked on a users file that is a named pipe")
	}
	p, err := f.login(t, "bob", "s3cret-a")
	mustRefuse(t, p, err, "bob")
}
