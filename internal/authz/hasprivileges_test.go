package authz

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

const hasPrivilegesRoles = `
logs_reader:
  cluster: [monitor]
  indices:
    - names: ['logs-*']
      privileges: [read]
logs_writer:
  indices:
    - names: ['logs-*']
      privileges: [write, view_index_metadata]
split:
  indices:
    - names: ['app-a*']
      privileges: [read]
    - names: ['app-b*']
      privileges: [read]
manager:
  cluster: [manage, 'cluster:admin/xpack/security/user/get']
  indices:
    - names: ['metrics-*', 'events']
      privileges: [manage]
    - names: ['/regex-[0-9]+/']
      privileges: [read]
raw_actions:
  cluster: ['cluster:monitor/health']
  indices:
    - names: ['raw-*']
      privileges: ['indices:data/read/search', 'indices:data/read/get']
everything:
  indices:
    - names: ['*']
      privileges: [all]
restricted_reader:
  indices:
    - names: ['*']
      privileges: [read]
      allow_restricted_indices: true
own_keys:
  cluster: [manage_own_api_key]
`

func hasPrivilegesSubject(t *testing.T, roles ...string) *Subject {
	t.Helper()
	rs, probs := ParseRoles("roles.yml", []byte(hasPrivilegesRoles))
	if len(probs) > 0 {
		t.Fatalf("roles: %v", probs)
	}
	return NewEvaluator(rs).Subject("alice", roles)
}

func TestHasPrivilegesIndex(t *testing.T) {
	tests := []struct {
		name       string
		roles      []string
		index      string
		privilege  string
		restricted bool
		want       bool
	}{
		{"concrete name under the pattern", []string{"logs_reader"}, "logs-2024", "read", false, true},
		{"the same pattern", []string{"logs_reader"}, "logs-*", "read", false, true},
		{"a narrower pattern", []string{"logs_reader"}, "logs-2024-*", "read", false, true},
		{"a question mark inside the pattern", []string{"logs_reader"}, "logs-202?", "read", false, true},
		{"everything", []string{"logs_reader"}, "*", "read", false, false},
		{"a wider pattern", []string{"logs_reader"}, "log*", "read", false, false},
		{"a name outside", []string{"logs_reader"}, "metrics-1", "read", false, false},
		{"a privilege the role lacks", []string{"logs_reader"}, "logs-2024", "write", false, false},
		{"a privilege implied by read", []string{"logs_reader"}, "logs-*", "indices:data/read/search", false, true},
		{"an action pattern implied by read", []string{"logs_reader"}, "logs-*", "indices:data/read/*", false, true},
		{"an action pattern wider than read", []string{"logs_reader"}, "logs-*", "indices:data/*", false, false},
		{"read implied by all", []string{"everything"}, "anything", "read", false, true},
		{"monitor implied by manage", []string{"manager"}, "metrics-x", "monitor", false, true},
		{"read not implied by manage", []string{"manager"}, "metrics-x", "read", false, false},
		{"exact name in a group", []string{"manager"}, "events", "manage", false, true},
		{"pattern over an exact name", []string{"manager"}, "event*", "manage", false, false},
		{"regex role, concrete name", []string{"manager"}, "regex-42", "read", false, true},
		{"regex role, concrete name outside", []string{"manager"}, "regex-x", "read", false, false},
		{"regex role, pattern: fail closed", []string{"manager"}, "regex-4*", "read", false, false},
		{"regex in the check: fail closed", []string{"everything"}, "/logs-.*/", "read", false, false},
		{"union of two roles' privileges", []string{"logs_reader", "logs_writer"}, "logs-*", "read", false, true},
		{"union across roles: read + write ⊉ all", []string{"logs_reader", "logs_writer"}, "logs-*", "all", false, false},
		{"union across roles covers index", []string{"logs_reader", "logs_writer"}, "logs-1", "index", false, true},
		{"a pattern split across groups is covered by neither", []string{"split"}, "app-*", "read", false, false},
		{"each half is covered", []string{"split"}, "app-b*", "read", false, true},
		{"raw actions in the role", []string{"raw_actions"}, "raw-1", "indices:data/read/search", false, true},
		{"raw actions cover sub-actions", []string{"raw_actions"}, "raw-1", "indices:data/read/search[phase/query]", false, true},
		{"raw actions are not read", []string{"raw_actions"}, "raw-1", "read", false, false},
		{"none is held where a group covers", []string{"logs_reader"}, "logs-1", "none", false, true},
		{"none is not held elsewhere", []string{"logs_reader"}, "other", "none", false, false},
		{"no roles", nil, "logs-1", "read", false, false},
		// Restricted indices.
		{"* without restricted covers * minus restricted", []string{"everything"}, "*", "all", false, true},
		{"* asked with restricted is not covered", []string{"everything"}, "*", "read", true, false},
		{"a concrete restricted name needs the flag in the role", []string{"everything"}, ".security-7", "read", false, false},
		{"the flag in the role covers it", []string{"restricted_reader"}, ".security-7", "read", false, true},
		{"the role's flag covers * with restricted", []string{"restricted_reader"}, "*", "read", true, true},
		{"a pattern wholly restricted is trivially held", []string{"logs_reader"}, ".security*", "all", false, true},
		{"unless restricted indices are asked for", []string{"logs_reader"}, ".security*", "read", true, false},
		{"a pattern partly restricted", []string{"everything"}, ".sec*", "read", false, true},
		{"a pattern partly restricted with the flag", []string{"everything"}, ".sec*", "read", true, false},
		{"kibana pattern with the flag and the flag in the role", []string{"restricted_reader"}, ".kibana*", "read", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := hasPrivilegesSubject(t, tt.roles...)
			res, err := s.HasPrivileges(PrivilegesCheck{Index: []IndexPrivilegesCheck{{
				Names: []string{tt.index}, Privileges: []string{tt.privilege}, AllowRestrictedIndices: tt.restricted}}})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Index[tt.index][tt.privilege]; got != tt.want {
				t.Errorf("%s on %q = %v, want %v", tt.privilege, tt.index, got, tt.want)
			}
			if res.HasAllRequested != tt.want {
				t.Errorf("has_all_requested = %v, want %v", res.HasAllRequested, tt.want)
			}
		})
	}
}

func TestHasPrivilegesCluster(t *testing.T) {
	tests := []struct {
		name      string
		roles     []string
		privilege string
		want      bool
	}{
		{"named privilege held", []string{"logs_reader"}, "monitor", true},
		{"case-insensitive", []string{"logs_reader"}, "MONITOR", true},
		{"action under it", []string{"logs_reader"}, "cluster:monitor/health", true},
		{"action pattern under it", []string{"logs_reader"}, "cluster:monitor/*", true},
		{"wider than held", []string{"logs_reader"}, "manage", false},
		{"monitor implied by manage", []string{"manager"}, "monitor", true},
		{"manage minus security does not imply all", []string{"manager"}, "all", false},
		{"manage does not cover security", []string{"manager"}, "manage_security", false},
		{"raw action in another role's list", []string{"manager"}, "cluster:admin/xpack/security/user/get", true},
		{"union of manage and a raw security action", []string{"manager"}, "cluster:admin/xpack/security/user/*", false},
		{"raw health covers health only", []string{"raw_actions"}, "cluster:monitor/health", true},
		{"raw health is not monitor", []string{"raw_actions"}, "monitor", false},
		{"none is always held", nil, "none", true},
		{"request-dependent privilege named by a role", []string{"own_keys"}, "manage_own_api_key", true},
		{"request-dependent privilege not implied by manage", []string{"manager"}, "manage_own_api_key", false},
		{"no roles", nil, "monitor", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := hasPrivilegesSubject(t, tt.roles...).HasPrivileges(PrivilegesCheck{Cluster: []string{tt.privilege}})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Cluster[tt.privilege]; got != tt.want {
				t.Errorf("%s = %v, want %v", tt.privilege, got, tt.want)
			}
		})
	}
}

func TestHasPrivilegesAnswerShape(t *testing.T) {
	s := hasPrivilegesSubject(t, "logs_reader")
	res, err := s.HasPrivileges(PrivilegesCheck{
		Cluster: []string{"monitor"},
		Index: []IndexPrivilegesCheck{
			{Names: []string{"logs-1", "*"}, Privileges: []string{"read", "view_index_metadata"}},
			{Names: []string{"logs-1"}, Privileges: []string{"read"}},
		},
		Application: []ApplicationPrivilegesCheck{{Application: "kibana-.kibana", Privileges: []string{"read"}, Resources: []string{"*"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"username":"alice","has_all_requested":false,"cluster":{"monitor":true},` +
		`"index":{"*":{"read":false,"view_index_metadata":false},"logs-1":{"read":true,"view_index_metadata":false}},` +
		`"application":{"kibana-.kibana":{"*":{"read":false}}}}`
	if string(got) != want {
		t.Errorf("answer\n got %s\nwant %s", got, want)
	}
}

func TestHasPrivilegesAllHeld(t *testing.T) {
	res, err := hasPrivilegesSubject(t, "logs_reader").HasPrivileges(PrivilegesCheck{
		Cluster: []string{"monitor"}, Index: []IndexPrivilegesCheck{{Names: []string{"logs-*"}, Privileges: []string{"read"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.HasAllRequested {
		t.Errorf("has_all_requested = false, want true: %+v", res)
	}
}

func TestHasPrivilegesErrors(t *testing.T) {
	s := hasPrivilegesSubject(t, "logs_reader")
	if _, err := s.HasPrivileges(PrivilegesCheck{}); !errors.Is(err, ErrNoPrivilegeRequested) {
		t.Errorf("empty check: err = %v", err)
	}
	var pe *PrivilegeNameError
	if _, err := s.HasPrivileges(PrivilegesCheck{Cluster: []string{"bogus"}}); !errors.As(err, &pe) ||
		pe.Message != unknownClusterPrivilegeMessage("bogus") {
		t.Errorf("unknown cluster privilege: err = %v", err)
	}
	if _, err := s.HasPrivileges(PrivilegesCheck{Index: []IndexPrivilegesCheck{{Names: []string{"x"}, Privileges: []string{"Bogus"}}}}); !errors.As(err, &pe) ||
		pe.Message != unknownIndexPrivilegeMessage("bogus") {
		t.Errorf("unknown index privilege: err = %v", err)
	}
}

func TestGlobSubset(t *testing.T) {
	term := func(inc []string, exc ...string) globTerm { return newGlobTerm(inc, exc) }
	tests := []struct {
		name string
		a, b globSet
		want bool
	}{
		{"equal", globSet{term([]string{"a*"})}, globSet{term([]string{"a*"})}, true},
		{"narrower", globSet{term([]string{"ab*"})}, globSet{term([]string{"a*"})}, true},
		{"wider", globSet{term([]string{"a*"})}, globSet{term([]string{"ab*"})}, false},
		{"inner star", globSet{term([]string{"a*c"})}, globSet{term([]string{"a*"})}, true},
		{"inner star not covered by suffix", globSet{term([]string{"a*"})}, globSet{term([]string{"a*c"})}, false},
		{"union covers", globSet{term([]string{"a*"})}, globSet{term([]string{"ab*"}), term([]string{"a"}), term([]string{"a?*"})}, true},
		{"question mark", globSet{term([]string{"a?"})}, globSet{term([]string{"a*"})}, true},
		{"exclusion breaks cover", globSet{term([]string{"*"})}, globSet{term([]string{"*"}, "x*")}, false},
		{"excluded part not asked", globSet{term([]string{"y*"})}, globSet{term([]string{"*"}, "x*")}, true},
		{"minus on both sides", globSet{term([]string{"*"}, "x*")}, globSet{term([]string{"*"}, "x*")}, true},
		{"empty set is a subset", nil, globSet{term([]string{"a"})}, true},
		{"nothing but the excluded", globSet{term([]string{"x1*"}, "x*")}, nil, true},
		{"escaped star is literal", globSet{term([]string{`a\*`})}, globSet{term([]string{"a?"})}, true},
		{"literal star does not cover", globSet{term([]string{"a?"})}, globSet{term([]string{`a\*`})}, false},
		{"unicode", globSet{term([]string{"é*"})}, globSet{term([]string{"?*"})}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, decided := globSubset(tt.a, tt.b, newGlobBudget())
			if !decided {
				t.Fatal("undecided")
			}
			if got != tt.want {
				t.Errorf("subset = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestGlobSubsetAgainstEnumeration compares globSubset with brute force
// over every short name, for random small patterns: a counterexample found
// by enumeration must make the answer false, and every "false" must come
// with a counterexample (the breadth-first search finds the shortest, and
// these patterns' shortest counterexamples are short).
func TestGlobSubsetAgainstEnumeration(t *testing.T) {
	const tokens = "ab*?"
	rnd := rand.New(rand.NewPCG(1, 2))
	pattern := func() string {
		n := 1 + rnd.IntN(4)
		b := make([]byte, n)
		for i := range b {
			b[i] = tokens[rnd.IntN(len(tokens))]
		}
		return string(b)
	}
	var names []string
	var grow func(prefix string)
	grow = func(prefix string) {
		names = append(names, prefix)
		if len(prefix) < 7 {
			for _, c := range "abc" {
				grow(prefix + string(c))
			}
		}
	}
	grow("")
	for i := 0; i < 300; i++ {
		a := globSet{newGlobTerm([]string{pattern()}, nil)}
		b := globSet{newGlobTerm([]string{pattern(), pattern()}, []string{pattern()})}
		got, decided := globSubset(a, b, newGlobBudget())
		if !decided {
			t.Fatalf("undecided for %v ⊆ %v", a, b)
		}
		counter := ""
		found := false
		for _, n := range names {
			inA := anyWildcardMatches(a[0].include, n)
			inB := anyWildcardMatches(b[0].include, n) && !anyWildcardMatches(b[0].exclude, n)
			if inA && !inB {
				counter, found = n, true
				break
			}
		}
		if got == found {
			t.Errorf("case %d: subset=%v but counterexample found=%v (%q)", i, got, found, counter)
		}
	}
}

// TestGlobSubsetGivesUp: a check whose automaton would need too many states
// is undecided and answers false (fail closed).
func TestGlobSubsetGivesUp(t *testing.T) {
	exclude := "*a" + strings.Repeat("?", 20) // "an a 21 characters from the end": 2^21 states
	a, b := globSet{newGlobTerm([]string{"*"}, []string{exclude})}, globSet{newGlobTerm([]string{"*"}, []string{exclude})}
	got, decided := globSubset(a, b, newGlobBudget())
	if decided || got {
		t.Errorf("subset=%v decided=%v, want an undecided false", got, decided)
	}
	// The request's budget is shared: once spent, even easy checks give up.
	budget := &globBudget{states: 3}
	if got, decided := globSubset(globSet{newGlobTerm([]string{"abcdef"}, nil)}, globSet{newGlobTerm([]string{"abc*"}, nil)}, budget); decided || got {
		t.Errorf("with a spent budget: subset=%v decided=%v, want an undecided false", got, decided)
	}
}

// TestHasPrivilegesHostilePatternIsBounded: a checked pattern built to
// explode the automaton answers false, quickly.
func TestHasPrivilegesHostilePatternIsBounded(t *testing.T) {
	// Patterns whose subset check explodes exhaust the per-request state
	// budget and answer false (fail closed) instead of running unbounded;
	// the cost is measured in the benchmarks, not asserted here.
	s := hasPrivilegesSubject(t, "logs_reader", "split", "manager", "everything")
	hostile := "*a" + strings.Repeat("?", 24)
	names := []string{hostile, hostile + "b", hostile + "c", hostile + "d"}
	res, err := s.HasPrivileges(PrivilegesCheck{Index: []IndexPrivilegesCheck{{Names: names, Privileges: []string{"read", "write", "monitor"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if res.Index[n]["read"] || res.Index[n]["write"] {
			t.Errorf("hostile pattern %q granted: %+v", n, res.Index[n])
		}
	}
}
