package authn

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// TestConcurrentLoginsShareOneVerification: a burst of logins with the
// same credentials runs one hash verification; a different password gets
// its own verification and its own verdict; every caller gets its own
// principal and every refused caller is counted as a failed login.
func TestConcurrentLoginsShareOneVerification(t *testing.T) {
	f := newRealmFixture(t, nil)
	r := f.realm
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var calls atomic.Int32
		r.verify = func(s *snapshot, h *StoredHash, pw string) bool {
			calls.Add(1)
			<-release
			return verifyOrDummy(s, h, pw)
		}
		const good, bad = 12, 4
		var mu sync.Mutex
		var principals []*Principal
		var refused int
		var wg sync.WaitGroup
		for i := range good + bad {
			pw := "correct horse"
			if i >= good {
				pw = "wrong horse"
			}
			wg.Go(func() {
				p, err := r.Authenticate(context.Background(), "alice", pw)
				mu.Lock()
				defer mu.Unlock()
				var ae *AuthError
				switch {
				case err == nil && pw == "correct horse":
					principals = append(principals, p)
				case errors.As(err, &ae) && pw == "wrong horse":
					refused++
				default:
					t.Errorf("password %q: %v, %v", pw, p, err)
				}
			})
		}
		synctest.Wait() // every login is either verifying or waiting for a verdict
		if n := calls.Load(); n != 2 {
			t.Errorf("%d verifications in progress, want 2 (one per distinct password)", n)
		}
		close(release)
		wg.Wait()
		if len(principals) != good || refused != bad {
			t.Fatalf("%d logged in, %d refused; want %d and %d", len(principals), refused, good, bad)
		}
		seen := map[*Principal]bool{}
		for _, p := range principals {
			if seen[p] {
				t.Fatal("two callers share one principal")
			}
			seen[p] = true
		}
		if got := len(f.obs.failed); got != bad {
			t.Errorf("%d failed logins recorded, want %d", got, bad)
		}
		if _, err := r.Authenticate(context.Background(), "alice", "correct horse"); err != nil || calls.Load() != 2 {
			t.Errorf("a later login: %v after %d verifications; want a cache hit", err, calls.Load())
		}
	})
}
