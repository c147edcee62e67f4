package authz

import (
	"fmt"
	"slices"
	"testing"
)

// TestCoveredWildcardsGoAsWritten: a wildcard whose every possible
// expansion an unrestricted group grants is forwarded as written once its
// resolved names would not fit a request line; anything that needs the
// resolver (DLS/FLS, a wildcard wider than the grant, exclusions, names
// that may be restricted, short lists) still gets the concrete names, and
// those never include a name outside the grant.
func TestCoveredWildcardsGoAsWritten(t *testing.T) {
	var indices []ConcreteIndex
	for i := range 150 {
		indices = append(indices, ConcreteIndex{Name: fmt.Sprintf("logs-acme-2026.%03d-with-a-long-suffix", i)})
	}
	indices = append(indices, ConcreteIndex{Name: "logs-globex-secret"}, ConcreteIndex{Name: "few-1"}, ConcreteIndex{Name: "few-2"},
		ConcreteIndex{Name: "sys-acme-1", System: true}, ConcreteIndex{Name: "logs-acmesys", System: true})
	md := NewMetadata(indices, []Alias{{Name: "tagged-acme-alias", Indices: []string{"sys-acme-1"}}}, nil)
	rs, probs := ParseRoles("roles.yml", []byte(`
acme:
  indices:
    - names: ["logs-acme-*", "few-*", "tagged-*"]
      privileges: [read]
acme_dls:
  indices:
    - names: ["logs-acme-*"]
      privileges: [read]
      query: '{"term":{"tenant":"acme"}}'
everything:
  indices:
    - names: ["*"]
      privileges: [read]
regexp:
  indices:
    - names: ["/logs-acme-.*/"]
      privileges: [read]
`))
	if probs.HasErrors() {
		t.Fatal(problemStrings(probs))
	}
	e := NewEvaluator(rs)
	acme := func(names []string) bool {
		return !slices.ContainsFunc(names, func(n string) bool { return n == "logs-globex-secret" || n == "logs-acmesys" || n == "sys-acme-1" })
	}
	for _, tc := range []struct {
		name       string
		roles      []string
		indices    []string
		asWritten  bool
		unfiltered bool
	}{
		{"a covered wildcard with too many names", []string{"acme"}, []string{"logs-acme-*"}, true, true},
		{"a narrower covered wildcard", []string{"acme"}, []string{"logs-acme-2026.*"}, true, true},
		{"two covered wildcards", []string{"acme"}, []string{"logs-acme-2026.0*", "logs-acme-2026.1*"}, true, true},
		{"a group granting every name", []string{"everything"}, []string{"logs-acme-2026.*"}, true, true},
		{"a wildcard wider than the grant", []string{"acme"}, []string{"logs-*"}, false, true},
		{"a covered wildcard under DLS", []string{"acme_dls"}, []string{"logs-acme-*"}, false, false},
		{"an exclusion", []string{"acme"}, []string{"logs-acme-*", "-logs-acme-2026.001-with-a-long-suffix"}, false, true},
		{"a short list stays resolved", []string{"acme"}, []string{"few-*"}, false, true},
		{"a regexp grant is not a stem", []string{"regexp"}, []string{"logs-acme-2026.*"}, false, true},
		{"a covered wildcard and a literal", []string{"acme"}, []string{"logs-acme-2026.*", "few-1"}, false, true},
		{"a stem holding a system index", []string{"everything"}, []string{"logs-acme*"}, false, true},
		{"a stem holding an alias of a system index", []string{"acme"}, []string{"tagged-*"}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.Decide(Request{User: "u", Roles: tc.roles, Action: "indices:data/read/search", Indices: tc.indices, Metadata: md})
			if !d.Allowed {
				t.Fatalf("refused: %s", d.Reason)
			}
			if got := slices.Equal(d.Indices, tc.indices) && !d.Rewritten; got != tc.asWritten {
				t.Fatalf("as written %v (indices %d, first %q, rewritten %v), want %v", got, len(d.Indices), d.Indices[0], d.Rewritten, tc.asWritten)
			}
			if tc.asWritten && !d.Unrestricted {
				t.Fatal("a wildcard forwarded as written must be unrestricted")
			}
			if !tc.asWritten && !d.MatchNothing && !acme(d.Indices) {
				t.Fatalf("resolved names outside the grant: %v", d.Indices)
			}
			if filtered := slices.ContainsFunc(d.Access, IndexAccess.Filtered); filtered == tc.unfiltered {
				t.Fatalf("filtered access %v, want %v", filtered, !tc.unfiltered)
			}
		})
	}
}

// TestCoveredWildcardsWithAPIKey: a key narrower than its owner keeps its
// own decision when the owner's side goes as written.
func TestCoveredWildcardsWithAPIKey(t *testing.T) {
	var indices []ConcreteIndex
	for i := range 150 {
		indices = append(indices, ConcreteIndex{Name: fmt.Sprintf("logs-acme-2026.%03d-with-a-long-suffix", i)})
	}
	md := NewMetadata(indices, nil, nil)
	rs, probs := ParseRoles("roles.yml", []byte("acme:\n  indices:\n    - names: [\"logs-acme-*\"]\n      privileges: [read]\n"))
	if probs.HasErrors() {
		t.Fatal(problemStrings(probs))
	}
	key := mustLimit(t, `{"k":{"indices":[{"names":["logs-acme-2026.00*"],"privileges":["read"]}]}}`)
	d := NewEvaluator(rs).Decide(Request{User: "u", Roles: []string{"acme"}, Action: "indices:data/read/search", Indices: []string{"logs-acme-*"}, Metadata: md, Limit: key})
	if !d.Allowed || len(d.Indices) != 10 || !d.Rewritten {
		t.Fatalf("allowed %v, rewritten %v, indices %v: want the key's 10 names", d.Allowed, d.Rewritten, d.Indices)
	}
}

// TestRequestsOverEverythingGoToTheGrants: a request over every index
// whose resolved names are too many for a request line goes to the
// wildcards of the unrestricted grants that cover them, when every name
// has one; otherwise it keeps the names.
func TestRequestsOverEverythingGoToTheGrants(t *testing.T) {
	var indices []ConcreteIndex
	for i := range 150 {
		indices = append(indices, ConcreteIndex{Name: fmt.Sprintf("logs-acme-2026.%03d-with-a-long-suffix", i)})
	}
	indices = append(indices, ConcreteIndex{Name: "logs-globex-secret"}, ConcreteIndex{Name: "few-1"}, ConcreteIndex{Name: "exact-1"},
		ConcreteIndex{Name: "bad-1"}, ConcreteIndex{Name: "sys-1", System: true})
	md := NewMetadata(indices, []Alias{{Name: "bad-alias", Indices: []string{"sys-1"}}}, nil)
	rs, probs := ParseRoles("roles.yml", []byte(`
acme:
  indices:
    - names: ["logs-acme-*", "few-*"]
      privileges: [read]
exact:
  indices:
    - names: ["exact-1"]
      privileges: [read]
acme_dls:
  indices:
    - names: ["logs-acme-*"]
      privileges: [read]
      query: '{"term":{"tenant":"acme"}}'
bad:
  indices:
    - names: ["logs-acme-*", "bad-*"]
      privileges: [read]
`))
	if probs.HasErrors() {
		t.Fatal(problemStrings(probs))
	}
	e := NewEvaluator(rs)
	for _, tc := range []struct {
		name    string
		roles   []string
		indices []string
		want    []string // nil: the resolved names
	}{
		{"no index", []string{"acme"}, nil, []string{"few-*", "logs-acme-*"}},
		{"_all", []string{"acme"}, []string{"_all"}, []string{"few-*", "logs-acme-*"}},
		{"*", []string{"acme", "acme_dls"}, []string{"*"}, []string{"few-*", "logs-acme-*"}},
		{"an exact grant among them", []string{"acme", "exact"}, nil, nil},
		{"under DLS", []string{"acme_dls"}, nil, nil},
		{"a grant whose stem holds an alias of a system index", []string{"bad"}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.Decide(Request{User: "u", Roles: tc.roles, Action: "indices:data/read/search", Indices: tc.indices, Metadata: md})
			if !d.Allowed || !d.Rewritten {
				t.Fatalf("allowed %v rewritten %v: %s", d.Allowed, d.Rewritten, d.Reason)
			}
			if tc.want != nil && !slices.Equal(d.Indices, tc.want) {
				t.Fatalf("indices %v, want %v", d.Indices, tc.want)
			}
			if tc.want == nil && (len(d.Indices) < 100 || slices.ContainsFunc(d.Indices, func(n string) bool { return n == "logs-globex-secret" || n == "sys-1" || n == "bad-alias" })) {
				t.Fatalf("want the resolved names, got %d: %v", len(d.Indices), d.Indices[:3])
			}
			if d.Unrestricted {
				t.Fatal("a request over everything is never unrestricted here (full access is decided on it)")
			}
		})
	}
}
