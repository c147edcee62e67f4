package authn

import (
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// countingMapper is a PrincipalMapper without snapshots: its results must
// never be memoized.
type countingMapper struct{ calls atomic.Int32 }

func (m *countingMapper) Map(p *Principal) []string {
	m.calls.Add(1)
	return []string{"counted_" + p.Username}
}

// TestBearerMemoizedRolesFollowReloads: roles memoized for a cached token
// are reused while the role-mapping snapshot is unchanged, and a reload of
// the role-mapping file changes the roles of the very next request.
func TestBearerMemoizedRolesFollowReloads(t *testing.T) {
	f := newFakeIssuer(t)
	now := time.Now()
	path := filepath.Join(t.TempDir(), "role_mapping.yml")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("readers:\n  enabled: true\n  roles: [reader_v1]\n  rules: {field: {groups: logs-readers}}\n")
	store, ps := NewRoleMapperStore(path)
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	a := newTestBearer(t, f, newBearerClock(now), func(o *BearerOptions) { o.RoleMapper = store })
	tok := signRS256(t, f.key("k1"), "k1", baseClaims(f, now))

	steps := []struct {
		name    string
		mapping string // written and reloaded before the request ("" = no change)
		want    []string
	}{
		{"miss: validated and mapped", "", []string{"reader_v1"}},
		{"hit: memoized roles", "", []string{"reader_v1"}},
		{"hit after a reload: mapped again", "readers:\n  enabled: true\n  roles: [reader_v2]\n  rules: {field: {groups: logs-readers}}\n", []string{"reader_v2"}},
		{"hit after a reload that removes the mapping", "admins:\n  enabled: true\n  roles: [superuser]\n  rules: {field: {groups: admins}}\n", nil},
	}
	for _, s := range steps {
		if s.mapping != "" {
			write(s.mapping)
			if ps := store.Reload(); ps.HasErrors() {
				t.Fatal(ps)
			}
		}
		p, err := authBearer(a, tok)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !slices.Equal(p.Roles, s.want) { // nil and empty are equal
			t.Fatalf("%s: roles %v, want %v", s.name, p.Roles, s.want)
		}
		if a.cache.Len() != 1 {
			t.Fatalf("%s: cache len %d, want 1 (the token stays cached)", s.name, a.cache.Len())
		}
	}
}

// TestBearerMemoizedRolesAreCopies: a caller changing the roles it got
// changes neither the memo nor the next caller's roles.
func TestBearerMemoizedRolesAreCopies(t *testing.T) {
	f := newFakeIssuer(t)
	now := time.Now()
	a := newTestBearer(t, f, newBearerClock(now), nil)
	tok := signRS256(t, f.key("k1"), "k1", baseClaims(f, now))
	want := []string{"logs_reader", "team_a_role", "user_alice-sub"}
	for i := range 3 {
		p, err := authBearer(a, tok)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Roles, want) {
			t.Fatalf("request %d: roles %v, want %v", i, p.Roles, want)
		}
		p.Roles[0] = "superuser"
		p.Roles = append(p.Roles, "tampered")
	}
}

// TestBearerMapperWithoutSnapshotsRunsEveryTime: a mapper that cannot name
// its snapshot is asked on every request, cache hits included.
func TestBearerMapperWithoutSnapshotsRunsEveryTime(t *testing.T) {
	f := newFakeIssuer(t)
	now := time.Now()
	m := &countingMapper{}
	a := newTestBearer(t, f, newBearerClock(now), func(o *BearerOptions) { o.RoleMapper = m })
	tok := signRS256(t, f.key("k1"), "k1", baseClaims(f, now))
	for i := range 3 {
		p, err := authBearer(a, tok)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Roles, []string{"counted_alice-sub"}) {
			t.Fatalf("roles %v", p.Roles)
		}
		if got := m.calls.Load(); got != int32(i+1) {
			t.Fatalf("after %d requests the mapper ran %d times", i+1, got)
		}
	}
}
