package authz

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// limitOwnerRoles are the owner's roles of the API key tests.
const limitOwnerRoles = `
owner_logs:
  cluster: [monitor]
  indices:
    - names: ["logs-*"]
      privileges: [read]
owner_dls:
  indices:
    - names: ["logs-acme-2024"]
      privileges: [read]
      query: '{"term":{"team":"a"}}'
owner_fls:
  indices:
    - names: ["logs-globex-2024"]
      privileges: [read]
      field_security: {grant: ["msg"]}
owner_tpl:
  indices:
    - names: ["logs-alerts"]
      privileges: [read]
      query: '{"template":{"source":{"term":{"user":"{{_user.username}}"}}}}'
`

func limitEvaluator(t testing.TB) *Evaluator {
	t.Helper()
	rs, ps := ParseRoles("roles.yml", []byte(limitOwnerRoles))
	if ps.HasErrors() {
		t.Fatalf("roles: %v", ps)
	}
	return NewEvaluator(rs)
}

func mustLimit(t *testing.T, descriptors string) *Limit {
	t.Helper()
	l, ps := ParseLimit("k1", "role_descriptors", []byte(descriptors))
	if ps.HasErrors() {
		t.Fatalf("descriptors %s: %v", descriptors, ps)
	}
	return l
}

func TestParseLimit(t *testing.T) {
	for _, empty := range []string{"", "null", "{}", " { } "} {
		if l, ps := ParseLimit("k", "d", []byte(empty)); l != nil || ps.HasErrors() {
			t.Errorf("%q: limit %v, problems %v; want none (the owner's privileges)", empty, l, ps)
		}
	}
	for _, bad := range []string{`[]`, `"x"`, `{"r":{"cluster":["no_such_privilege"]}}`, `{"r":{"indices":[{"names":["a"],"privileges":["read"],"bogus":1}]}}`, `{"r":{},"r":{}}`} {
		if _, ps := ParseLimit("k", "d", []byte(bad)); !ps.HasErrors() {
			t.Errorf("%s: accepted", bad)
		}
	}
	// A descriptor may not take a built-in role's name (the roles file's
	// rule): it could be mistaken for the built-in role.
	if _, ps := ParseLimit("k", "d", []byte(`{"superuser":{"indices":[{"names":["logs-acme-*"],"privileges":["read"]}]}}`)); !ps.HasErrors() {
		t.Fatal(`a descriptor named "superuser" was accepted`)
	}
	// The key's roles are its descriptors only, never the built-in roles
	// the set also holds.
	if got := mustLimit(t, `{"a":{"cluster":["monitor"]},"b":{}}`).Roles(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("roles %v", got)
	}
}

func TestDecideLimited(t *testing.T) {
	e := limitEvaluator(t)
	md := seedMetadata()
	const search = "indices:data/read/search"
	tests := []struct {
		name        string
		roles       []string
		descriptors string
		action      string
		indices     []string
		allowed     bool
		indicesOut  []string // when allowed and restricted
		reason      string   // substring of a refusal
	}{
		{"key narrower than owner: allowed name", []string{"owner_logs"}, `{"r":{"indices":[{"names":["logs-acme-*"],"privileges":["read"]}]}}`, search, []string{"logs-acme-2024"}, true, nil, ""},
		{"key narrower than owner: other name refused", []string{"owner_logs"}, `{"r":{"indices":[{"names":["logs-acme-*"],"privileges":["read"]}]}}`, search, []string{"logs-globex-2024"}, false, nil, "API key id [k1] of user [u]"},
		{"key narrower than owner: wildcard narrowed", []string{"owner_logs"}, `{"r":{"indices":[{"names":["logs-acme-*"],"privileges":["read"]}]}}`, search, []string{"logs-*"}, true, []string{"logs-acme-2024", "logs-acme-dbq", "logs-acme-sandbox", "logs-acme-view"}, ""},
		{"key wider than owner: owner refuses", []string{"owner_logs"}, `{"r":{"cluster":["all"],"indices":[{"names":["*"],"privileges":["all"]}]}}`, search, []string{"hr-payroll"}, false, nil, "API key id [k1]"},
		{"key wider than owner: wildcard narrowed by owner", []string{"owner_logs"}, `{"r":{"indices":[{"names":["*"],"privileges":["all"]}]}}`, search, []string{"*"}, true, []string{"logs-acme-2024", "logs-acme-dbq", "logs-acme-sandbox", "logs-acme-view", "logs-alerts", "logs-all", "logs-globex-2024", "logs-join-2024", "logs-payroll-alias"}, ""},
		{"key wider than owner: write refused", []string{"owner_logs"}, `{"r":{"indices":[{"names":["*"],"privileges":["all"]}]}}`, "indices:data/write/index", []string{"logs-alerts"}, false, nil, ""},
		{"cluster: both needed", []string{"owner_logs"}, `{"r":{"cluster":["all"]}}`, "cluster:admin/settings/update", nil, false, nil, "API key id [k1]"},
		{"cluster: key lacks it", []string{"owner_logs"}, `{"r":{"indices":[{"names":["*"],"privileges":["read"]}]}}`, "cluster:monitor/health", nil, false, nil, ""},
		{"cluster: both grant", []string{"owner_logs"}, `{"r":{"cluster":["monitor"]}}`, "cluster:monitor/health", nil, true, nil, ""},
		{"disjoint wildcards match nothing", []string{"owner_logs"}, `{"r":{"indices":[{"names":["hr-*"],"privileges":["read"]}]}}`, search, []string{"logs-acme-*"}, true, nil, ""},
		{"fls on both sides refused", []string{"owner_fls"}, `{"r":{"indices":[{"names":["logs-*"],"privileges":["read"],"field_security":{"grant":["a"]}}]}}`, search, []string{"logs-globex-2024"}, false, nil, "restrict the fields"},
		{"templated dls on one side and dls on the other refused", []string{"owner_tpl"}, `{"r":{"indices":[{"names":["logs-*"],"privileges":["read"],"query":{"term":{"x":"y"}}}]}}`, search, []string{"logs-alerts"}, false, nil, "templated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := e.Decide(Request{User: "u", Roles: tc.roles, Action: tc.action, Indices: tc.indices, Metadata: md, Limit: mustLimit(t, tc.descriptors)})
			if d.Allowed != tc.allowed {
				t.Fatalf("allowed %v, want %v (%s)", d.Allowed, tc.allowed, d.Reason)
			}
			if tc.reason != "" && !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("reason %q lacks %q", d.Reason, tc.reason)
			}
			if tc.indicesOut != nil && !slices.Equal(d.Indices, tc.indicesOut) {
				t.Fatalf("indices %v, want %v", d.Indices, tc.indicesOut)
			}
			if tc.allowed && tc.name == "disjoint wildcards match nothing" && !d.MatchNothing {
				t.Fatalf("want MatchNothing: %+v", d)
			}
			if !d.Allowed && slices.Contains(d.EffectiveRoles, "r") {
				t.Fatalf("the refusal shows the key's role names as the user's: %v", d.EffectiveRoles)
			}
		})
	}
}

// TestDecideLimitedDLS: document-level security of both sides applies
// together (both queries must match), of either side alone as it is.
func TestDecideLimitedDLS(t *testing.T) {
	e := limitEvaluator(t)
	req := Request{User: "u", Roles: []string{"owner_dls"}, Action: "indices:data/read/search", Indices: []string{"logs-acme-2024"}, Metadata: seedMetadata()}

	req.Limit = mustLimit(t, `{"r":{"indices":[{"names":["logs-*"],"privileges":["read"]}]}}`)
	d := e.Decide(req)
	if !d.Allowed || len(d.Access) != 1 || len(d.Access[0].Queries) != 1 || !strings.Contains(string(d.Access[0].Queries[0]), `"team"`) {
		t.Fatalf("owner's DLS only: %+v", d)
	}

	req.Limit = mustLimit(t, `{"r":{"indices":[{"names":["logs-*"],"privileges":["read"],"query":{"term":{"level":"info"}}}]}}`)
	d = e.Decide(req)
	if !d.Allowed || d.Unrestricted || len(d.Access) != 1 || len(d.Access[0].Queries) != 1 {
		t.Fatalf("both DLS: %+v", d)
	}
	var q struct {
		Bool struct {
			Filter []struct {
				Bool struct {
					Should             []json.RawMessage `json:"should"`
					MinimumShouldMatch int               `json:"minimum_should_match"`
				} `json:"bool"`
			} `json:"filter"`
		} `json:"bool"`
	}
	if err := json.Unmarshal(d.Access[0].Queries[0], &q); err != nil || len(q.Bool.Filter) != 2 {
		t.Fatalf("combined query %s: %v", d.Access[0].Queries[0], err)
	}
	for i, want := range []string{`"team"`, `"level"`} {
		f := q.Bool.Filter[i].Bool
		if f.MinimumShouldMatch != 1 || len(f.Should) != 1 || !strings.Contains(string(f.Should[0]), want) || strings.HasPrefix(string(f.Should[0]), `"`) {
			t.Fatalf("filter %d of %s: want a query object with %s", i, d.Access[0].Queries[0], want)
		}
	}
}

func TestHasPrivilegesAnd(t *testing.T) {
	a := HasPrivilegesResult{Username: "u", HasAllRequested: true, Cluster: map[string]bool{"monitor": true, "all": true},
		Index: map[string]map[string]bool{"x": {"read": true, "write": true}}, Application: map[string]map[string]map[string]bool{}}
	b := HasPrivilegesResult{Username: "u", HasAllRequested: false, Cluster: map[string]bool{"monitor": true, "all": false},
		Index: map[string]map[string]bool{"x": {"read": true}}, Application: map[string]map[string]map[string]bool{}}
	got := a.And(b)
	if got.HasAllRequested || !got.Cluster["monitor"] || got.Cluster["all"] || !got.Index["x"]["read"] || got.Index["x"]["write"] {
		t.Fatalf("%+v", got)
	}
}

// TestDecideLimitedDroppedAlias: the owner reads alias logs without DLS and
// its index logs-1 with DLS; the key reads logs-1 only. A search of logs*
// with the key reaches logs-1 only, and the owner's DLS on it applies: the
// alias the key cannot use must not lift it.
func TestDecideLimitedDroppedAlias(t *testing.T) {
	rs, ps := ParseRoles("roles.yml", []byte(`
owner:
  indices:
    - names: ["logs"]
      privileges: [read]
    - names: ["logs-1"]
      privileges: [read]
      query: '{"term":{"team":"a"}}'
`))
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	md := NewMetadata([]ConcreteIndex{{Name: "logs-1"}}, []Alias{{Name: "logs", Indices: []string{"logs-1"}}}, nil)
	d := NewEvaluator(rs).Decide(Request{User: "alice", Roles: []string{"owner"}, Action: "indices:data/read/search",
		Indices: []string{"logs*"}, Metadata: md, Limit: mustLimit(t, `{"k":{"indices":[{"names":["logs-1"],"privileges":["read"]}]}}`)})
	if !d.Allowed || !slices.Equal(d.Indices, []string{"logs-1"}) || !d.Rewritten || d.Unrestricted {
		t.Fatalf("decision %+v", d)
	}
	if len(d.Access) != 1 || len(d.Access[0].Queries) != 1 || !strings.Contains(string(d.Access[0].Queries[0]), `"team"`) {
		t.Fatalf("access %+v: the owner's DLS on logs-1 is lost", d.Access)
	}
}

// A key repeating its owner's field_security (the same definitions) gets
// that field set, where two different definitions on both sides are
// refused (the proxy cannot intersect them).
func TestDecideLimitedSameFieldSecurity(t *testing.T) {
	e := limitEvaluator(t)
	md := seedMetadata()
	req := Request{User: "u", Roles: []string{"owner_fls"}, Action: "indices:data/read/search", Indices: []string{"logs-globex-2024"}, Metadata: md}
	req.Limit = mustLimit(t, `{"r":{"indices":[{"names":["logs-*"],"privileges":["read"],"field_security":{"grant":["msg"]}}]}}`)
	d := e.Decide(req)
	if !d.Allowed || len(d.Access) != 1 || d.Access[0].Fields == nil || !d.Access[0].Fields.Allows("msg") || d.Access[0].Fields.Allows("other") {
		t.Fatalf("same field security on both sides: allowed %v (%s), access %+v", d.Allowed, d.Reason, d.Access)
	}
	req.Limit = mustLimit(t, `{"r":{"indices":[{"names":["logs-*"],"privileges":["read"],"field_security":{"grant":["msg","other"]}}]}}`)
	if d := e.Decide(req); d.Allowed {
		t.Fatalf("different field security on both sides: allowed, access %+v", d.Access)
	}
}
