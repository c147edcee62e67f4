package authz

import (
	"slices"
	"sync"
	"testing"
)

func TestActionOnly(t *testing.T) {
	e := fixtureEvaluator(t, extraRoles)
	users := fixtureUsers(t)
	md := seedMetadata()
	for _, tc := range []struct {
		user, action string
		exprs        []string
		reason       string // empty: allowed
	}{
		{user: "alice", action: "indices:data/read/msearch", exprs: []string{"hr-payroll"}},
		{user: "alice", action: "indices:data/read/mget"},
		{user: "alice", action: "indices:data/read/scroll"},
		{user: "alice", action: "indices:data/read/scroll/clear"},
		{user: "wendy", action: "indices:data/write/bulk", exprs: []string{"logs-acme-2024"}},
		{user: "wendy", action: "indices:data/read/msearch", reason: "action [indices:data/read/msearch] is unauthorized for user " +
			"[wendy] with effective roles [writer_acme], this action is granted by the index privileges [read,all]"},
		{user: "zed", action: "indices:data/write/bulk", reason: "action [indices:data/write/bulk] is unauthorized for user [zed] " +
			"with effective roles [], this action is granted by the index privileges [create_doc,create,delete,index,write,all]"},
		{user: "nina", action: "indices:data/read/close_point_in_time"},
	} {
		t.Run(tc.user+" "+tc.action, func(t *testing.T) {
			d := e.Decide(Request{User: tc.user, Roles: users[tc.user], Action: tc.action, Indices: tc.exprs, Metadata: md})
			if tc.reason != "" {
				if d.Allowed || d.Reason != tc.reason {
					t.Fatalf("got %v %q", d.Allowed, d.Reason)
				}
				return
			}
			if !d.Allowed || !d.ActionOnly || d.Unrestricted || d.Indices != nil || d.Access != nil {
				t.Fatalf("got %+v", d)
			}
		})
	}
}

// A Subject decides bulk items like Evaluator.Decide, concurrently too.
func TestSubjectMatchesDecide(t *testing.T) {
	e := fixtureEvaluator(t, extraRoles)
	mds := []*Metadata{seedMetadata(), richMetadata()}
	items := []Request{
		{Action: indexDoc, Indices: []string{"logs-acme-2024"}},
		{Action: indexDoc, Indices: []string{"hr-payroll"}},
		{Action: "indices:data/write/update", Indices: []string{"logs-acme-sandbox"}},
		{Action: del, Indices: []string{"logs-acme-dbq"}},
		{Action: get, Indices: []string{"logs-globex-2024"}},
		{Action: search, Indices: []string{"logs-*", "-logs-all"}},
		{Action: search},
		{Action: "cluster:monitor/health"},
		{Action: ""},
	}
	for _, roles := range [][]string{{"acme_editor", "writer_acme", "globex_reader"}, {"acme_reader"}, nil, {"ghost_role", "star_reader"}} {
		s := e.Subject("u", roles)
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				item := items[i%len(items)]
				item.Metadata = mds[i%len(mds)]
				got := s.Decide(item)
				item.User, item.Roles = "u", roles
				want := e.Decide(item)
				if got.Allowed != want.Allowed || got.Reason != want.Reason || !slices.Equal(got.Indices, want.Indices) ||
					len(got.Access) != len(want.Access) || !slices.Equal(got.EffectiveRoles, want.EffectiveRoles) ||
					!slices.Equal(got.MissingRoles, want.MissingRoles) {
					t.Errorf("roles %q item %+v: subject %+v, evaluator %+v", roles, items[i%len(items)], got, want)
				}
			})
		}
		wg.Wait()
	}
}
