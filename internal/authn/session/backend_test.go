package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"testing"
	"time"
)

// backends returns the backends under test: memory always, Redis when
// REDIS_ADDR names a server (scripts/redis.sh); SESSION_REDIS_REQUIRED=1
// turns a missing Redis into a failure.
func backends(t *testing.T) map[string]func(t *testing.T) Backend {
	t.Helper()
	out := map[string]func(t *testing.T) Backend{
		"memory": func(t *testing.T) Backend { return NewMemory(nil) },
	}
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		if os.Getenv("SESSION_REDIS_REQUIRED") == "1" {
			t.Fatal("SESSION_REDIS_REQUIRED=1 but REDIS_ADDR is not set (scripts/redis.sh start)")
		}
		t.Log("REDIS_ADDR not set: Redis backend not tested")
		return out
	}
	out["redis"] = func(t *testing.T) Backend { return newTestRedis(t, addr, randomPrefix(t)) }
	return out
}

func newTestRedis(t *testing.T, addr, prefix string) *Redis {
	t.Helper()
	r, err := NewRedis(RedisOptions{Address: addr, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Ping(context.Background()); err != nil {
		t.Fatalf("redis at %s: %v", addr, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func randomPrefix(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "portcullis-test:" + hex.EncodeToString(b) + ":"
}

func TestBackendRecords(t *testing.T) {
	ctx := context.Background()
	for name, mk := range backends(t) {
		t.Run(name, func(t *testing.T) {
			b := mk(t)
			base := time.Now()
			for i, k := range []string{"k1", "k2", "k3"} {
				rec := Record{Key: k, Sealed: []byte("v-" + k), TTL: time.Minute, Owner: "alice", CreatedAt: base.Add(time.Duration(i) * time.Second), IndexTTL: time.Hour}
				if k == "k2" {
					rec.SID = "sid-1"
				}
				if err := b.Create(ctx, rec); err != nil {
					t.Fatal(err)
				}
			}
			v, ttl, err := b.Get(ctx, "k2")
			if err != nil || string(v) != "v-k2" || ttl <= 0 || ttl > time.Minute {
				t.Fatalf("Get = %q %v %v", v, ttl, err)
			}
			if _, _, err := b.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("missing key: %v", err)
			}
			owned, err := b.Owned(ctx, "alice")
			if err != nil || !slices.Equal(owned, []string{"k1", "k2", "k3"}) {
				t.Fatalf("Owned = %v %v (want oldest first)", owned, err)
			}
			sids, err := b.BySID(ctx, "sid-1")
			if err != nil || !slices.Equal(sids, []string{"k2"}) {
				t.Fatalf("BySID = %v %v", sids, err)
			}
			if err := b.Delete(ctx, "k1", "k2", "unknown"); err != nil {
				t.Fatal(err)
			}
			owned, _ = b.Owned(ctx, "alice")
			sids, _ = b.BySID(ctx, "sid-1")
			if !slices.Equal(owned, []string{"k3"}) || len(sids) != 0 {
				t.Fatalf("after delete: owned %v sids %v", owned, sids)
			}
		})
	}
}

func TestBackendExpiryAndTouch(t *testing.T) {
	ctx := context.Background()
	for name, mk := range backends(t) {
		t.Run(name, func(t *testing.T) {
			b := mk(t)
			for _, k := range []string{"short", "touched"} {
				if err := b.Create(ctx, Record{Key: k, Sealed: []byte("x"), TTL: 300 * time.Millisecond, Owner: "o", CreatedAt: time.Now(), IndexTTL: time.Hour}); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Touch(ctx, "touched", 5*time.Second); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
			if _, _, err := b.Get(ctx, "short"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("expired record still there: %v", err)
			}
			if _, ttl, err := b.Get(ctx, "touched"); err != nil || ttl < 4*time.Second {
				t.Fatalf("touched record: ttl %v err %v", ttl, err)
			}
			if owned, _ := b.Owned(ctx, "o"); !slices.Equal(owned, []string{"touched"}) {
				t.Fatalf("Owned lists expired records: %v", owned)
			}
		})
	}
}

// TestBackendClaim: of the claims of one key, only the first succeeds,
// until the claim expires; keys are independent.
func TestBackendClaim(t *testing.T) {
	ctx := context.Background()
	for name, mk := range backends(t) {
		t.Run(name, func(t *testing.T) {
			b := mk(t)
			for i, want := range []bool{true, false, false} {
				if first, err := b.Claim(ctx, "jti-1", 300*time.Millisecond); err != nil || first != want {
					t.Fatalf("claim %d of jti-1: %v %v, want %v", i+1, first, err, want)
				}
			}
			if first, err := b.Claim(ctx, "jti-2", time.Minute); err != nil || !first {
				t.Fatalf("claim of another key: %v %v", first, err)
			}
			time.Sleep(500 * time.Millisecond)
			if first, err := b.Claim(ctx, "jti-1", time.Minute); err != nil || !first {
				t.Fatalf("claim after expiry: %v %v", first, err)
			}
			if first, _ := b.Claim(ctx, "jti-2", time.Minute); first {
				t.Fatal("an unexpired claim claimed again")
			}
			// Unclaim: the next claim is first again; others stay claimed.
			if err := b.Unclaim(ctx, "jti-2"); err != nil {
				t.Fatal(err)
			}
			if first, err := b.Claim(ctx, "jti-2", time.Minute); err != nil || !first {
				t.Fatalf("claim after unclaim: %v %v", first, err)
			}
			if first, _ := b.Claim(ctx, "jti-1", time.Minute); first {
				t.Fatal("unclaiming one key released another")
			}
		})
	}
}

func TestBackendLockAndReplace(t *testing.T) {
	ctx := context.Background()
	for name, mk := range backends(t) {
		t.Run(name, func(t *testing.T) {
			b := mk(t)
			if err := b.Create(ctx, Record{Key: "k", Sealed: []byte("v1"), TTL: time.Minute, Owner: "o", CreatedAt: time.Now(), IndexTTL: time.Hour}); err != nil {
				t.Fatal(err)
			}
			l, err := b.Lock(ctx, "k", time.Second)
			if err != nil {
				t.Fatal(err)
			}
			busy, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			if _, err := b.Lock(busy, "k", time.Second); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("second Lock while held: %v", err)
			}
			if err := b.Replace(ctx, "k", []byte("v2"), l); err != nil {
				t.Fatal(err)
			}
			_, ttlAfter, _ := b.Get(ctx, "k")
			if ttlAfter < 50*time.Second {
				t.Fatalf("Replace lost the TTL: %v", ttlAfter)
			}
			if err := l.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if err := b.Replace(ctx, "k", []byte("v3"), l); !errors.Is(err, ErrLeaseLost) {
				t.Fatalf("Replace after Release: %v", err)
			}
			v, _, _ := b.Get(ctx, "k")
			if string(v) != "v2" {
				t.Fatalf("value = %q", v)
			}
			l2, err := b.Lock(ctx, "k", time.Second)
			if err != nil {
				t.Fatalf("Lock after Release: %v", err)
			}
			_ = b.Delete(ctx, "k")
			if err := b.Replace(ctx, "k", []byte("v4"), l2); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Replace of a deleted record: %v", err)
			}
			_ = l2.Release(ctx)
		})
	}
}

// TestRedisLeaseRenewalAndFencing: a held lease outlives its TTL because
// it is renewed; a lease that was lost (its key expired and another
// replica took the lock) cannot write.
func TestRedisLeaseRenewalAndFencing(t *testing.T) {
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		t.Skip("REDIS_ADDR not set")
	}
	ctx := context.Background()
	prefix := randomPrefix(t)
	a, b := newTestRedis(t, addr, prefix), newTestRedis(t, addr, prefix) // two replicas
	if err := a.Create(ctx, Record{Key: "k", Sealed: []byte("v1"), TTL: time.Minute, Owner: "o", CreatedAt: time.Now(), IndexTTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	la, err := a.Lock(ctx, "k", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // three leases long: renewal must keep it
	wait, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(wait, "k", time.Second); err == nil {
		t.Fatal("replica b took a lock replica a still holds")
	}
	// Simulate a lost lease (a long pause): stop renewal, let it expire.
	rl := la.(*redisLease)
	rl.once.Do(func() { close(rl.stop); rl.wg.Wait() })
	time.Sleep(400 * time.Millisecond)
	lb, err := b.Lock(ctx, "k", time.Second)
	if err != nil {
		t.Fatalf("replica b after a's lease expired: %v", err)
	}
	if err := a.Replace(ctx, "k", []byte("stale"), la); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("write with a lost lease: %v", err)
	}
	if err := b.Replace(ctx, "k", []byte("v2"), lb); err != nil {
		t.Fatal(err)
	}
	_ = lb.Release(ctx)
	if v, _, _ := a.Get(ctx, "k"); string(v) != "v2" {
		t.Fatalf("value = %q", v)
	}
}

func TestRedisUnreachable(t *testing.T) {
	r, err := NewRedis(RedisOptions{Address: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, _, err = r.Get(context.Background(), "k")
	if err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("Get on a closed port: %v (must be unavailable, not 'not found')", err)
	}
}
