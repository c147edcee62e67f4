package authn

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func newTestLimiter(clock *fakeClock, obs Observer, maxKeys int) *LoginLimiter {
	return NewLoginLimiter(LoginLimiterOptions{MaxFailures: 3, Window: time.Minute, Lockout: 2 * time.Minute,
		MaxKeys: maxKeys, Clock: clock.Now, Observer: obs})
}

func wantLimited(t *testing.T, err error, by string) {
	t.Helper()
	var rl *RateLimitError
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &rl) || rl.By != by || rl.RetryAfter <= 0 {
		t.Fatalf("got %v, want rate limited by %s", err, by)
	}
}

func TestLoginLimiterByIP(t *testing.T) {
	clock := newFakeClock()
	obs := &recordingObserver{}
	l := newTestLimiter(clock, obs, 100)
	for i := range 3 {
		if err := l.Check("192.0.2.1", fmt.Sprint("user", i)); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		l.Failure("192.0.2.1", fmt.Sprint("user", i)) // different users, same address
	}
	wantLimited(t, l.Check("192.0.2.1", "fresh"), LimitByIP)
	if err := l.Check("192.0.2.2", "fresh"); err != nil {
		t.Fatalf("other address limited: %v", err)
	}
	// A successful login does not clear the address.
	l.Success("192.0.2.1", "fresh")
	wantLimited(t, l.Check("192.0.2.1", ""), LimitByIP)
	clock.Advance(2*time.Minute - time.Second)
	wantLimited(t, l.Check("192.0.2.1", ""), LimitByIP)
	clock.Advance(time.Second)
	if err := l.Check("192.0.2.1", ""); err != nil {
		t.Fatalf("still limited after lockout: %v", err)
	}
	if len(obs.limited) != 3 || obs.limited[0] != LimitByIP {
		t.Fatalf("observer: %v", obs.limited)
	}
}

func TestLoginLimiterByUsername(t *testing.T) {
	clock := newFakeClock()
	l := newTestLimiter(clock, nil, 100)
	for i := range 3 {
		l.Failure(fmt.Sprintf("198.51.100.%d", i), "bob") // distributed guessing
	}
	wantLimited(t, l.Check("203.0.113.9", "bob"), LimitByUsername)
	if err := l.Check("203.0.113.9", "carol"); err != nil {
		t.Fatalf("other user limited: %v", err)
	}
	if err := l.Check("203.0.113.9", ""); err != nil {
		t.Fatalf("address limited: %v", err)
	}
}

func TestLoginLimiterWindow(t *testing.T) {
	clock := newFakeClock()
	l := newTestLimiter(clock, nil, 100)
	l.Failure("192.0.2.1", "bob")
	l.Failure("192.0.2.1", "bob")
	clock.Advance(time.Minute) // window over: counting restarts
	l.Failure("192.0.2.1", "bob")
	l.Failure("192.0.2.1", "bob")
	if err := l.Check("192.0.2.1", "bob"); err != nil {
		t.Fatalf("failures from an old window counted: %v", err)
	}
	l.Failure("192.0.2.1", "bob")
	wantLimited(t, l.Check("192.0.2.1", "bob"), LimitByIP)
}

func TestLoginLimiterSuccessResetsUsername(t *testing.T) {
	clock := newFakeClock()
	l := newTestLimiter(clock, nil, 100)
	l.Failure("192.0.2.1", "bob")
	l.Failure("192.0.2.2", "bob")
	l.Success("192.0.2.3", "bob")
	l.Failure("192.0.2.4", "bob")
	l.Failure("192.0.2.5", "bob")
	if err := l.Check("192.0.2.6", "bob"); err != nil {
		t.Fatalf("username counter not reset by success: %v", err)
	}
}

func TestLoginLimiterBoundedMemory(t *testing.T) {
	clock := newFakeClock()
	l := newTestLimiter(clock, nil, 50)
	for i := range 10000 {
		l.Failure(fmt.Sprintf("10.0.%d.%d", i/256, i%256), fmt.Sprintf("user-%d-%0500d", i, i))
	}
	if n, m := l.byIP.size(), l.byUser.size(); n != 50 || m != 50 {
		t.Fatalf("tables hold %d and %d keys, want 50 each", n, m)
	}
	// A locked-out key that keeps being probed is not the one evicted.
	for range 3 {
		l.Failure("192.0.2.66", "")
	}
	for i := range 200 {
		wantLimited(t, l.Check("192.0.2.66", ""), LimitByIP)
		l.Failure(fmt.Sprintf("172.16.0.%d", i), "")
	}
}

// TestBasicAuthenticatorRateLimited: while locked out, credentials are not
// even checked.
func TestBasicAuthenticatorRateLimited(t *testing.T) {
	clock := newFakeClock()
	obs := &recordingObserver{}
	realm := &stubRealm{user: "alice", pw: "right"}
	a := NewBasicAuthenticator(realm, BasicOptions{Limiter: newTestLimiter(clock, obs, 100)})
	for range 3 {
		_, err := a.Authenticate(requestWith("192.0.2.1:1", basicHeader("alice:wrong")))
		var ae *AuthError
		if !errors.As(err, &ae) {
			t.Fatalf("got %v", err)
		}
	}
	calls := realm.calls
	_, err := a.Authenticate(requestWith("192.0.2.1:2", basicHeader("alice:right")))
	wantLimited(t, err, LimitByIP)
	_, err = a.Authenticate(requestWith("192.0.2.99:2", basicHeader("alice:right")))
	wantLimited(t, err, LimitByUsername)
	_, err = a.Authenticate(requestWith("192.0.2.1:2", "Basic ###"))
	wantLimited(t, err, LimitByIP)
	if realm.calls != calls {
		t.Fatal("realm consulted while rate limited")
	}
	// Malformed headers count against the address only.
	for range 3 {
		_, _ = a.Authenticate(requestWith("[2001:db8::1]:1", "Basic ###"))
	}
	_, err = a.Authenticate(requestWith("[2001:db8::2]:1", basicHeader("carol:x")))
	wantLimited(t, err, LimitByIP) // same /64
	clock.Advance(2 * time.Minute)
	if p, err := a.Authenticate(requestWith("192.0.2.1:3", basicHeader("alice:right"))); err != nil || p == nil {
		t.Fatalf("after lockout: %v", err)
	}
}
