package authz

import (
	"slices"
	"strings"
	"sync"
)

// clusterPrivilegeDefs lists Elasticsearch's named cluster privileges with the
// action patterns of ClusterPrivilegeResolver.java (8.x and 9.x, union of
// names). Approximations, all in the fail-closed direction:
//   - manage_own_api_key depends on who owns the key; it grants no action
//     here, but decideCluster allows the API key actions with
//     Decision.OwnAPIKeysOnly, which the proxy's API key endpoints enforce.
//   - monitor_data_stream_global_retention and manage_data_stream_global_retention
//     have no effect since 8.16 and grant nothing here.
//   - manage_connector / monitor_connector (8.x) are kept with their 8.x
//     action sets.
func clusterPrivilegeDefs() []privilegeDef {
	all := []string{"cluster:*", "indices:admin/template/*", "indices:admin/index_template/*"}
	security := []string{"cluster:admin/xpack/security/*"}
	remoteClusterBase := []string{"cluster:internal/remote_cluster/handshake", "cluster:internal/remote_cluster/nodes",
		"cluster:internal/admin/tasks/ban", "cluster:internal/admin/tasks/cancel_child", "cluster:monitor/xpack/info"}
	connectorSecrets := []string{"cluster:admin/xpack/connector/secret/get", "cluster:admin/xpack/connector/secret/delete",
		"cluster:admin/xpack/connector/secret/post", "cluster:admin/xpack/connector/secret/put"}
	transforms := []string{"cluster:admin/data_frame/*", "cluster:monitor/data_frame/*", "cluster:monitor/transform/*",
		"cluster:admin/transform/*"}
	return []privilegeDef{
		{name: "none"},
		{name: "all", include: all},
		{name: "monitor", include: []string{"cluster:monitor/*", "indices:admin/template/get",
			"cluster:admin/component_template/get", "indices:admin/index_template/get"}},
		{name: "monitor_connector", include: []string{"cluster:admin/xpack/connector/get",
			"cluster:admin/xpack/connector/list", "cluster:admin/xpack/connector/sync_job/get",
			"cluster:admin/xpack/connector/sync_job/list"}},
		{name: "monitor_inference", include: []string{"cluster:monitor/xpack/inference*",
			"cluster:monitor/xpack/ml/trained_models/deployment/infer"}},
		{name: "monitor_ml", include: []string{"cluster:monitor/xpack/ml/*"}},
		{name: "monitor_text_structure", include: []string{"cluster:monitor/text_structure/*"}},
		{name: "monitor_data_frame_transforms", include: []string{"cluster:monitor/data_frame/*", "cluster:monitor/transform/*"}},
		{name: "monitor_transform", include: []string{"cluster:monitor/data_frame/*", "cluster:monitor/transform/*"}},
		{name: "monitor_watcher", include: []string{"cluster:monitor/xpack/watcher/*"}},
		{name: "monitor_rollup", include: []string{"cluster:monitor/xpack/rollup/*"}},
		{name: "monitor_enrich", include: []string{"cluster:monitor/xpack/enrich/*", "cluster:admin/xpack/enrich/get"}},
		{name: "monitor_esql", include: []string{"cluster:monitor/xpack/esql/*"}},
		{name: "monitor_stats", include: []string{"cluster:monitor/stats*"}},
		{name: "monitor_snapshot", include: []string{"cluster:admin/snapshot/status*", "cluster:admin/snapshot/get",
			"cluster:admin/repository/get"}},
		{name: "monitor_data_stream_global_retention"},
		{name: "manage", include: all, exclude: security},
		{name: "manage_connector", include: []string{"cluster:admin/xpack/connector/*"}, exclude: connectorSecrets},
		{name: "manage_inference", include: []string{"cluster:admin/xpack/inference/*", "cluster:monitor/xpack/inference*",
			"cluster:admin/xpack/ml/trained_models/deployment/start", "cluster:admin/xpack/ml/trained_models/deployment/stop",
			"cluster:monitor/xpack/ml/trained_models/deployment/infer"}},
		{name: "manage_ml", include: []string{"cluster:admin/xpack/ml/*", "cluster:monitor/xpack/ml/*"}},
		{name: "manage_data_frame_transforms", include: transforms},
		{name: "manage_transform", include: transforms},
		{name: "manage_token", include: []string{"cluster:admin/xpack/security/token/*"}},
		{name: "manage_watcher", include: []string{"cluster:admin/xpack/watcher/*", "cluster:monitor/xpack/watcher/*"}},
		{name: "manage_index_templates", include: []string{"indices:admin/template/*", "indices:admin/index_template/*",
			"cluster:admin/component_template/*"}},
		{name: "manage_ingest_pipelines", include: []string{"cluster:admin/ingest/pipeline/*"}},
		{name: "read_pipeline", include: []string{"cluster:admin/ingest/pipeline/get", "cluster:admin/ingest/pipeline/simulate"}},
		{name: "transport_client", include: []string{"cluster:monitor/nodes/liveness", "cluster:monitor/state"}},
		{name: "manage_security", include: security, exclude: []string{"cluster:admin/xpack/security/delegate_pki"}},
		{name: "read_security", include: readSecurityActions()},
		{name: "manage_saml", include: []string{"cluster:admin/xpack/security/saml/*",
			"cluster:admin/xpack/security/token/invalidate", "cluster:admin/xpack/security/token/refresh",
			"cluster:monitor/xpack/security/saml/metadata"}},
		{name: "manage_oidc", include: []string{"cluster:admin/xpack/security/oidc/*"}},
		{name: "manage_api_key", include: []string{"cluster:admin/xpack/security/api_key/*"}},
		{name: "grant_api_key", include: []string{"cluster:admin/xpack/security/api_key/grant*"}},
		{name: "manage_service_account", include: []string{"cluster:admin/xpack/security/service_account/*"}},
		{name: "manage_user_profile", include: []string{"cluster:admin/xpack/security/profile/*"}},
		{name: "manage_pipeline", include: []string{"cluster:admin/ingest/pipeline/*"}},
		{name: "manage_rollup", include: []string{"cluster:admin/xpack/rollup/*", "cluster:monitor/xpack/rollup/*"}},
		{name: "manage_autoscaling", include: []string{"cluster:admin/autoscaling/*"}},
		{name: "manage_ccr", include: []string{"cluster:admin/xpack/ccr/*", "cluster:monitor/state",
			"cluster:admin/xpack/security/user/has_privileges"}},
		{name: "read_ccr", include: []string{"cluster:monitor/state", "cluster:admin/xpack/security/user/has_privileges"}},
		{name: "create_snapshot", include: []string{"cluster:admin/snapshot/create", "cluster:admin/snapshot/status*",
			"cluster:admin/snapshot/get", "cluster:admin/repository/get"}},
		{name: "manage_ilm", include: []string{"cluster:admin/ilm/*"}},
		{name: "read_ilm", include: []string{"cluster:admin/ilm/get", "cluster:admin/ilm/operation_mode/get"}},
		{name: "manage_slm", include: []string{"cluster:admin/slm/*", "cluster:admin/ilm/start", "cluster:admin/ilm/stop",
			"cluster:admin/ilm/operation_mode/get"}},
		{name: "read_slm", include: []string{"cluster:admin/slm/status", "cluster:admin/slm/get",
			"cluster:admin/ilm/operation_mode/get"}},
		{name: "delegate_pki", include: []string{"cluster:admin/xpack/security/delegate_pki",
			"cluster:admin/xpack/security/token/invalidate"}},
		{name: "manage_own_api_key", include: []string{"cluster:admin/xpack/security/api_key/*"}, conditional: true},
		{name: "manage_enrich", include: []string{"cluster:admin/xpack/enrich/*", "cluster:monitor/xpack/enrich/*"}},
		{name: "manage_logstash_pipelines", include: []string{"cluster:admin/logstash/pipeline/*"}},
		{name: "read_fleet_secrets", include: []string{"cluster:admin/fleet/secrets/get"}},
		{name: "write_fleet_secrets", include: []string{"cluster:admin/fleet/secrets/post", "cluster:admin/fleet/secrets/delete"}},
		{name: "cancel_task", include: []string{"cluster:admin/tasks/cancel*"}},
		{name: "manage_search_application", include: []string{"cluster:admin/xpack/application/search_application/*"}},
		{name: "manage_search_synonyms", include: []string{"cluster:admin/synonyms/*", "cluster:admin/synonyms_sets/*",
			"cluster:admin/synonym_rules/*"}},
		{name: "manage_behavioral_analytics", include: []string{"cluster:admin/xpack/application/analytics/*"}},
		{name: "post_behavioral_analytics_event", include: []string{"cluster:admin/xpack/application/analytics/post_event"}},
		{name: "manage_search_query_rules", include: []string{"cluster:admin/xpack/query_rules/*"}},
		{name: "cross_cluster_search", include: append(slices.Clone(remoteClusterBase),
			"cluster:monitor/xpack/enrich/esql/resolve_policy", "cluster:internal:data/read/esql/open_exchange",
			"cluster:internal:data/read/esql/exchange")},
		{name: "cross_cluster_replication", include: append(slices.Clone(remoteClusterBase), "cluster:monitor/state")},
		{name: "read_connector_secrets", include: connectorSecrets[:1]},
		{name: "write_connector_secrets", include: connectorSecrets[1:]},
		{name: "manage_data_stream_global_retention"},
	}
}

func readSecurityActions() []string {
	return []string{
		"cluster:admin/xpack/security/api_key/get", "cluster:admin/xpack/security/api_key/query",
		"cluster:admin/xpack/security/privilege/builtin/get", "cluster:admin/xpack/security/privilege/get",
		"cluster:admin/xpack/security/profile/get", "cluster:admin/xpack/security/profile/has_privileges",
		"cluster:admin/xpack/security/profile/suggest", "cluster:admin/xpack/security/role/get",
		"cluster:admin/xpack/security/role/query", "cluster:admin/xpack/security/role_mapping/get",
		"cluster:admin/xpack/security/service_account/get",
		"cluster:admin/xpack/security/service_account/credential/get*", "cluster:admin/xpack/security/user/get",
		"cluster:admin/xpack/security/user/query", "cluster:admin/xpack/security/user/list_privileges",
		"cluster:admin/xpack/security/user/has_privileges", "cluster:admin/xpack/security/settings/get",
	}
}

// clusterCatalogue is built once, sorted as ClusterPrivilegeResolver.VALUES.
var clusterCatalogue = sync.OnceValue(func() *catalogue {
	return newCatalogue(sortByImplied(compileDefs(clusterPrivilegeDefs())))
})

// clusterActionMatcher is ClusterPrivilegeResolver.ACTION_MATCHER.
var clusterActionMatcher = newActionSet([]string{"cluster:*", "indices:admin/template/*", "indices:admin/index_template/*"}, nil)

// IsClusterAction reports whether Elasticsearch treats action as a cluster
// action (authorized against cluster privileges). It is checked before
// IsIndexAction: template actions are cluster actions.
func IsClusterAction(action string) bool { return clusterActionMatcher.matches(action) }

// ClusterPrivilegeNames returns the named cluster privileges in
// Elasticsearch's order (least privileged first).
func ClusterPrivilegeNames() []string { return clusterCatalogue().names() }

// ClusterPrivilegeActions returns the action patterns a named cluster
// privilege grants and those it carves out (case-insensitive name), and
// whether the name is known.
func ClusterPrivilegeActions(name string) (include, exclude []string, ok bool) {
	p, ok := clusterCatalogue().get(strings.ToLower(name))
	if !ok {
		return nil, nil, false
	}
	return slices.Clone(p.include), slices.Clone(p.exclude), true
}

// ClusterPrivilegesGranting lists the named cluster privileges that grant
// action, least privileged first, as Elasticsearch prints them in "this
// action is granted by the cluster privileges [...]". Request-dependent
// privileges (manage_own_api_key) are listed when the action is theirs.
func ClusterPrivilegesGranting(action string) []string {
	return clusterCatalogue().granting(action, func(namedPrivilege) bool { return true })
}

// unknownClusterPrivilegeMessage is Elasticsearch's refusal of a cluster
// privilege name (names in the catalogue's order, as ES prints them).
func unknownClusterPrivilegeMessage(name string) string {
	return "unknown cluster privilege [" + name + "]. a privilege must be either one of the predefined cluster privilege names [" +
		strings.Join(ClusterPrivilegeNames(), ",") + "] or a pattern over one of the available cluster actions"
}
