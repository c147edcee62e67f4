package authz

import (
	"fmt"
	"strings"
	"testing"
)

// scaleFixture is the size issue #3 asks to measure at: 100 roles and
// 5,000 indices; the user holds 3 of the roles.
func scaleFixture(b *testing.B) (*Evaluator, *Metadata, []string) {
	b.Helper()
	var y strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&y, "role%d:\n  cluster: [monitor]\n  indices:\n    - names: [\"team%d-*\", \"shared-%d\"]\n      privileges: [read, write]\n", i, i, i)
	}
	rs, probs := ParseRoles("roles.yml", []byte(y.String()))
	if probs.HasErrors() {
		b.Fatal(probs)
	}
	idx := make([]ConcreteIndex, 0, 5000)
	for i := 0; i < 5000; i++ {
		idx = append(idx, ConcreteIndex{Name: fmt.Sprintf("team%d-%04d", i%100, i)})
	}
	return NewEvaluator(rs), NewMetadata(idx, nil, nil), []string{"role1", "role2", "role3"}
}

// BenchmarkDecideScaleSearch: one search on a wildcard over 5,000 indices.
func BenchmarkDecideScaleSearch(b *testing.B) {
	e, md, roles := scaleFixture(b)
	req := Request{User: "u", Roles: roles, Action: "indices:data/read/search", Indices: []string{"team1-*"}, Metadata: md}
	b.ReportAllocs()
	for b.Loop() {
		if d := e.Decide(req); !d.Allowed {
			b.Fatal(d.Reason)
		}
	}
}

// BenchmarkDecideScaleSearchExplicit: one search naming one index.
func BenchmarkDecideScaleSearchExplicit(b *testing.B) {
	e, md, roles := scaleFixture(b)
	req := Request{User: "u", Roles: roles, Action: "indices:data/read/search", Indices: []string{"team1-0001"}, Metadata: md}
	b.ReportAllocs()
	for b.Loop() {
		if d := e.Decide(req); !d.Allowed {
			b.Fatal(d.Reason)
		}
	}
}

// BenchmarkDecideScaleMsearch50: the 50 items of an _msearch, each decided.
func BenchmarkDecideScaleMsearch50(b *testing.B) {
	e, md, roles := scaleFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		s := e.Subject("u", roles)
		for i := 0; i < 50; i++ {
			d := s.Decide(Request{User: "u", Roles: roles, Action: "indices:data/read/search", Indices: []string{fmt.Sprintf("team%d-*", 1+i%3)}, Metadata: md})
			if !d.Allowed {
				b.Fatal(d.Reason)
			}
		}
	}
}

// BenchmarkDecideScaleBulk1000: the 1,000 items of a _bulk, each decided.
func BenchmarkDecideScaleBulk1000(b *testing.B) {
	e, md, roles := scaleFixture(b)
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("team%d-%04d", 1+i%3, 1+i%3)
	}
	b.ReportAllocs()
	for b.Loop() {
		s := e.Subject("u", roles)
		for i := 0; i < 1000; i++ {
			d := s.Decide(Request{User: "u", Roles: roles, Action: "indices:data/write/index", Indices: names[i : i+1], Metadata: md})
			if !d.Allowed {
				b.Fatal(d.Reason)
			}
		}
	}
}
