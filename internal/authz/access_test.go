package authz

import (
	"encoding/json"
	"slices"
	"testing"
)

// accessWant is the expected DLS/FLS of one concrete index: queries as
// strings, and fields visible and hidden under the FLS (visible nil and
// hidden nil: no FLS at all).
type accessWant struct {
	index   string
	queries []string
	visible []string
	hidden  []string
}

const acmeQuery = `{"term": {"tenant": "acme"}}`

var aliceFields = fieldsWant{
	visible: []string{"@timestamp", "tenant", "message", "user.name", "user.ssn_alias"},
	hidden:  []string{"user.email", "secret_note", "salary", "user_ssn", "tenant_internal", "message.keyword", "code"},
}

type fieldsWant struct{ visible, hidden []string }

func acme(index string) accessWant {
	return accessWant{index: index, queries: []string{acmeQuery}, visible: aliceFields.visible, hidden: aliceFields.hidden}
}

func open(index string) accessWant { return accessWant{index: index} }

// multiRoles exercise Elasticsearch's multi-role DLS/FLS semantics on one
// index.
const multiRoles = `
q1:
  indices:
    - names: ['shared']
      privileges: [read]
      query: '{"term":{"dept":"a"}}'
q2:
  indices:
    - names: ['shared']
      privileges: [read]
      query: '{"term":{"dept":"b"}}'
q2_again:
  indices:
    - names: ['sh*']
      privileges: [read]
      query: '{"term":{"dept":"b"}}'
plain:
  indices:
    - names: ['shared']
      privileges: [read]
f_ab:
  indices:
    - names: ['shared']
      privileges: [read]
      field_security: {grant: ['a.*'], except: ['a.b*']}
f_abc:
  indices:
    - names: ['shared']
      privileges: [read]
      field_security: {grant: ['a.b*'], except: ['a.b.c*']}
fls_only:
  indices:
    - names: ['shared']
      privileges: [read]
      field_security: {grant: ['x']}
dls_only:
  indices:
    - names: ['shared']
      privileges: [read]
      query: {term: {dept: c}}
write_unrestricted:
  indices:
    - names: ['shared']
      privileges: [write]
two_groups:
  indices:
    - names: ['shared']
      privileges: [read]
      query: '{"term":{"dept":"d"}}'
    - names: ['sha*']
      privileges: [read]
no_fields:
  indices:
    - names: ['shared']
      privileges: [read]
      field_security: {grant: []}
`

func TestAccessFixture(t *testing.T) {
	e := fixtureEvaluator(t, extraRoles)
	users := fixtureUsers(t)
	md := seedMetadata()
	for _, tc := range []struct {
		name   string
		user   string
		action string
		exprs  []string
		want   []accessWant
		// unrestricted: forward as is.
		unrestricted bool
	}{
		{name: "BASE-002 alice on acme: DLS and FLS", user: "alice", action: search, exprs: []string{"logs-acme-2024"},
			want: []accessWant{acme("logs-acme-2024")}},
		{name: "AUTHZ-007 alice everything: DLS on every index, payroll through its logs-* alias", user: "alice", action: search,
			want: []accessWant{acme("hr-payroll"), acme("logs-acme-2024"), acme("logs-acme-dbq"), acme("logs-acme-sandbox"),
				acme("logs-alerts"), acme("logs-globex-2024"), acme("logs-join-2024")}},
		{name: "DLS-019 alice through logs-all", user: "alice", action: search, exprs: []string{"logs-all"},
			want: []accessWant{acme("logs-acme-2024"), acme("logs-globex-2024")}},
		{name: "missing index keeps its name", user: "alice", action: search, exprs: []string{"logs-nope"},
			want: []accessWant{acme("logs-nope")}},
		{name: "BASE-004 gary unrestricted", user: "gary", action: search, exprs: []string{"logs-globex-2024"},
			want: []accessWant{open("logs-globex-2024")}, unrestricted: true},
		{name: "gary wildcard is rewritten", user: "gary", action: search, exprs: []string{"logs-*"},
			want: []accessWant{open("logs-globex-2024")}},
		{name: "BASE-006 ollie through the alias: the alias's index, no DLS", user: "ollie", action: search,
			exprs: []string{"logs-acme-view"}, want: []accessWant{open("logs-acme-2024")}, unrestricted: true},
		{name: "BASE-005 harry: grant * except", user: "harry", action: search, exprs: []string{"hr-payroll"},
			want: []accessWant{{index: "hr-payroll", visible: []string{"note", "employee", "bank", "code", "salary_band"},
				hidden: []string{"salary", "ssn", "bank.iban", "bank.name", "bank.name.x"}}}},
		{name: "eddie writes under DLS/FLS (the caller refuses updates)", user: "eddie", action: "indices:data/write/update",
			exprs: []string{"logs-acme-sandbox"}, want: []accessWant{acme("logs-acme-sandbox")}},
		{name: "data stream backing indices", user: "u", action: search, exprs: []string{"payroll-stream"},
			want: []accessWant{open(backingIndex)}, unrestricted: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			roles := users[tc.user]
			if tc.user == "u" {
				roles = []string{"stream_reader"}
			}
			d := e.Decide(Request{User: tc.user, Roles: roles, Action: tc.action, Indices: tc.exprs, Metadata: md})
			if !d.Allowed {
				t.Fatalf("refused: %s", d.Reason)
			}
			checkAccess(t, d.Access, tc.want)
			if d.Unrestricted != tc.unrestricted {
				t.Fatalf("unrestricted = %v", d.Unrestricted)
			}
		})
	}
}

func TestAccessMultiRole(t *testing.T) {
	rs, probs := ParseRoles("roles.yml", []byte(multiRoles))
	if len(probs) != 0 {
		t.Fatal(problemStrings(probs))
	}
	e := NewEvaluator(rs)
	md := NewMetadata([]ConcreteIndex{{Name: "shared"}}, nil, nil)
	qa, qb, qc := `{"term":{"dept":"a"}}`, `{"term":{"dept":"b"}}`, `{"term":{"dept":"c"}}`
	for _, tc := range []struct {
		name  string
		roles []string
		want  accessWant
	}{
		{name: "checklist 54: two queries are OR-ed", roles: []string{"q2", "q1"}, want: accessWant{queries: []string{qa, qb}}},
		{name: "the same query once", roles: []string{"q2", "q2_again"}, want: accessWant{queries: []string{qb}}},
		{name: "checklist 55: a role without query lifts DLS", roles: []string{"q1", "plain", "q2"}, want: accessWant{}},
		{name: "a group without query in the same role lifts DLS", roles: []string{"two_groups"}, want: accessWant{}},
		{name: "checklist 68: FLS union", roles: []string{"f_ab", "f_abc"},
			want: accessWant{visible: []string{"a.x", "a.b", "a.bx.y"}, hidden: []string{"a.b.c", "a.b.cd", "b", "a"}}},
		{name: "checklist 68: a role without FLS shows every field", roles: []string{"f_ab", "plain"}, want: accessWant{}},
		{name: "checklist 69: DLS-only plus FLS-only is neither", roles: []string{"fls_only", "dls_only"}, want: accessWant{}},
		{name: "DLS from one role, FLS from another: no pairing", roles: []string{"q1", "fls_only"}, want: accessWant{}},
		{name: "checklist 67: grant [] shows no field", roles: []string{"no_fields"},
			want: accessWant{visible: []string{}, hidden: []string{"a", "x", "dept"}}},
		{name: "a role granting another action only does not count", roles: []string{"q1", "write_unrestricted"},
			want: accessWant{queries: []string{qa}}},
		{name: "object query converted to JSON", roles: []string{"dls_only"}, want: accessWant{queries: []string{qc}}},
		{name: "a group without query lifts the other roles' DLS", roles: []string{"two_groups", "q1"}, want: accessWant{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.Decide(Request{User: "u", Roles: tc.roles, Action: search, Indices: []string{"shared"}, Metadata: md})
			if !d.Allowed {
				t.Fatalf("refused: %s", d.Reason)
			}
			want := tc.want
			want.index = "shared"
			checkAccess(t, d.Access, []accessWant{want})
			restricted := len(want.queries) > 0 || want.visible != nil || want.hidden != nil
			if d.Unrestricted == restricted {
				t.Fatalf("unrestricted = %v", d.Unrestricted)
			}
		})
	}
}

func checkAccess(t *testing.T, got []IndexAccess, want []accessWant) {
	t.Helper()
	if len(got) != len(want) {
		names := make([]string, len(got))
		for i, a := range got {
			names[i] = a.Index
		}
		t.Fatalf("access for %q, want %d entries", names, len(want))
	}
	for i, w := range want {
		a := got[i]
		if a.Index != w.index {
			t.Fatalf("entry %d is %q, want %q", i, a.Index, w.index)
		}
		var qs []string
		for _, q := range a.Queries {
			qs = append(qs, string(q))
			if !json.Valid(q) {
				t.Fatalf("%s: query %s is not JSON", a.Index, q)
			}
		}
		if !slices.Equal(qs, w.queries) {
			t.Fatalf("%s: queries %q, want %q", a.Index, qs, w.queries)
		}
		if w.visible == nil && w.hidden == nil {
			if a.Fields != nil {
				t.Fatalf("%s: FLS %+v, want none", a.Index, a.Fields.Sets)
			}
			continue
		}
		if a.Fields == nil {
			t.Fatalf("%s: no FLS", a.Index)
		}
		for _, f := range w.visible {
			if !a.Fields.Allows(f) {
				t.Fatalf("%s: field %q hidden, want visible (%+v)", a.Index, f, a.Fields.Sets)
			}
		}
		for _, f := range w.hidden {
			if a.Fields.Allows(f) {
				t.Fatalf("%s: field %q visible, want hidden (%+v)", a.Index, f, a.Fields.Sets)
			}
		}
	}
}
