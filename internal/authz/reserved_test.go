package authz

import (
	"slices"
	"testing"
)

func TestReservedRolesLoad(t *testing.T) {
	// reservedRoles panics on any problem; calling it is the test.
	names := ReservedRoleNames()
	for _, want := range []string{"superuser", "viewer", "editor", "monitoring_user", "kibana_admin", "kibana_system",
		"ingest_admin", "transport_client", "snapshot_user"} {
		if !slices.Contains(names, want) {
			t.Errorf("built-in role %s missing", want)
		}
	}
	rs, _ := ParseRoles("roles.yml", nil)
	for _, name := range names {
		r := mustGet(t, rs, name)
		if !r.Reserved() || r.Line() != 0 {
			t.Errorf("%s: reserved %v line %d", name, r.Reserved(), r.Line())
		}
	}
}

func TestSuperuserRole(t *testing.T) {
	rs, _ := ParseRoles("roles.yml", nil)
	su := mustGet(t, rs, "superuser")
	if !slices.Equal(su.ClusterPrivileges(), []string{"all"}) || !slices.Equal(su.RunAs(), []string{"*"}) {
		t.Errorf("superuser cluster %v run_as %v", su.ClusterPrivileges(), su.RunAs())
	}
	if apps := su.Applications(); len(apps) != 1 || apps[0].Application != "*" {
		t.Errorf("superuser applications %+v", apps)
	}
	if !isSuperuser([]*Role{su}) {
		t.Error("the superuser role must pass the superuser check")
	}
	groups := su.IndexGroups()
	for _, tc := range []struct {
		what string
		got  bool
		want bool
	}{
		{"write logs", anyGroup(groups, "indices:data/write/index", "logs"), true},
		{"read .security", anyGroup(groups, "indices:data/read/search", ".security-7"), true},
		{"write .security", anyGroup(groups, "indices:data/write/index", ".security-7"), false},
		{"delete .kibana", anyGroup(groups, "indices:admin/delete", ".kibana_1"), false},
	} {
		if tc.got != tc.want {
			t.Errorf("superuser %s: %v", tc.what, tc.got)
		}
	}
}

func anyGroup(groups []IndexGroup, action, index string) bool {
	for _, g := range groups {
		if g.Allows(action) && g.MatchesIndex(index) {
			return true
		}
	}
	return false
}

func TestBuiltinRoleGrants(t *testing.T) {
	rs, _ := ParseRoles("roles.yml", nil)
	for _, tc := range []struct {
		role, action, index string
		want                bool
	}{
		{"viewer", "indices:data/read/search", "logs-2024", true},
		{"viewer", "indices:data/read/search", ".kibana", false},
		{"viewer", "indices:data/read/search", ".hidden-data", false},
		{"viewer", "indices:data/read/search", "ilm-history-7", false},
		{"viewer", "indices:data/write/index", "logs-2024", false},
		{"editor", "indices:data/write/index", "observability-annotations", true},
		{"editor", "indices:data/write/index", "logs-2024", false},
		{"monitoring_user", "indices:data/read/search", "metrics-kibana.stack-default", true},
		{"monitoring_user", "indices:data/read/search", "metrics-system.cpu", false},
		{"kibana_system", "indices:data/write/index", ".kibana_8.0.0_001", true},
		{"kibana_system", "indices:data/read/search", "logs-2024", false},
		{"kibana_system", "indices:admin/mappings/get", "logs-2024", true},
		// Fleet's secrets: Kibana writes them, only Fleet Server reads them
		// (Elasticsearch's kibana_system lists the other Fleet indices one
		// by one, never ".fleet*").
		{"kibana_system", "indices:data/write/index", ".fleet-secrets-7", true},
		{"kibana_system", "indices:data/read/search", ".fleet-secrets-7", false},
		{"kibana_system", "indices:data/read/get", ".fleet-secrets-7", false},
		{"kibana_system", "indices:admin/mappings/get", ".fleet-secrets-7", false},
		{"kibana_system", "indices:data/read/search", ".fleet-agents-7", true},
		{"kibana_system", "indices:data/read/search", ".fleet-policies-leader-7", true},
		{"kibana_system", "indices:data/read/search", ".fleet-file-data-agent", true},
		{"kibana_system", "indices:data/read/search", ".fleet-unknown-7", false},
		{"elastic/kibana", "indices:data/read/search", ".fleet-secrets-7", false},
		{"elastic/kibana", "indices:data/write/index", ".fleet-secrets-7", true},
		{"elastic/fleet-server", "indices:data/read/search", ".fleet-secrets-7", true},
		{"snapshot_user", "indices:admin/get", ".security-7", true},
	} {
		r := mustGet(t, rs, tc.role)
		if got := anyGroup(r.IndexGroups(), tc.action, tc.index); got != tc.want {
			t.Errorf("%s: %s on %s = %v, want %v", tc.role, tc.action, tc.index, got, tc.want)
		}
	}
	for _, tc := range []struct {
		role, action string
		want         bool
	}{
		{"ingest_admin", "cluster:admin/ingest/pipeline/put", true},
		{"ingest_admin", "indices:admin/index_template/put", true},
		{"ingest_admin", "cluster:admin/settings/update", false},
		{"monitoring_user", "cluster:monitor/main", true},
		{"monitoring_user", "cluster:monitor/health", false},
		{"kibana_system", "cluster:monitor/health", true},
		{"kibana_system", "cluster:admin/xpack/security/api_key/create", false}, // manage_own_api_key needs request context
		{"kibana_system", "cluster:admin/xpack/security/api_key/invalidate", true},
		{"transport_client", "cluster:monitor/state", true},
	} {
		if got := mustGet(t, rs, tc.role).ClusterAllows(tc.action); got != tc.want {
			t.Errorf("%s: cluster %s = %v, want %v", tc.role, tc.action, got, tc.want)
		}
	}
}
