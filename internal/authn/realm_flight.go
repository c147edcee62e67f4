package authn

import (
	"context"
	"crypto/sha256"
	"sync"
)

// loginFlights lets concurrent logins with the same credentials share one
// password hash verification, as Elasticsearch's caching realms do (their
// cache holds a future per user that concurrent requests wait on). Without
// it, a burst of requests from one client after a start, a reload or a
// cache expiry runs one bcrypt per request: 16 at once kept a 2-core
// machine busy for half a second.
//
// Only the verdict is shared; every caller builds its own principal and
// records its own failure. The key is the credential cache's keyed digest
// of username and password, with the users-file generation, so requests
// with another password never wait on a verdict that is not theirs.
type loginFlights struct {
	mu sync.Mutex
	m  map[flightKey]*loginFlight
}

type flightKey struct {
	digest [sha256.Size]byte
	gen    uint64
}

// loginFlight is one verification in progress; done is closed when the
// verdict is set.
type loginFlight struct {
	done  chan struct{}
	ok    bool // the password matched
	known bool // the user exists (for the failure log)
}

// verify returns check's verdict for key, running check only if no
// verification of the same key is in progress; otherwise it waits for that
// one's verdict, or for ctx.
func (f *loginFlights) verify(ctx context.Context, key flightKey, check func() (ok, known bool)) (ok, known bool, err error) {
	f.mu.Lock()
	if fl, running := f.m[key]; running {
		f.mu.Unlock()
		select {
		case <-fl.done:
			return fl.ok, fl.known, nil
		case <-ctx.Done():
			return false, false, ctx.Err()
		}
	}
	if f.m == nil {
		f.m = make(map[flightKey]*loginFlight)
	}
	fl := &loginFlight{done: make(chan struct{})}
	f.m[key] = fl
	f.mu.Unlock()
	defer func() {
		// Also on a panic in check: waiters then see a failed login.
		f.mu.Lock()
		delete(f.m, key)
		f.mu.Unlock()
		close(fl.done)
	}()
	fl.ok, fl.known = check()
	return fl.ok, fl.known, nil
}
