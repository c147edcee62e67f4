package authz

import (
	"strings"
	"testing"
)

// searchingRoles split write and read between roles, as the attacks on
// _update_by_query and _delete_by_query did.
const searchingRoles = `
write_only:
  indices:
    - names: ["logs-acme-sandbox", "logs-acme-dbq"]
      privileges: [write]
read_dls:
  indices:
    - names: ["logs-acme-sandbox"]
      privileges: [read]
      query: '{"term":{"tenant":"acme"}}'
      field_security: {grant: ["message", "tenant"]}
read_all:
  indices:
    - names: ["logs-acme-dbq"]
      privileges: [read]
rw_dls:
  indices:
    - names: ["logs-acme-sandbox"]
      privileges: [read, write]
      query: '{"term":{"tenant":"acme"}}'
      field_security: {grant: ["message", "tenant"]}
raw_outer:
  indices:
    - names: ["logs-acme-sandbox"]
      privileges: ["indices:data/read/search/template", "indices:data/read/async_search/submit"]
read_wild_dls:
  indices:
    - names: ["logs-*"]
      privileges: [read]
      query: '{"term":{"tenant":"acme"}}'
`

// TestOuterSearchActionsKeepTheSearchDLS: a role granting a search
// template or an asynchronous search by its action name, without DLS/FLS,
// does not lift the DLS/FLS of the role granting the search they run.
func TestOuterSearchActionsKeepTheSearchDLS(t *testing.T) {
	rs, ps := ParseRoles("roles.yml", []byte(searchingRoles))
	if ps.HasErrors() {
		t.Fatalf("roles: %v", ps)
	}
	e := NewEvaluator(rs)
	for _, action := range []string{"indices:data/read/search/template", "indices:data/read/async_search/submit"} {
		d := e.Decide(Request{User: "u", Roles: []string{"raw_outer", "read_dls"}, Action: action, Indices: []string{"logs-acme-sandbox"}, Metadata: seedMetadata()})
		if !d.Allowed || d.Unrestricted || len(d.Access) != 1 || !d.Access[0].Filtered() {
			t.Errorf("%s: allowed %v, unrestricted %v, access %+v; want the read role's DLS/FLS", action, d.Allowed, d.Unrestricted, d.Access)
		}
		d = e.Decide(Request{User: "u", Roles: []string{"raw_outer"}, Action: action, Indices: []string{"logs-acme-sandbox"}, Metadata: seedMetadata()})
		if d.Allowed {
			t.Errorf("%s without the search: allowed", action)
		}
	}
}

// TestSearchingActionsNeedTheirSearch: _update_by_query and
// _delete_by_query run a search of their indices as the user; the write
// privilege alone does not allow them, and the search's DLS/FLS applies
// even when the role granting the write has none.
func TestSearchingActionsNeedTheirSearch(t *testing.T) {
	rs, ps := ParseRoles("roles.yml", []byte(searchingRoles))
	if ps.HasErrors() {
		t.Fatalf("roles: %v", ps)
	}
	e := NewEvaluator(rs)
	md := seedMetadata()
	for _, action := range []string{"indices:data/write/update/byquery", "indices:data/write/delete/byquery"} {
		tests := []struct {
			name    string
			roles   []string
			indices []string
			allowed bool
			// filtered lists the indices that must carry DLS/FLS.
			filtered []string
			reason   string
		}{
			{name: "write without read", roles: []string{"write_only"}, indices: []string{"logs-acme-sandbox"},
				reason: "action [indices:data/read/search] is unauthorized for user [u]"},
			{name: "write without read, wildcard", roles: []string{"write_only"}, indices: []string{"logs-acme-*"},
				reason: "action [indices:data/read/search] is unauthorized for user [u]"},
			{name: "unrestricted write, read with DLS/FLS", roles: []string{"write_only", "read_dls"},
				indices: []string{"logs-acme-sandbox"}, allowed: true, filtered: []string{"logs-acme-sandbox"}},
			{name: "unrestricted write, read with DLS through a wildcard role", roles: []string{"write_only", "read_wild_dls"},
				indices: []string{"logs-acme-dbq"}, allowed: true, filtered: []string{"logs-acme-dbq"}},
			{name: "unrestricted write and read", roles: []string{"write_only", "read_all"},
				indices: []string{"logs-acme-dbq"}, allowed: true},
			{name: "one role with the same DLS/FLS for both", roles: []string{"rw_dls"},
				indices: []string{"logs-acme-sandbox"}, allowed: true, filtered: []string{"logs-acme-sandbox"}},
			{name: "wildcard: only the names both reach", roles: []string{"write_only", "read_all"},
				indices: []string{"logs-acme-*"}, allowed: true},
		}
		for _, tt := range tests {
			t.Run(action+"/"+tt.name, func(t *testing.T) {
				d := e.Decide(Request{User: "u", Roles: tt.roles, Action: action, Indices: tt.indices, Metadata: md})
				if d.Allowed != tt.allowed {
					t.Fatalf("allowed %v, want %v (%s)", d.Allowed, tt.allowed, d.Reason)
				}
				if !tt.allowed {
					if !strings.Contains(d.Reason, tt.reason) {
						t.Fatalf("reason %q, want it to contain %q", d.Reason, tt.reason)
					}
					return
				}
				if tt.name == "wildcard: only the names both reach" {
					if len(d.Indices) != 1 || d.Indices[0] != "logs-acme-dbq" {
						t.Fatalf("indices %v, want [logs-acme-dbq] (the sandbox is written, not read)", d.Indices)
					}
				}
				var got []string
				for _, a := range d.Access {
					if a.Filtered() {
						got = append(got, a.Index)
					}
				}
				if strings.Join(got, ",") != strings.Join(tt.filtered, ",") {
					t.Fatalf("filtered indices %v, want %v (access %+v)", got, tt.filtered, d.Access)
				}
				if len(tt.filtered) > 0 && d.Unrestricted {
					t.Fatal("a restricted decision says Unrestricted")
				}
			})
		}
	}
}

// byQueryWriteRoles grant the by-query actions by their names, with read,
// but not (all of) the writes the cluster then sends as bulk items.
const byQueryWriteRoles = `
dbq_raw:
  indices:
    - names: ["logs-acme-dbq"]
      privileges: ["indices:data/write/delete/byquery", "indices:data/write/bulk*", read]
dbq_no_bulk:
  indices:
    - names: ["logs-acme-dbq"]
      privileges: ["indices:data/write/delete/byquery", "indices:data/write/delete", read]
ubq_raw:
  indices:
    - names: ["logs-acme-dbq"]
      privileges: ["indices:data/write/update/byquery", "indices:data/write/bulk*", read]
ubq_create_doc:
  indices:
    - names: ["logs-acme-dbq"]
      privileges: ["indices:data/write/update/byquery", create_doc, read]
delete_dbq:
  indices:
    - names: ["logs-acme-dbq"]
      privileges: [delete, read]
index_ubq:
  indices:
    - names: ["logs-acme-dbq"]
      privileges: [index, read]
delete_item_sandbox:
  indices:
    - names: ["logs-acme-sandbox"]
      privileges: [delete]
dbq_wild:
  indices:
    - names: ["logs-acme-*"]
      privileges: ["indices:data/write/delete/byquery", "indices:data/write/bulk*", read]
`

// TestByQueryWritesAreAuthorizedPerItem: _delete_by_query and
// _update_by_query send their writes as bulk requests whose shard requests
// (indices:data/write/bulk[s]) and items (indices:data/write/delete, or
// indices:data/write/index:op_type/index for the re-indexed documents) are
// authorized with the caller's roles (AuthorizationService.authorizeBulkItems).
// A role granting the by-query action by name, without the item's action,
// may not delete or rewrite documents through it.
func TestByQueryWritesAreAuthorizedPerItem(t *testing.T) {
	rs, ps := ParseRoles("roles.yml", []byte(byQueryWriteRoles))
	if ps.HasErrors() {
		t.Fatalf("roles: %v", ps)
	}
	e := NewEvaluator(rs)
	md := seedMetadata()
	tests := []struct {
		name    string
		action  string
		roles   []string
		indices []string
		allowed bool
		want    []string // the indices forwarded, when allowed
		reason  string
	}{
		{name: "delete by query without the delete action", action: "indices:data/write/delete/byquery", roles: []string{"dbq_raw"},
			indices: []string{"logs-acme-dbq"}, reason: "action [indices:data/write/delete] is unauthorized for user [u]"},
		{name: "delete by query without the bulk shard action", action: "indices:data/write/delete/byquery", roles: []string{"dbq_no_bulk"},
			indices: []string{"logs-acme-dbq"}, reason: "action [indices:data/write/bulk[s]] is unauthorized for user [u]"},
		{name: "update by query without the index action", action: "indices:data/write/update/byquery", roles: []string{"ubq_raw"},
			indices: []string{"logs-acme-dbq"}, reason: "action [indices:data/write/index:op_type/index] is unauthorized for user [u]"},
		{name: "update by query with create_doc, which never overwrites", action: "indices:data/write/update/byquery", roles: []string{"ubq_create_doc"},
			indices: []string{"logs-acme-dbq"}, reason: "action [indices:data/write/index:op_type/index] is unauthorized for user [u]"},
		{name: "the delete privilege", action: "indices:data/write/delete/byquery", roles: []string{"delete_dbq"},
			indices: []string{"logs-acme-dbq"}, allowed: true, want: []string{"logs-acme-dbq"}},
		{name: "the index privilege", action: "indices:data/write/update/byquery", roles: []string{"index_ubq"},
			indices: []string{"logs-acme-dbq"}, allowed: true, want: []string{"logs-acme-dbq"}},
		{name: "the delete action granted by another role", action: "indices:data/write/delete/byquery", roles: []string{"dbq_raw", "delete_dbq"},
			indices: []string{"logs-acme-dbq"}, allowed: true, want: []string{"logs-acme-dbq"}},
		{name: "wildcard: only the indices the items may be written to", action: "indices:data/write/delete/byquery",
			roles: []string{"dbq_wild", "delete_item_sandbox"}, indices: []string{"logs-acme-*"}, allowed: true, want: []string{"logs-acme-sandbox"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.Decide(Request{User: "u", Roles: tt.roles, Action: tt.action, Indices: tt.indices, Metadata: md})
			if d.Allowed != tt.allowed {
				t.Fatalf("allowed %v, want %v (%s)", d.Allowed, tt.allowed, d.Reason)
			}
			if !tt.allowed {
				if !strings.Contains(d.Reason, tt.reason) {
					t.Fatalf("reason %q, want it to contain %q", d.Reason, tt.reason)
				}
				return
			}
			if d.MatchNothing || strings.Join(d.Indices, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("indices %v (match nothing %v), want %v", d.Indices, d.MatchNothing, tt.want)
			}
		})
	}
}

// TestByQueryWritesOfAnAPIKey: an API key whose role descriptors grant the
// by-query action by name, without the delete action, may not delete by
// query, whatever its owner may.
func TestByQueryWritesOfAnAPIKey(t *testing.T) {
	rs, ps := ParseRoles("roles.yml", []byte(byQueryWriteRoles))
	if ps.HasErrors() {
		t.Fatalf("roles: %v", ps)
	}
	e := NewEvaluator(rs)
	key := mustLimit(t, `{"k":{"indices":[{"names":["logs-acme-dbq"],"privileges":["indices:data/write/delete/byquery","indices:data/write/bulk*","read"]}]}}`)
	req := Request{User: "u", Roles: []string{"delete_dbq"}, Action: "indices:data/write/delete/byquery", Indices: []string{"logs-acme-dbq"}, Metadata: seedMetadata()}
	if d := e.Decide(req); !d.Allowed {
		t.Fatalf("the owner: %s", d.Reason)
	}
	req.Limit = key
	if d := e.Decide(req); d.Allowed || !strings.Contains(d.Reason, "indices:data/write/delete]") {
		t.Fatalf("the key: allowed %v (%s), want the delete action refused", d.Allowed, d.Reason)
	}
}
