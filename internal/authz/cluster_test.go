package authz

import (
	"strings"
	"testing"
)

func denyCl(user, roles, action string) string {
	return "action [" + action + "] is unauthorized for user [" + user + "] with effective roles [" + roles +
		"], this action is granted by the cluster privileges [" + strings.Join(ClusterPrivilegesGranting(action), ",") + "]"
}

const extraClusterRoles = `
templates:
  cluster: [manage_index_templates]
read_sec:
  cluster: [read_security]
managers:
  cluster: [manage]
`

func TestDecideCluster(t *testing.T) {
	e := fixtureEvaluator(t, extraRoles+extraClusterRoles)
	users := fixtureUsers(t)
	for _, tc := range []struct {
		name   string
		user   string
		roles  []string
		action string
		target string
		reason string // empty: allowed
	}{
		{name: "checklist 45: monitor health", user: "kim", action: "cluster:monitor/health"},
		{name: "checklist 45: monitor nodes stats", user: "kim", action: "cluster:monitor/nodes/stats"},
		{name: "checklist 45: monitor main", user: "kim", action: "cluster:monitor/main"},
		{name: "monitor gets templates", user: "kim", action: "indices:admin/index_template/get"},
		{name: "checklist 45: monitor may not update settings", user: "kim", action: "cluster:admin/settings/update",
			reason: "action [cluster:admin/settings/update] is unauthorized for user [kim] with effective roles [kibana_like], " +
				"this action is granted by the cluster privileges [manage,all]"},
		{name: "META-005 cluster state needs monitor", user: "alice", action: "cluster:monitor/state",
			reason: denyCl("alice", "acme_reader", "cluster:monitor/state")},
		{name: "sam has cluster all", user: "sam", action: "cluster:admin/settings/update"},
		{name: "checklist 46: manage is not manage_security", roles: []string{"managers"}, action: "cluster:admin/xpack/security/role/put",
			reason: denyCl("u", "managers", "cluster:admin/xpack/security/role/put")},
		{name: "checklist 47: manage_index_templates puts a template", roles: []string{"templates"}, action: "indices:admin/index_template/put"},
		{name: "template put needs a cluster privilege", user: "lars", action: "indices:admin/index_template/put",
			reason: "action [indices:admin/index_template/put] is unauthorized for user [lars] with effective roles [acme_admin], " +
				"this action is granted by the cluster privileges [manage_index_templates,manage,all]"},
		{name: "checklist 48: read_security gets roles", roles: []string{"read_sec"}, action: "cluster:admin/xpack/security/role/get"},
		{name: "checklist 48: read_security may not put roles", roles: []string{"read_sec"}, action: "cluster:admin/xpack/security/role/put",
			reason: denyCl("u", "read_sec", "cluster:admin/xpack/security/role/put")},
		{name: "checklist 50: privileges of several roles are unioned", roles: []string{"templates", "read_sec"},
			action: "cluster:admin/xpack/security/role/get"},
		{name: "checklist 10/11: authenticate with no role", user: "zed", action: "cluster:admin/xpack/security/user/authenticate"},
		{name: "checklist 49: has_privileges about oneself", user: "zed", action: "cluster:admin/xpack/security/user/has_privileges"},
		{name: "has_privileges naming oneself", user: "nina", action: "cluster:admin/xpack/security/user/has_privileges", target: "nina"},
		{name: "has_privileges about another user", user: "nina", action: "cluster:admin/xpack/security/user/has_privileges", target: "sam",
			reason: denyCl("nina", "payroll_none", "cluster:admin/xpack/security/user/has_privileges")},
		{name: "list own privileges", user: "ghost", action: "cluster:admin/xpack/security/user/list_privileges"},
		{name: "change own password", user: "alice", action: "cluster:admin/xpack/security/user/change_password", target: "alice"},
		{name: "change another user's password", user: "alice", action: "cluster:admin/xpack/security/user/change_password", target: "sam",
			reason: denyCl("alice", "acme_reader", "cluster:admin/xpack/security/user/change_password")},
		{name: "missing roles in a cluster refusal", user: "ghost", action: "cluster:monitor/health",
			reason: "action [cluster:monitor/health] is unauthorized for user [ghost] with effective roles [] (assigned roles " +
				"[undefined_role] were not found), this action is granted by the cluster privileges [monitor,manage,all]"},
		{name: "index expressions of a cluster action are ignored", user: "kim", action: "cluster:monitor/health"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user, roles := tc.user, tc.roles
			if user == "" {
				user = "u"
			}
			if roles == nil {
				roles = users[user]
			}
			d := e.Decide(Request{User: user, Roles: roles, Action: tc.action, TargetUser: tc.target,
				Indices: []string{"hr-payroll"}, Metadata: seedMetadata()})
			if tc.reason == "" {
				if !d.Allowed || !d.Unrestricted {
					t.Fatalf("refused: %s", d.Reason)
				}
				return
			}
			if d.Allowed || d.Reason != tc.reason || d.Status != 403 || d.ErrorType != "security_exception" {
				t.Fatalf("got allowed=%v %d reason:\n  %s\nwant:\n  %s", d.Allowed, d.Status, d.Reason, tc.reason)
			}
		})
	}
}
