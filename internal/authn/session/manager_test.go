package session

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testKeys(t *testing.T, b byte) *Keyring {
	t.Helper()
	k, err := NewKeyring([][]byte{secret(b)}, "session")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newTestManager(t *testing.T, mod func(*Options)) (*Manager, *Memory, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	mem := NewMemory(clock.Now)
	o := Options{Backend: mem, Keys: testKeys(t, 1), IdleTimeout: time.Hour, Lifespan: 24 * time.Hour, Now: clock.Now}
	if mod != nil {
		mod(&o)
	}
	m, err := NewManager(o)
	if err != nil {
		t.Fatal(err)
	}
	return m, mem, clock
}

func data(sub, sid string) Data {
	return Data{Issuer: "https://idp", Subject: sub, SID: sid, Username: sub, Claims: []byte(`{"sub":"` + sub + `"}`),
		RefreshToken: "rt-" + sub, TokenExpiry: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)}
}

func TestManagerCreateLoad(t *testing.T) {
	m, mem, _ := newTestManager(t, nil)
	ctx := context.Background()
	tok, s, err := m.Create(ctx, data("alice", ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != tokenLen || s.ExpiresAt.Sub(s.CreatedAt) != 24*time.Hour {
		t.Fatalf("token %q session %+v", tok, s)
	}
	got, err := m.Load(ctx, tok)
	if err != nil || got.Subject != "alice" || got.RefreshToken != "rt-alice" || string(got.Claims) != `{"sub":"alice"}` {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	// The store holds neither the token nor the session in clear.
	for key, r := range mem.records {
		if strings.Contains(key, tok) || strings.Contains(string(r.sealed), "rt-alice") || strings.Contains(string(r.sealed), "alice") {
			t.Fatal("token or session data visible in the store")
		}
	}
	for _, bad := range []string{"", "short", strings.Repeat("A", tokenLen-1) + "!", strings.Repeat("A", tokenLen)} {
		if _, err := m.Load(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Load(%q) = %v", bad, err)
		}
	}
}

func TestManagerTimeouts(t *testing.T) {
	tests := []struct {
		name    string
		steps   []time.Duration // time between uses
		wantErr bool
	}{
		{"used within the idle timeout", []time.Duration{50 * time.Minute, 50 * time.Minute, 50 * time.Minute}, false},
		{"idle too long", []time.Duration{61 * time.Minute}, true},
		{"lifespan ends an active session", []time.Duration{}, true}, // filled below: 25 uses 59 minutes apart
		{"touch is throttled but keeps the session", []time.Duration{time.Minute, time.Minute, 59 * time.Minute}, false},
	}
	for i := 0; i < 25; i++ {
		tests[2].steps = append(tests[2].steps, 59*time.Minute)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _, clock := newTestManager(t, nil)
			ctx := context.Background()
			tok, _, err := m.Create(ctx, data("alice", ""))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range tc.steps {
				clock.Advance(d)
				_, err = m.Load(ctx, tok)
				if err != nil {
					break
				}
			}
			if tc.wantErr != errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v, want expired %v", err, tc.wantErr)
			}
		})
	}
}

func TestManagerIdleDisabled(t *testing.T) {
	m, _, clock := newTestManager(t, func(o *Options) { o.IdleTimeout = -1 })
	tok, _, err := m.Create(context.Background(), data("alice", ""))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(23 * time.Hour)
	if _, err := m.Load(context.Background(), tok); err != nil {
		t.Fatalf("without idle timeout: %v", err)
	}
	clock.Advance(2 * time.Hour)
	if _, err := m.Load(context.Background(), tok); !errors.Is(err, ErrNotFound) {
		t.Fatalf("past the lifespan: %v", err)
	}
}

func TestManagerPerUserLimit(t *testing.T) {
	m, _, clock := newTestManager(t, func(o *Options) { o.MaxPerUser = 2 })
	ctx := context.Background()
	var toks []string
	for i := 0; i < 3; i++ {
		tok, _, err := m.Create(ctx, data("alice", ""))
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
		clock.Advance(time.Second)
	}
	bob, _, _ := m.Create(ctx, data("bob", ""))
	want := []bool{false, true, true}
	for i, tok := range toks {
		_, err := m.Load(ctx, tok)
		if (err == nil) != want[i] {
			t.Fatalf("alice's session %d alive = %v, want %v", i, err == nil, want[i])
		}
	}
	if _, err := m.Load(ctx, bob); err != nil {
		t.Fatalf("another user's session was evicted: %v", err)
	}
}

func TestManagerLogouts(t *testing.T) {
	m, _, _ := newTestManager(t, nil)
	ctx := context.Background()
	a1, _, _ := m.Create(ctx, data("alice", "op-1"))
	a2, _, _ := m.Create(ctx, data("alice", "op-2"))
	b1, _, _ := m.Create(ctx, data("bob", "op-1")) // same sid, other subject (a sid is per user in practice)
	alive := func(tok string) bool { _, err := m.Load(ctx, tok); return err == nil }

	if n, err := m.DeleteSID(ctx, "https://idp", "op-1", "alice"); err != nil || n != 1 {
		t.Fatalf("DeleteSID with subject = %d %v", n, err)
	}
	if alive(a1) || !alive(a2) || !alive(b1) {
		t.Fatalf("after DeleteSID(op-1, alice): a1 %v a2 %v b1 %v", alive(a1), alive(a2), alive(b1))
	}
	if n, err := m.DeleteSID(ctx, "https://other-idp", "op-1", ""); err != nil || n != 0 || !alive(b1) {
		t.Fatalf("DeleteSID of another issuer touched sessions: %d %v", n, err)
	}
	if n, err := m.DeleteSubject(ctx, "https://idp", "alice"); err != nil || n != 1 || alive(a2) || !alive(b1) {
		t.Fatalf("DeleteSubject = %d %v", n, err)
	}
	if err := m.Delete(ctx, b1); err != nil || alive(b1) {
		t.Fatalf("Delete: %v", err)
	}
	if err := m.Delete(ctx, "junk"); err != nil {
		t.Fatalf("Delete of junk: %v", err)
	}
}

func TestManagerUpdateSingleFlight(t *testing.T) {
	m, _, _ := newTestManager(t, nil)
	ctx := context.Background()
	tok, _, _ := m.Create(ctx, data("alice", ""))
	var calls atomic.Int32
	refresh := func(cur *Session) (*Data, error) {
		if cur.Refreshes > 0 { // another caller already refreshed: nothing to do
			return nil, nil
		}
		calls.Add(1)
		time.Sleep(20 * time.Millisecond) // the provider's token endpoint
		next := cur.Data
		next.RefreshToken = "rt-rotated"
		next.Refreshes++
		next.CreatedAt = time.Time{} // must not be changeable
		return &next, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := m.Update(ctx, tok, refresh)
			if err == nil && s.RefreshToken != "rt-rotated" {
				err = errors.New("a caller saw the old refresh token: " + s.RefreshToken)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("refreshed %d times, want 1", n)
	}
	s, err := m.Load(ctx, tok)
	if err != nil || s.RefreshToken != "rt-rotated" || s.CreatedAt.IsZero() {
		t.Fatalf("stored = %+v %v", s, err)
	}
}

func TestManagerUpdateErrors(t *testing.T) {
	m, _, _ := newTestManager(t, nil)
	ctx := context.Background()
	tok, _, _ := m.Create(ctx, data("alice", ""))
	boom := errors.New("provider said no")
	if _, err := m.Update(ctx, tok, func(*Session) (*Data, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("fn error not returned: %v", err)
	}
	if s, err := m.Load(ctx, tok); err != nil || s.RefreshToken != "rt-alice" {
		t.Fatalf("failed update changed the session: %+v %v", s, err)
	}
	_ = m.Delete(ctx, tok)
	if _, err := m.Update(ctx, tok, func(*Session) (*Data, error) { t.Fatal("fn called for a deleted session"); return nil, nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update of a deleted session: %v", err)
	}
}

func TestManagerKeyRotation(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	mem := NewMemory(clock.Now)
	mk := func(k *Keyring) *Manager {
		m, err := NewManager(Options{Backend: mem, Keys: k, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ctx := context.Background()
	old := mk(testKeys(t, 1))
	tok, _, _ := old.Create(ctx, data("alice", ""))
	both, _ := NewKeyring([][]byte{secret(2), secret(1)}, "session")
	if _, err := mk(both).Load(ctx, tok); err != nil {
		t.Fatalf("session sealed with the previous key: %v", err)
	}
	if _, err := mk(testKeys(t, 2)).Load(ctx, tok); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session sealed with a removed key: %v", err)
	}
}

// TestManagerAcrossRedisReplicas: two managers on one Redis (two proxy
// replicas) share sessions, and concurrent updates from both run once.
func TestManagerAcrossRedisReplicas(t *testing.T) {
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		t.Skip("REDIS_ADDR not set")
	}
	prefix := randomPrefix(t)
	ctx := context.Background()
	mk := func() *Manager {
		m, err := NewManager(Options{Backend: newTestRedis(t, addr, prefix), Keys: testKeys(t, 1), IdleTimeout: time.Hour, Lifespan: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := mk(), mk()
	tok, _, err := a.Create(ctx, data("alice", "op-1"))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := b.Load(ctx, tok); err != nil || s.Subject != "alice" {
		t.Fatalf("replica b: %+v %v", s, err)
	}
	var calls atomic.Int32
	refresh := func(cur *Session) (*Data, error) {
		if cur.Refreshes > 0 {
			return nil, nil
		}
		calls.Add(1)
		time.Sleep(50 * time.Millisecond)
		next := cur.Data
		next.Refreshes++
		next.RefreshToken = "rt-2"
		return &next, nil
	}
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		m := a
		if i%2 == 1 {
			m = b
		}
		go func() {
			defer wg.Done()
			if s, err := m.Update(ctx, tok, refresh); err != nil || s.RefreshToken != "rt-2" {
				t.Errorf("update: %+v %v", s, err)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("refreshed %d times across replicas, want 1", calls.Load())
	}
	if n, err := b.DeleteSID(ctx, "https://idp", "op-1", ""); err != nil || n != 1 {
		t.Fatalf("back-channel logout on b: %d %v", n, err)
	}
	if _, err := a.Load(ctx, tok); !errors.Is(err, ErrNotFound) {
		t.Fatalf("replica a still has the session: %v", err)
	}
}
