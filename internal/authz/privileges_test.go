package authz

import (
	"slices"
	"strings"
	"testing"
)

// esIndexPrivileges and esClusterPrivileges are the names GET
// /_security/privilege/_builtin returns (9.x), plus monitor_connector and
// manage_connector (8.x): every one must be accepted.
var (
	esIndexPrivileges = []string{"all", "auto_configure", "create", "create_doc", "create_index", "cross_cluster_replication",
		"cross_cluster_replication_internal", "delete", "delete_index", "index", "maintenance", "manage",
		"manage_data_stream_lifecycle", "manage_failure_store", "manage_follow_index", "manage_ilm", "manage_leader_index",
		"monitor", "none", "read", "read_cross_cluster", "read_failure_store", "view_index_metadata", "write"}
	esClusterPrivileges = []string{"all", "cancel_task", "create_snapshot", "cross_cluster_replication", "cross_cluster_search",
		"delegate_pki", "grant_api_key", "manage", "manage_api_key", "manage_autoscaling", "manage_behavioral_analytics",
		"manage_ccr", "manage_connector", "manage_data_frame_transforms", "manage_data_stream_global_retention",
		"manage_enrich", "manage_ilm", "manage_index_templates", "manage_inference", "manage_ingest_pipelines",
		"manage_logstash_pipelines", "manage_ml", "manage_oidc", "manage_own_api_key", "manage_pipeline", "manage_rollup",
		"manage_saml", "manage_search_application", "manage_search_query_rules", "manage_search_synonyms",
		"manage_security", "manage_service_account", "manage_slm", "manage_token", "manage_transform",
		"manage_user_profile", "manage_watcher", "monitor", "monitor_connector", "monitor_data_frame_transforms",
		"monitor_data_stream_global_retention", "monitor_enrich", "monitor_esql", "monitor_inference", "monitor_ml",
		"monitor_rollup", "monitor_snapshot", "monitor_stats", "monitor_text_structure", "monitor_transform",
		"monitor_watcher", "none", "post_behavioral_analytics_event", "read_ccr", "read_connector_secrets",
		"read_fleet_secrets", "read_ilm", "read_pipeline", "read_security", "read_slm", "transport_client",
		"write_connector_secrets", "write_fleet_secrets"}
)

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestCatalogueNames(t *testing.T) {
	if got := sorted(IndexPrivilegeNames()); !slices.Equal(got, esIndexPrivileges) {
		t.Errorf("index privileges:\n got %v\nwant %v", got, esIndexPrivileges)
	}
	if got := sorted(ClusterPrivilegeNames()); !slices.Equal(got, esClusterPrivileges) {
		t.Errorf("cluster privileges:\n got %v\nwant %v", got, esClusterPrivileges)
	}
}

// The subset computations that order the catalogues are exact only for
// literal or literal-plus-trailing-star patterns.
func TestCataloguePatternsArePrefixPatterns(t *testing.T) {
	for _, defs := range [][]privilegeDef{indexPrivilegeDefs(), clusterPrivilegeDefs()} {
		for _, d := range defs {
			for _, p := range append(slices.Clone(d.include), d.exclude...) {
				if !isPrefixPattern(p) {
					t.Errorf("%s: pattern %q is not a prefix pattern", d.name, p)
				}
			}
		}
	}
}

func TestPrivilegesGranting(t *testing.T) {
	for _, tc := range []struct {
		action string
		want   string
	}{
		// Index: messages seen from Elasticsearch.
		{"indices:data/read/search", "read,all"},
		{"indices:data/write/bulk[s]", "create_doc,create,delete,index,write,all"},
		{"indices:data/write/index", "create_doc,create,index,write,all"},
		{"indices:data/write/delete/byquery", "delete,write,all"},
		{"indices:admin/create", "create_index,manage,all"},
		{"indices:admin/delete", "delete_index,manage,all"},
		{"indices:data/write/update", "index,write,all"},
		{"indices:admin/mappings/get", "view_index_metadata,manage,all"},
		{"indices:monitor/stats", "monitor,cross_cluster_replication,manage,all"},
		{"indices:admin/refresh", "maintenance,manage,all"},
		// Cluster.
		{"cluster:monitor/health", "monitor,manage,all"},
		{"cluster:admin/settings/update", "manage,all"},
		{"cluster:admin/xpack/security/role/put", "manage_security,all"},
		{"cluster:admin/xpack/security/role/get", "read_security,manage_security,all"},
		{"indices:admin/index_template/put", "manage_index_templates,manage,all"},
		{"cluster:admin/ingest/pipeline/get", "read_pipeline,manage_ingest_pipelines,manage_pipeline,manage,all"},
		{"cluster:admin/xpack/security/api_key/create", "manage_own_api_key,manage_api_key,manage_security,all"},
	} {
		var got []string
		if IsClusterAction(tc.action) {
			got = ClusterPrivilegesGranting(tc.action)
		} else {
			got = IndexPrivilegesGranting(tc.action)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s granted by [%s], want [%s]", tc.action, strings.Join(got, ","), tc.want)
		}
	}
}

func TestActionKinds(t *testing.T) {
	for _, tc := range []struct {
		action         string
		cluster, index bool
	}{
		{"cluster:monitor/health", true, false},
		{"indices:admin/template/put", true, true},
		{"indices:admin/index_template/get", true, true},
		{"indices:data/read/search", false, true},
		{"internal:transport/proxy/indices:data/read/search", false, true},
		{"internal:admin/tasks/ban", false, false},
		{"", false, false},
		{"indices", false, false},
	} {
		if IsClusterAction(tc.action) != tc.cluster || IsIndexAction(tc.action) != tc.index {
			t.Errorf("%q: cluster %v index %v", tc.action, IsClusterAction(tc.action), IsIndexAction(tc.action))
		}
	}
}

func TestPrivilegeActionsLookup(t *testing.T) {
	if got, ok := IndexPrivilegeActions("READ"); !ok || !slices.Equal(got, []string{"indices:data/read/*",
		"indices:admin/resolve/index", "indices:admin/resolve/cluster"}) {
		t.Errorf("read = %v %v", got, ok)
	}
	if _, ok := IndexPrivilegeActions("raed"); ok {
		t.Error("unknown index privilege found")
	}
	inc, exc, ok := ClusterPrivilegeActions("manage")
	if !ok || !slices.Equal(inc, []string{"cluster:*", "indices:admin/template/*", "indices:admin/index_template/*"}) ||
		!slices.Equal(exc, []string{"cluster:admin/xpack/security/*"}) {
		t.Errorf("manage = %v minus %v", inc, exc)
	}
	got, _ := IndexPrivilegeActions("all")
	got[0] = "mutated"
	if again, _ := IndexPrivilegeActions("all"); again[0] != "indices:*" {
		t.Error("IndexPrivilegeActions must return a copy")
	}
}

func TestIndexPrivilegeSemantics(t *testing.T) {
	for _, tc := range []struct {
		privilege, action string
		want              bool
	}{
		{"create_doc", "indices:data/write/index:op_type/create", true},
		{"create_doc", "indices:data/write/index:op_type/index", false},
		{"create", "indices:data/write/update", false},
		{"index", "indices:data/write/update", true},
		{"index", "indices:data/write/delete", false},
		{"delete", "indices:data/write/index", false},
		{"write", "indices:admin/mapping/auto_put", true},
		{"index", "indices:admin/mapping/auto_put", false},
		{"view_index_metadata", "indices:data/read/search", false},
		{"maintenance", "indices:data/read/search", false},
		{"read_failure_store", "indices:data/read/search", false}, // failure store only
		{"manage_failure_store", "indices:admin/delete", false},
		{"indices:data/read/search", "indices:data/read/search", true}, // raw action
		{"indices:data/read/search", "indices:data/read/get", false},
	} {
		inc, known := resolveIndexPrivilege(tc.privilege)
		if !known {
			t.Fatalf("%s unknown", tc.privilege)
		}
		if got := newActionSet(inc, nil).matches(tc.action); got != tc.want {
			t.Errorf("%s grants %s = %v, want %v", tc.privilege, tc.action, got, tc.want)
		}
	}
}

func TestUnknownPrivilegeMessages(t *testing.T) {
	want := "unknown index privilege [raed]. a privilege must be either one of the predefined fixed indices privileges " +
		"[all,auto_configure,create,create_doc,create_index,cross_cluster_replication,cross_cluster_replication_internal," +
		"delete,delete_index,index,maintenance,manage,manage_data_stream_lifecycle,manage_failure_store," +
		"manage_follow_index,manage_ilm,manage_leader_index,monitor,none,read,read_cross_cluster,read_failure_store," +
		"view_index_metadata,write] or a pattern over one of the available index actions"
	if got := unknownIndexPrivilegeMessage("raed"); got != want {
		t.Errorf("index:\n got %s\nwant %s", got, want)
	}
	got := unknownClusterPrivilegeMessage("x")
	if !strings.HasPrefix(got, "unknown cluster privilege [x]. a privilege must be either one of the predefined cluster privilege names [") ||
		!strings.HasSuffix(got, ",monitor,manage,all] or a pattern over one of the available cluster actions") {
		t.Errorf("cluster: %s", got)
	}
}

func TestActionSetSubset(t *testing.T) {
	all := newActionSet([]string{"cluster:*", "indices:admin/template/*"}, nil)
	manage := newActionSet([]string{"cluster:*", "indices:admin/template/*"}, []string{"cluster:admin/xpack/security/*"})
	security := newActionSet([]string{"cluster:admin/xpack/security/*"}, []string{"cluster:admin/xpack/security/delegate_pki"})
	monitor := newActionSet([]string{"cluster:monitor/*", "indices:admin/template/get"}, nil)
	for _, tc := range []struct {
		name string
		a, b actionSet
		want bool
	}{
		{"manage in all", manage, all, true},
		{"all not in manage", all, manage, false},
		{"monitor in manage", monitor, manage, true},
		{"security not in manage", security, manage, false},
		{"security in all", security, all, true},
		{"empty in monitor", actionSet{}, monitor, true},
	} {
		if got := tc.a.subsetOf(tc.b); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
