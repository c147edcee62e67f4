package oidcweb

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authn/session"
)

// flakyDeletes is a store whose next deletions fail (a Redis blip).
type flakyDeletes struct {
	session.Backend
	failures atomic.Int32
}

func (f *flakyDeletes) Delete(ctx context.Context, keys ...string) error {
	if f.failures.Add(-1) >= 0 {
		return errDown
	}
	return f.Backend.Delete(ctx, keys...)
}

// A back-channel logout that fails (the store cannot delete the sessions)
// answers 400 temporarily_unavailable, and the provider retries with the
// same token. The token's jti was claimed before the deletion and stayed
// claimed, so the retry was refused as a replay and the user's sessions
// outlived the logout at the provider. A failed logout now releases its
// claim; a logout that succeeded still refuses its replays.
func TestBackchannelRetryAfterStoreFailure(t *testing.T) {
	var flaky *flakyDeletes
	var sessions *session.Manager
	e := newEnv(t, nil, func(o *Options) {
		flaky = &flakyDeletes{Backend: session.NewMemory(o.Now)}
		keys, _ := session.NewKeyring([][]byte{bytes.Repeat([]byte{1}, 32)}, "session")
		m, err := session.NewManager(session.Options{Backend: flaky, Keys: keys, Now: o.Now})
		if err != nil {
			t.Fatal(err)
		}
		o.Sessions, sessions = m, m
	})
	e.sessions = sessions
	a1 := e.login(e.client, "/")
	tok := e.op.logoutToken(nil)
	flaky.failures.Store(1)
	if r := e.postLogout(tok); r.status != 400 || !bytes.Contains([]byte(r.body), []byte("temporarily_unavailable")) {
		t.Fatalf("logout with the store failing: %d %s", r.status, r.body)
	}
	if !e.alive(a1) {
		t.Fatal("the failed logout ended the session (the store failure was not simulated)")
	}
	if r := e.postLogout(tok); r.status != 200 {
		t.Fatalf("the provider's retry of a failed logout: %d %s", r.status, r.body)
	}
	if e.alive(a1) {
		t.Fatal("the session survived the retried back-channel logout")
	}
	if r := e.postLogout(tok); r.status != 400 || !bytes.Contains([]byte(r.body), []byte("replayed")) {
		t.Fatalf("replay of a logout that succeeded: %d %s", r.status, r.body)
	}
}
