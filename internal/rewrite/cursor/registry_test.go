package cursor

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for registry tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestRegistry(limits RegistryLimits) (*MemoryRegistry, *fakeClock) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	return NewMemoryRegistry(limits, clock.Now), clock
}

func listIDs(t *testing.T, r Registry, owner Owner, kind Kind) []string {
	t.Helper()
	es, err := r.List(context.Background(), owner, kind)
	if err != nil {
		t.Fatal(err)
	}
	return UpstreamIDs(es)
}

func mustAdd(t *testing.T, r Registry, owner Owner, e Entry) {
	t.Helper()
	if err := r.Add(context.Background(), owner, e); err != nil {
		t.Fatal(err)
	}
}

func TestRegistryListsOwnEntriesOfAKind(t *testing.T) {
	r, _ := newTestRegistry(RegistryLimits{})
	mustAdd(t, r, alice, Entry{Kind: KindScroll, UpstreamID: "s2", Token: "t-s2", KeepAlive: 2 * time.Minute})
	mustAdd(t, r, alice, Entry{Kind: KindScroll, UpstreamID: "s1", Token: "t-s1", KeepAlive: time.Minute})
	mustAdd(t, r, alice, Entry{Kind: KindPIT, UpstreamID: "p1", Token: "t-p1"})
	mustAdd(t, r, bob, Entry{Kind: KindScroll, UpstreamID: "s3", Token: "t-s3"})
	mustAdd(t, r, aliceOIDC, Entry{Kind: KindScroll, UpstreamID: "s4", Token: "t-s4"})
	tests := []struct {
		owner Owner
		kind  Kind
		want  []string
	}{
		{alice, KindScroll, []string{"s1", "s2"}},
		{alice, KindPIT, []string{"p1"}},
		{alice, KindAsync, []string{}},
		{bob, KindScroll, []string{"s3"}},
		{aliceOIDC, KindScroll, []string{"s4"}},
		{aliceOtherFR, KindScroll, []string{}},
	}
	for _, tt := range tests {
		if got := listIDs(t, r, tt.owner, tt.kind); !slices.Equal(got, tt.want) {
			t.Errorf("List(%v, %s) = %v, want %v", tt.owner, tt.kind, got, tt.want)
		}
	}
	es, _ := r.List(context.Background(), alice, KindScroll)
	if m := TokensByUpstreamID(es); len(m) != 2 || m["s1"] != "t-s1" || m["s2"] != "t-s2" {
		t.Errorf("TokensByUpstreamID = %v", m)
	}
	if err := r.Remove(context.Background(), alice, KindScroll, "s1", "s3", "unknown"); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, r, alice, KindScroll); !slices.Equal(got, []string{"s2"}) {
		t.Errorf("after Remove, alice holds %v", got)
	}
	if got := listIDs(t, r, bob, KindScroll); !slices.Equal(got, []string{"s3"}) {
		t.Errorf("alice's Remove touched bob's entry: %v", got)
	}
}

func TestRegistryExpiry(t *testing.T) {
	r, clock := newTestRegistry(RegistryLimits{})
	mustAdd(t, r, alice, Entry{Kind: KindScroll, UpstreamID: "short", Token: "t1", KeepAlive: time.Minute})
	mustAdd(t, r, alice, Entry{Kind: KindScroll, UpstreamID: "default", Token: "t2"})
	mustAdd(t, r, alice, Entry{Kind: KindScroll, UpstreamID: "refreshed", Token: "t3", KeepAlive: time.Minute})

	es, _ := r.List(context.Background(), alice, KindScroll)
	if want := clock.Now().Add(DefaultKeepAlive); !es[len(es)-1].Expires.Equal(want) || es[len(es)-1].UpstreamID != "default" {
		t.Fatalf("entry without keep-alive: %+v, want expiry %v", es[len(es)-1], want)
	}

	clock.Advance(50 * time.Second)
	// A later page without keep-alive refreshes with the previous one,
	// and the newest token replaces the old.
	mustAdd(t, r, alice, Entry{Kind: KindScroll, UpstreamID: "refreshed", Token: "t3b"})
	clock.Advance(20 * time.Second)
	if got := listIDs(t, r, alice, KindScroll); !slices.Equal(got, []string{"refreshed", "default"}) {
		t.Fatalf("after 70s: %v", got)
	}
	es, _ = r.List(context.Background(), alice, KindScroll)
	if es[0].Token != "t3b" || es[0].KeepAlive != time.Minute {
		t.Errorf("refreshed entry = %+v", es[0])
	}
	clock.Advance(DefaultKeepAlive)
	if got := listIDs(t, r, alice, KindScroll); len(got) != 0 {
		t.Fatalf("after the keep-alives: %v", got)
	}
	if r.Len() != 0 {
		t.Errorf("Len = %d after expiry", r.Len())
	}
}

func TestRegistryBounds(t *testing.T) {
	t.Run("per owner evicts the owner's soonest expiry", func(t *testing.T) {
		r, _ := newTestRegistry(RegistryLimits{MaxPerOwner: 3, MaxTotal: 100})
		for i, ka := range []time.Duration{3, 1, 2} {
			mustAdd(t, r, alice, Entry{Kind: KindScroll, UpstreamID: fmt.Sprint("a", i), Token: "t", KeepAlive: ka * time.Minute})
		}
		mustAdd(t, r, bob, Entry{Kind: KindScroll, UpstreamID: "b0", Token: "t", KeepAlive: time.Second})
		mustAdd(t, r, alice, Entry{Kind: KindPIT, UpstreamID: "a3", Token: "t", KeepAlive: 10 * time.Minute})
		if got := listIDs(t, r, alice, KindScroll); !slices.Equal(got, []string{"a2", "a0"}) {
			t.Errorf("alice's scrolls = %v, want a1 evicted", got)
		}
		if got := listIDs(t, r, bob, KindScroll); !slices.Equal(got, []string{"b0"}) {
			t.Errorf("bob's entry evicted by alice's bound: %v", got)
		}
	})
	t.Run("total evicts the soonest expiry of anyone", func(t *testing.T) {
		r, _ := newTestRegistry(RegistryLimits{MaxPerOwner: 10, MaxTotal: 3})
		mustAdd(t, r, alice, Entry{Kind: KindScroll, UpstreamID: "a0", Token: "t", KeepAlive: 5 * time.Minute})
		mustAdd(t, r, bob, Entry{Kind: KindScroll, UpstreamID: "b0", Token: "t", KeepAlive: time.Minute})
		mustAdd(t, r, alice, Entry{Kind: KindScroll, UpstreamID: "a1", Token: "t", KeepAlive: 3 * time.Minute})
		mustAdd(t, r, alice, Entry{Kind: KindScroll, UpstreamID: "a2", Token: "t", KeepAlive: 4 * time.Minute})
		if r.Len() != 3 {
			t.Errorf("Len = %d, want 3", r.Len())
		}
		if got := listIDs(t, r, bob, KindScroll); len(got) != 0 {
			t.Errorf("bob's soonest entry not evicted: %v", got)
		}
		if got := listIDs(t, r, alice, KindScroll); !slices.Equal(got, []string{"a1", "a2", "a0"}) {
			t.Errorf("alice's scrolls = %v", got)
		}
	})
	t.Run("many owners stay within the total", func(t *testing.T) {
		r, _ := newTestRegistry(RegistryLimits{MaxPerOwner: 2, MaxTotal: 50})
		for i := range 500 {
			o := Owner{Username: fmt.Sprint("u", i%100), RealmType: "file", Realm: "f"}
			mustAdd(t, r, o, Entry{Kind: KindPIT, UpstreamID: fmt.Sprint("p", i), Token: "t", KeepAlive: time.Duration(i+1) * time.Second})
			if r.Len() > 50 {
				t.Fatalf("Len = %d after %d adds", r.Len(), i+1)
			}
		}
	})
}

func TestRegistryRefusesIncompleteEntries(t *testing.T) {
	r, _ := newTestRegistry(RegistryLimits{})
	tests := []struct {
		name  string
		owner Owner
		entry Entry
	}{
		{"no kind", alice, Entry{UpstreamID: "x", Token: "t"}},
		{"no id", alice, Entry{Kind: KindScroll, Token: "t"}},
		{"no token", alice, Entry{Kind: KindScroll, UpstreamID: "x"}},
		{"no owner", Owner{}, Entry{Kind: KindScroll, UpstreamID: "x", Token: "t"}},
		{"negative keep-alive", alice, Entry{Kind: KindScroll, UpstreamID: "x", Token: "t", KeepAlive: -time.Second}},
	}
	for _, tt := range tests {
		if err := r.Add(context.Background(), tt.owner, tt.entry); err == nil {
			t.Errorf("%s: Add accepted %+v", tt.name, tt.entry)
		}
	}
	if r.Len() != 0 {
		t.Errorf("Len = %d", r.Len())
	}
}

func TestRegistryConcurrentUse(t *testing.T) {
	r, clock := newTestRegistry(RegistryLimits{MaxPerOwner: 20, MaxTotal: 100})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := Owner{Username: fmt.Sprint("u", g), RealmType: "file", Realm: "f"}
			for i := range 200 {
				id := fmt.Sprint("id", i)
				_ = r.Add(context.Background(), o, Entry{Kind: KindScroll, UpstreamID: id, Token: "t", KeepAlive: time.Minute})
				_, _ = r.List(context.Background(), o, KindScroll)
				if i%3 == 0 {
					_ = r.Remove(context.Background(), o, KindScroll, id)
				}
				clock.Advance(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if r.Len() > 100 {
		t.Errorf("Len = %d beyond the bound", r.Len())
	}
}
