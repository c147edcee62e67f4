package authz

import (
	"slices"
	"testing"
)

// TestDataStreamsOnly: with DataStreamsOnly (the data stream APIs),
// wildcards and _all expand to the data streams the user may access and
// never to its indices or aliases; without it they expand to all three.
func TestDataStreamsOnly(t *testing.T) {
	rs, probs := ParseRoles("roles.yml", []byte("meta:\n  indices:\n    - names: [\"logs-*\"]\n      privileges: [view_index_metadata]\n"))
	if probs.HasErrors() {
		t.Fatal(problemStrings(probs))
	}
	md := NewMetadata([]ConcreteIndex{{Name: "logs-plain"}, {Name: ".ds-logs-ds-000001", Hidden: true}, {Name: ".ds-other-ds-000001", Hidden: true}},
		[]Alias{{Name: "logs-alias", Indices: []string{"logs-plain"}}},
		[]DataStream{{Name: "logs-ds", Indices: []string{".ds-logs-ds-000001"}}, {Name: "other-ds", Indices: []string{".ds-other-ds-000001"}}})
	e := NewEvaluator(rs)
	for _, tc := range []struct {
		name    string
		indices []string
		only    bool
		want    []string
		nothing bool
	}{
		{"data streams only: a wildcard", []string{"logs-*"}, true, []string{"logs-ds"}, false},
		{"data streams only: all", nil, true, []string{"logs-ds"}, false},
		{"data streams only: nothing of the user's", []string{"other-*"}, true, nil, true},
		{"every kind otherwise", []string{"logs-*"}, false, []string{"logs-alias", "logs-ds", "logs-plain"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.Decide(Request{User: "u", Roles: []string{"meta"}, Action: "indices:admin/data_stream/get", Indices: tc.indices,
				Metadata: md, Options: IndicesOptions{DataStreamsOnly: tc.only}})
			got := slices.Clone(d.Indices)
			slices.Sort(got)
			if !d.Allowed || d.MatchNothing != tc.nothing || !tc.nothing && !slices.Equal(got, tc.want) {
				t.Fatalf("allowed %v, match nothing %v, indices %v; want %v", d.Allowed, d.MatchNothing, got, tc.want)
			}
		})
	}
}
