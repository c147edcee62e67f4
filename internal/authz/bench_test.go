package authz

import (
	"fmt"
	"testing"
)

const benchRoles = `
logs_dls:
  indices:
    - names: ['logs-*']
      privileges: [read]
      query: '{"term":{"tenant":"acme"}}'
      field_security: {grant: ['@timestamp', 'message', 'user.*'], except: ['user.email']}
metrics:
  indices:
    - names: ['metrics-*', '/events-20[0-9]{2}-.*/']
      privileges: [read, view_index_metadata]
ops:
  cluster: [monitor]
  indices:
    - names: ['ops-1', 'ops-2', 'audit-*']
      privileges: [read]
      query: '{"term":{"team":"ops"}}'
`

// benchMetadata: 200 indices in four families (50 logs, 50 metrics, 50
// events, 50 others), 10 aliases, one hidden index per family.
func benchMetadata() *Metadata {
	var indices []ConcreteIndex
	for i := range 50 {
		indices = append(indices,
			ConcreteIndex{Name: fmt.Sprintf("logs-%03d", i), Hidden: i == 0},
			ConcreteIndex{Name: fmt.Sprintf("metrics-%03d", i), Hidden: i == 0},
			ConcreteIndex{Name: fmt.Sprintf("events-2024-%03d", i), Closed: i == 1},
			ConcreteIndex{Name: fmt.Sprintf("other-%03d", i)})
	}
	var aliases []Alias
	for i := range 10 {
		aliases = append(aliases, Alias{Name: fmt.Sprintf("logs-alias-%d", i), Indices: []string{fmt.Sprintf("logs-%03d", i)}})
	}
	return NewMetadata(indices, aliases, nil)
}

func BenchmarkDecideSearch(b *testing.B) {
	rs, probs := ParseRoles("roles.yml", []byte(benchRoles))
	if len(probs) != 0 {
		b.Fatal(problemStrings(probs))
	}
	e := NewEvaluator(rs)
	md := benchMetadata()
	for _, bc := range []struct {
		name  string
		exprs []string
	}{
		{name: "wildcard", exprs: []string{"*"}},
		{name: "prefix", exprs: []string{"logs-*"}},
		{name: "explicit", exprs: []string{"logs-007"}},
	} {
		req := Request{User: "u", Roles: []string{"logs_dls", "metrics", "ops"}, Action: "indices:data/read/search",
			Indices: bc.exprs, Metadata: md}
		if d := e.Decide(req); !d.Allowed {
			b.Fatal(d.Reason)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.Decide(req)
			}
		})
	}
}

// BenchmarkDecideSearchAPIKey is BenchmarkDecideSearch for an API key whose
// role descriptors limit the same user to metrics-* and logs-00*: every
// decision is made twice and intersected. Compare with the "owner" rows
// (the same requests without the key) of the same run.
func BenchmarkDecideSearchAPIKey(b *testing.B) {
	rs, probs := ParseRoles("roles.yml", []byte(benchRoles))
	if len(probs) != 0 {
		b.Fatal(problemStrings(probs))
	}
	e := NewEvaluator(rs)
	md := benchMetadata()
	limit, ps := ParseLimit("bench", "descriptors", []byte(`{"k":{"indices":[{"names":["metrics-*","logs-00*"],"privileges":["read"]}]}}`))
	if ps.HasErrors() {
		b.Fatal(problemStrings(ps))
	}
	for _, bc := range []struct {
		name  string
		exprs []string
	}{
		{name: "wildcard", exprs: []string{"*"}},
		{name: "prefix", exprs: []string{"logs-*"}},
		{name: "explicit", exprs: []string{"logs-007"}},
	} {
		for _, side := range []struct {
			name  string
			limit *Limit
		}{{"owner", nil}, {"key", limit}} {
			req := Request{User: "u", Roles: []string{"logs_dls", "metrics", "ops"}, Action: "indices:data/read/search",
				Indices: bc.exprs, Metadata: md, Limit: side.limit}
			if d := e.Decide(req); !d.Allowed {
				b.Fatal(d.Reason)
			}
			b.Run(bc.name+"/"+side.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					e.Decide(req)
				}
			})
		}
	}
}
