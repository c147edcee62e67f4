package authz

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

// cacheCheckRequests are requests over the fixture roles that go through
// every path of decideIndices: wildcards over indices, aliases and data
// streams, explicit names known and unknown, exclusions, date math, the
// options, unknown and repeated role names.
func cacheCheckRequests(t *testing.T) []Request {
	t.Helper()
	users := fixtureUsers(t)
	var roleSets [][]string
	for _, u := range slices.Sorted(func(yield func(string) bool) {
		for u := range users {
			if !yield(u) {
				return
			}
		}
	}) {
		roleSets = append(roleSets, users[u])
	}
	roleSets = append(roleSets, []string{"star_reader"}, []string{"stream_reader", "year_alias"},
		[]string{"year_alias", "stream_reader"}, []string{"regex_reader", "search_only", "regex_reader"},
		[]string{"security_reader", "acme_reader", "globex_reader"}, []string{"kibana_like", "hr_fls"},
		[]string{"no_such_role"}, []string{"acme_reader", "no_such_role"}, nil)
	exprs := [][]string{nil, {"_all"}, {"*"}, {"logs-*"}, {"logs-*", "-logs-acme*"}, {"hr-payroll"},
		{"logs-acme-2024", "hr-payroll"}, {"logs-acme-2024", "logs-globex-2024"}, {"<logs-{now/d}>"}, {".ds-payroll-stream-*"},
		{"payroll-stream"}, {"everything"}, {"logs-all"}, {"logs-zzz"}, {".s*"}, {"logs-acme-2024::failures"}, {"*:*"}}
	actions := []string{search, get, indexDoc, delIndex, mappings, "indices:data/write/bulk", "indices:monitor/stats"}
	options := []IndicesOptions{{ExpandWildcards: ExpandOpen}, {ExpandWildcards: ExpandOpen | ExpandHidden | ExpandClosed},
		{ExpandWildcards: ExpandOpen, IgnoreUnavailable: true, ForbidNoIndices: true}}
	var reqs []Request
	for i, roles := range roleSets {
		for j, ex := range exprs {
			for k, action := range actions {
				reqs = append(reqs, Request{User: "u", Roles: roles, Action: action, Indices: ex,
					Options: options[(i+j+k)%len(options)]})
			}
		}
	}
	return reqs
}

// TestCachesDoNotChangeDecisions decides the same requests with one
// long-lived evaluator, whose caches fill up and see the metadata snapshot
// change back and forth, and with a new evaluator per request (empty
// caches): the decisions must be equal.
func TestCachesDoNotChangeDecisions(t *testing.T) {
	warm := fixtureEvaluator(t, extraRoles)
	mds := []*Metadata{seedMetadata(), richMetadata(), NewMetadata(seedIndices()[1:], nil, nil), nil}
	clock := WithClock(func() time.Time { return fixtureNow })
	for round := range 2 {
		for i, req := range cacheCheckRequests(t) {
			req.Metadata = mds[(i+round)%len(mds)]
			want := NewEvaluator(warm.roles, clock).Decide(req)
			if got := warm.Decide(req); !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, %+v:\nwarm caches: %+v\nno cache:    %+v", round, req, got, want)
			}
			if got := warm.Subject(req.User, req.Roles).Decide(req); !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, subject, %+v:\nwarm caches: %+v\nno cache:    %+v", round, req, got, want)
			}
		}
	}
}

// TestAccessOfIndicesMatchesGeneralCase checks the shortcut for entries
// that are distinct concrete indices against the general computation.
func TestAccessOfIndicesMatchesGeneralCase(t *testing.T) {
	e := fixtureEvaluator(t, extraRoles)
	shortcuts := 0
	for _, md := range []*Metadata{seedMetadata(), richMetadata()} {
		for _, req := range cacheCheckRequests(t) {
			groups := e.Subject(req.User, req.Roles).grantee.groupsFor(req.Action)
			for _, cached := range []bool{false, true} {
				r := &resolver{md: md, opts: req.Options, groups: groups, clock: e.now}
				if c := e.grantsCache(md); cached && c != nil {
					for _, g := range groups {
						r.groupBits = append(r.groupBits, c.bits(g))
					}
				}
				r.run(req.Indices)
				entries := r.result()
				got, ok := r.accessOfIndices(entries)
				if !ok {
					continue
				}
				shortcuts++
				if want := r.accessOfNames(entries); !reflect.DeepEqual(got, want) {
					t.Fatalf("%+v: shortcut %+v, general %+v", req, got, want)
				}
			}
		}
	}
	if shortcuts < 100 {
		t.Fatalf("the shortcut was taken %d times only: the test does not exercise it", shortcuts)
	}
}

// TestAccessOfIndicesSharesOnlyReadOnly: entries granted by the same groups
// share queries, which must leave no room for an append to write into a
// neighbour's.
func TestAccessOfIndicesSharesOnlyReadOnly(t *testing.T) {
	rs, probs := ParseRoles("roles.yml", []byte(`
a:
  indices:
    - names: ['x-*']
      privileges: [read]
      query: '{"term":{"t":"a"}}'
b:
  indices:
    - names: ['x-*']
      privileges: [read]
      query: '{"term":{"t":"b"}}'
`))
	if len(probs) != 0 {
		t.Fatal(problemStrings(probs))
	}
	md := NewMetadata([]ConcreteIndex{{Name: "x-1"}, {Name: "x-2"}}, nil, nil)
	d := NewEvaluator(rs).Decide(Request{User: "u", Roles: []string{"a", "b"}, Action: search, Indices: []string{"x-*"}, Metadata: md})
	if len(d.Access) != 2 || len(d.Access[0].Queries) != 2 {
		t.Fatalf("access = %+v", d.Access)
	}
	_ = append(d.Access[0].Queries, []byte(`{"match_none":{}}`))
	if got := d.Access[1].Queries; len(got) != 2 || cap(got) != 2 {
		t.Fatalf("x-2's queries = %q (cap %d): shared with room to append", got, cap(got))
	}
}

// TestGrantCacheFollowsMetadata: a new snapshot replaces the evaluator's
// grants; going back to an older one gives its answers again.
func TestGrantCacheFollowsMetadata(t *testing.T) {
	rs, probs := ParseRoles("roles.yml", []byte("r:\n  indices:\n    - names: ['a-*', 'b-1']\n      privileges: [read]\n"))
	if len(probs) != 0 {
		t.Fatal(problemStrings(probs))
	}
	e := NewEvaluator(rs)
	md1 := NewMetadata([]ConcreteIndex{{Name: "a-1"}, {Name: "a-2"}, {Name: "b-1"}, {Name: "c-1"}}, nil, nil)
	md2 := NewMetadata([]ConcreteIndex{{Name: "a-1"}, {Name: "a-3"}, {Name: "b-2"}}, []Alias{{Name: "a-alias", Indices: []string{"b-2"}}}, nil)
	for _, tc := range []struct {
		md   *Metadata
		want []string
	}{
		{md1, []string{"a-1", "a-2", "b-1"}},
		{md2, []string{"a-1", "a-3", "a-alias"}},
		{md1, []string{"a-1", "a-2", "b-1"}},
		{nil, nil},
		{md2, []string{"a-1", "a-3", "a-alias"}},
	} {
		d := e.Decide(Request{User: "u", Roles: []string{"r"}, Action: search, Indices: []string{"*"}, Metadata: tc.md})
		if !d.Allowed || !slices.Equal(d.Indices, tc.want) {
			t.Errorf("%v: allowed %v, indices %v; want %v", tc.md.Names(), d.Allowed, d.Indices, tc.want)
		}
	}
}

// TestRoleStoreReloadDropsCaches: decisions after a reload follow the new
// roles, for users already seen with the same role names.
func TestRoleStoreReloadDropsCaches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roles.yml")
	write := func(pattern string) {
		t.Helper()
		if err := os.WriteFile(path, []byte("r:\n  indices:\n    - names: ['"+pattern+"']\n      privileges: [read]\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a-*")
	store, err := NewRoleStore(path, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	md := NewMetadata([]ConcreteIndex{{Name: "a-1"}, {Name: "b-1"}}, nil, nil)
	decide := func() []string {
		d := store.Decide(Request{User: "u", Roles: []string{"r", "other"}, Action: search, Indices: []string{"*"}, Metadata: md})
		if !d.Allowed {
			t.Fatalf("refused: %s", d.Reason)
		}
		return d.Indices
	}
	if got := decide(); !slices.Equal(got, []string{"a-1"}) {
		t.Fatalf("before reload: %v", got)
	}
	write("b-*")
	if changed, err := store.Reload(); !changed || err != nil {
		t.Fatalf("Reload = %v, %v", changed, err)
	}
	if got := decide(); !slices.Equal(got, []string{"b-1"}) {
		t.Fatalf("after reload: %v; want [b-1]", got)
	}
}

// TestRoleSetCacheKeys: lists of role names that differ, even only in how
// the same characters are split into names, never share an entry; the
// same names in another order or repeated resolve to the same roles.
func TestRoleSetCacheKeys(t *testing.T) {
	e := fixtureEvaluator(t, extraRoles)
	for _, tc := range []struct {
		a, b []string
		same bool
	}{
		{[]string{"acme_reader", "globex_reader"}, []string{"acme_readerglobex_reader"}, false},
		{[]string{"ab", "c"}, []string{"a", "bc"}, false},
		{[]string{"a"}, []string{"a", ""}, false},
		{nil, []string{""}, false},
		{[]string{"acme_reader", "globex_reader"}, []string{"globex_reader", "acme_reader"}, true},
		{[]string{"acme_reader"}, []string{"acme_reader", "acme_reader"}, true},
	} {
		if ka, kb := string(roleSetKey(nil, tc.a)), string(roleSetKey(nil, tc.b)); ka == kb {
			t.Errorf("%q and %q share the key %q", tc.a, tc.b, ka)
		}
		ga, gb := e.roleSets.get(e, tc.a), e.roleSets.get(e, tc.b)
		if ga == gb {
			t.Errorf("%q and %q share a cache entry", tc.a, tc.b)
		}
		same := reflect.DeepEqual(ga.effective, gb.effective) && reflect.DeepEqual(ga.missing, gb.missing)
		if same != tc.same {
			t.Errorf("%q: %v %v, %q: %v %v", tc.a, ga.effective, ga.missing, tc.b, gb.effective, gb.missing)
		}
	}
}

// TestRoleSetCacheIsBounded: more distinct role lists than the cache holds
// are all resolved correctly, and the cache stays within its bound.
func TestRoleSetCacheIsBounded(t *testing.T) {
	e := fixtureEvaluator(t, extraRoles)
	md := seedMetadata()
	for i := range maxCachedRoleSets + 10 {
		missing := fmt.Sprintf("missing-%d", i)
		d := e.Decide(Request{User: "u", Roles: []string{"acme_reader", missing}, Action: search, Indices: []string{"logs-acme-2024"}, Metadata: md})
		if !d.Allowed || !slices.Equal(d.MissingRoles, []string{missing}) || !slices.Equal(d.EffectiveRoles, []string{"acme_reader"}) {
			t.Fatalf("%d: %+v", i, d)
		}
	}
	e.roleSets.mu.RLock()
	n := len(e.roleSets.byKey)
	e.roleSets.mu.RUnlock()
	if n == 0 || n > maxCachedRoleSets {
		t.Fatalf("cache holds %d role lists; bound %d", n, maxCachedRoleSets)
	}
}

// TestRoleSetCacheSkipsLongLists: a list of names longer than the cache
// keeps is resolved, and not kept.
func TestRoleSetCacheSkipsLongLists(t *testing.T) {
	e := fixtureEvaluator(t, extraRoles)
	long := []string{"acme_reader", strings.Repeat("x", maxCachedKeyLen)}
	for range 2 {
		d := e.Decide(Request{User: "u", Roles: long, Action: search, Indices: []string{"logs-acme-2024"}, Metadata: seedMetadata()})
		if !d.Allowed || !slices.Equal(d.EffectiveRoles, []string{"acme_reader"}) || !slices.Equal(d.MissingRoles, long[1:]) {
			t.Fatalf("%+v", d)
		}
	}
	e.roleSets.mu.RLock()
	defer e.roleSets.mu.RUnlock()
	if n := len(e.roleSets.byKey); n != 0 {
		t.Fatalf("cache holds %d lists; want none", n)
	}
}

// TestGranteeGroupsPerAction: the groups cached per action are those the
// roles grant it, for more actions than the cache remembers.
func TestGranteeGroupsPerAction(t *testing.T) {
	e := fixtureEvaluator(t, extraRoles)
	g := e.roleSets.get(e, []string{"kibana_like", "hr_fls", "acme_reader"})
	actions := []string{search, get, indexDoc, delIndex, mappings}
	for i := range maxGranteeActions + 5 {
		actions = append(actions, fmt.Sprintf("indices:data/read/x%d", i))
	}
	for range 2 {
		for _, action := range actions {
			var want []*compiledGroup
			for _, r := range g.roles {
				want = append(want, r.groupsFor(action)...)
			}
			if got := g.groupsFor(action); !slices.Equal(got, want) {
				t.Fatalf("%s: %d groups, want %d", action, len(got), len(want))
			}
		}
	}
	if n := len(*g.byAction.Load()); n != maxGranteeActions {
		t.Fatalf("%d actions cached; bound %d", n, maxGranteeActions)
	}
}

// TestConcurrentDecisions shares one evaluator between goroutines while the
// metadata snapshot changes (run with -race).
func TestConcurrentDecisions(t *testing.T) {
	e := fixtureEvaluator(t, extraRoles)
	mds := []*Metadata{seedMetadata(), richMetadata()}
	reqs := cacheCheckRequests(t)
	want := make([]Decision, len(reqs))
	for i := range reqs {
		reqs[i].Metadata = mds[i%2]
		want[i] = NewEvaluator(e.roles, WithClock(func() time.Time { return fixtureNow })).Decide(reqs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := range reqs {
				j := (i + w*len(reqs)/4) % len(reqs)
				if got := e.Decide(reqs[j]); !reflect.DeepEqual(got, want[j]) {
					errs <- fmt.Sprintf("%+v: %+v, want %+v", reqs[j], got, want[j])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(strings.TrimSpace(msg))
	}
}
