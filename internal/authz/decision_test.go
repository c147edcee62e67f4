package authz

import (
	"slices"
	"testing"
)

const decisionRoles = `
all_access:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [all]
      allow_restricted_indices: true
cluster_all:
  cluster: [all]
  indices:
    - names: ["*"]
      privileges: [read]
index_all:
  cluster: [monitor]
  indices:
    - names: ["*"]
      privileges: [all]
cluster_only_all:
  cluster: [all]
logs_all:
  cluster: [all]
  indices:
    - names: ["logs-*"]
      privileges: [all]
raw_super:
  cluster: ["cluster:*", "indices:admin/template/*", "indices:admin/index_template/*"]
  indices:
    - names: ["*"]
      privileges: ["indices:*", "internal:transport/proxy/indices:*"]
manage_and_security:
  cluster: [manage, manage_security]
  indices:
    - names: ["*"]
      privileges: [all]
logs_reader:
  indices:
    - names: ["logs-*"]
      privileges: [read]
`

func decisionEvaluator(t *testing.T) *Evaluator {
	t.Helper()
	rs, probs := ParseRoles("roles.yml", []byte(decisionRoles))
	if len(probs) != 0 {
		t.Fatal(problemStrings(probs))
	}
	return NewEvaluator(rs)
}

func TestDecide(t *testing.T) {
	e := decisionEvaluator(t)
	for _, tc := range []struct {
		name         string
		req          Request
		allowed      bool
		unrestricted bool
		matchNothing bool
		indices      []string
		reason       string
	}{
		{name: "built-in superuser, cluster action",
			req: Request{User: "u", Roles: []string{"superuser"}, Action: "cluster:monitor/health"}, allowed: true, unrestricted: true},
		{name: "built-in superuser, search",
			req: Request{User: "u", Roles: []string{"superuser"}, Action: "indices:data/read/search", Indices: []string{"logs", "*"}}, allowed: true, unrestricted: true},
		{name: "built-in superuser, unclassified request without index",
			req: Request{User: "u", Roles: []string{"superuser"}, Action: ""}, allowed: true, unrestricted: true},
		{name: "built-in superuser reads a restricted index",
			req: Request{User: "u", Roles: []string{"superuser"}, Action: "indices:data/read/get", Indices: []string{".security-7"}}, allowed: true, unrestricted: true},
		{name: "built-in superuser cannot write a restricted index",
			req: Request{User: "u", Roles: []string{"superuser"}, Action: "indices:data/write/index", Indices: []string{"logs", ".security-7"}},
			reason: "action [indices:data/write/index] is unauthorized for user [u] with effective roles [superuser] on restricted " +
				"indices [.security-7], this action is granted by the index privileges [create_doc,create,index,write,all]"},
		{name: "built-in superuser cannot delete a restricted index by name",
			req: Request{User: "u", Roles: []string{"superuser"}, Action: "indices:admin/delete", Indices: []string{".security-7"}},
			reason: "action [indices:admin/delete] is unauthorized for user [u] with effective roles [superuser] on restricted " +
				"indices [.security-7], this action is granted by the index privileges [delete_index,manage,all]"},
		{name: "built-in superuser deleting through a wildcard: the expansion leaves restricted indices out",
			req: Request{User: "u", Roles: []string{"superuser"}, Action: "indices:admin/delete", Indices: []string{"*"},
				Metadata: NewMetadata([]ConcreteIndex{{Name: "logs-1"}, {Name: ".security-7", Hidden: true}}, nil, nil),
				Options:  IndicesOptions{ExpandWildcards: ExpandAll}},
			allowed: true, indices: []string{"logs-1"}},
		{name: "built-in superuser, unclassified request on a restricted index",
			req:    Request{User: "u", Roles: []string{"superuser"}, Action: "", Indices: []string{".kibana_1"}},
			reason: "action [] is unauthorized for user [u] with effective roles [superuser]"},
		{name: "superuser with allow_restricted_indices writes anything",
			req: Request{User: "sam", Roles: []string{"all_access"}, Action: "indices:admin/delete", Indices: []string{".security-7", "*"}}, allowed: true, unrestricted: true},
		{name: "cluster all without index all",
			req: Request{User: "u", Roles: []string{"cluster_all"}, Action: "cluster:monitor/health"}, allowed: true, unrestricted: true},
		{name: "no cluster privilege",
			req: Request{User: "u", Roles: []string{"logs_reader"}, Action: "cluster:monitor/health"},
			reason: "action [cluster:monitor/health] is unauthorized for user [u] with effective roles [logs_reader], " +
				"this action is granted by the cluster privileges [monitor,manage,all]"},
		{name: "index all on logs-*: logs-1",
			req:     Request{User: "u", Roles: []string{"logs_all"}, Action: "indices:data/read/search", Indices: []string{"logs-1"}},
			allowed: true, unrestricted: true, indices: []string{"logs-1"}},
		{name: "index all on logs-* only",
			req: Request{User: "u", Roles: []string{"logs_all"}, Action: "indices:data/read/search", Indices: []string{"secret"}},
			reason: "action [indices:data/read/search] is unauthorized for user [u] with effective roles [logs_all] on indices " +
				"[secret], this action is granted by the index privileges [read,all]"},
		{name: "index all without cluster all",
			req: Request{User: "u", Roles: []string{"index_all"}, Action: "cluster:admin/settings/update"},
			reason: "action [cluster:admin/settings/update] is unauthorized for user [u] with effective roles [index_all], " +
				"this action is granted by the cluster privileges [manage,all]"},
		{name: "cluster all and index all from two roles: nothing to search in an empty cluster",
			req:     Request{User: "u", Roles: []string{"index_all", "cluster_only_all"}, Action: "indices:data/read/search"},
			allowed: true, matchNothing: true},
		{name: "raw patterns spelling all",
			req: Request{User: "u", Roles: []string{"raw_super"}, Action: "indices:admin/index_template/put"}, allowed: true, unrestricted: true},
		{name: "manage plus manage_security is not all",
			req: Request{User: "u", Roles: []string{"manage_and_security"}, Action: "cluster:admin/xpack/security/delegate_pki"},
			reason: "action [cluster:admin/xpack/security/delegate_pki] is unauthorized for user [u] with effective roles " +
				"[manage_and_security], this action is granted by the cluster privileges [delegate_pki,all]"},
		{name: "missing roles are named (e2e expectation)",
			req: Request{User: "reader", Roles: []string{"logs_reader", "missing_role"}, Action: "indices:data/read/search", Indices: []string{"secret"}},
			reason: "action [indices:data/read/search] is unauthorized for user [reader] with effective roles [logs_reader] " +
				"(assigned roles [missing_role] were not found) on indices [secret], this action is granted by the index privileges [read,all]"},
		{name: "only missing roles",
			req: Request{User: "u", Roles: []string{"zeta", "alpha", "zeta"}, Action: "indices:data/read/search"},
			reason: "action [indices:data/read/search] is unauthorized for user [u] with effective roles [] (assigned roles " +
				"[alpha,zeta] were not found), this action is granted by the index privileges [read,all]"},
		{name: "missing role does not stop a superuser",
			req: Request{User: "u", Roles: []string{"ghost", "superuser"}, Action: "cluster:monitor/main"}, allowed: true, unrestricted: true},
		{name: "no roles",
			req: Request{User: "u", Action: "cluster:monitor/main"},
			reason: "action [cluster:monitor/main] is unauthorized for user [u] with effective roles [], this action is granted " +
				"by the cluster privileges [monitor,manage,all]"},
		{name: "effective roles sorted",
			req: Request{User: "u", Roles: []string{"logs_reader", "index_all"}, Action: "cluster:admin/settings/update"},
			reason: "action [cluster:admin/settings/update] is unauthorized for user [u] with effective roles [index_all,logs_reader], " +
				"this action is granted by the cluster privileges [manage,all]"},
		{name: "unclassified action",
			req:    Request{User: "u", Roles: []string{"logs_reader"}, Action: "", Indices: []string{"logs-1"}},
			reason: "action [] is unauthorized for user [u] with effective roles [logs_reader]"},
		{name: "unknown action name",
			req:    Request{User: "u", Roles: []string{"logs_reader"}, Action: "internal:admin/tasks/ban"},
			reason: "action [internal:admin/tasks/ban] is unauthorized for user [u] with effective roles [logs_reader]"},
		{name: "restricted indices listed apart",
			req: Request{User: "u", Roles: []string{"logs_reader"}, Action: "indices:data/read/search",
				Indices: []string{"logs-1", "zz", ".security-7", "x*", "secret"}},
			reason: "action [indices:data/read/search] is unauthorized for user [u] with effective roles [logs_reader] on indices " +
				"[secret,zz] and restricted indices [.security-7], this action is granted by the index privileges [read,all]"},
		{name: "template action is a cluster action",
			req: Request{User: "u", Roles: []string{"logs_reader"}, Action: "indices:admin/index_template/put", Indices: []string{"t"}},
			reason: "action [indices:admin/index_template/put] is unauthorized for user [u] with effective roles [logs_reader], " +
				"this action is granted by the cluster privileges [manage_index_templates,manage,all]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.Decide(tc.req)
			if d.Allowed != tc.allowed || d.Reason != tc.reason || d.Unrestricted != tc.unrestricted ||
				d.MatchNothing != tc.matchNothing || (tc.indices != nil && !slices.Equal(d.Indices, tc.indices)) {
				t.Fatalf("got allowed=%v unrestricted=%v nothing=%v indices=%q reason:\n %s\nwant allowed=%v unrestricted=%v "+
					"nothing=%v indices=%q reason:\n %s", d.Allowed, d.Unrestricted, d.MatchNothing, d.Indices, d.Reason,
					tc.allowed, tc.unrestricted, tc.matchNothing, tc.indices, tc.reason)
			}
			if !d.Allowed && (d.Status != 403 || d.ErrorType != "security_exception") {
				t.Fatalf("refusal status %d %s", d.Status, d.ErrorType)
			}
		})
	}
}

func TestDecisionRoleLists(t *testing.T) {
	e := decisionEvaluator(t)
	d := e.Decide(Request{User: "u", Roles: []string{"superuser", "ghost", "all_access", "ghost", "another"}, Action: "cluster:monitor/main"})
	if !slices.Equal(d.EffectiveRoles, []string{"all_access", "superuser"}) || !slices.Equal(d.MissingRoles, []string{"another", "ghost"}) {
		t.Fatalf("effective %v missing %v", d.EffectiveRoles, d.MissingRoles)
	}
}

func TestEvaluatorWithoutRolesFile(t *testing.T) {
	e := NewEvaluator(nil)
	if d := e.Decide(Request{User: "u", Roles: []string{"superuser"}, Action: "cluster:monitor/main"}); !d.Allowed {
		t.Fatalf("built-in superuser refused: %s", d.Reason)
	}
	if d := e.Decide(Request{User: "u", Roles: []string{"all_access"}, Action: "cluster:monitor/main"}); d.Allowed {
		t.Fatal("a role from no file allowed")
	}
}

func TestInvalidRoleIsIgnoredByDecisions(t *testing.T) {
	rs, probs := ParseRoles("roles.yml", []byte("admin:\n  cluster: [all, bogus]\n  indices: [{names: ['*'], privileges: [all]}]\n"))
	if !probs.HasErrors() {
		t.Fatal("bogus privilege accepted")
	}
	d := NewEvaluator(rs).Decide(Request{User: "u", Roles: []string{"admin"}, Action: "cluster:monitor/main"})
	if d.Allowed || !slices.Equal(d.MissingRoles, []string{"admin"}) {
		t.Fatalf("an invalid role must behave as missing: %+v", d)
	}
}
