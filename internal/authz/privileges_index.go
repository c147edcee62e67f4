package authz

import (
	"slices"
	"strings"
	"sync"
)

// indexPrivilegeDefs lists Elasticsearch's named index privileges with the
// action patterns of IndexPrivilege.java (9.x). Approximations, all in the
// fail-closed direction:
//   - read_failure_store and manage_failure_store only reach a data stream's
//     failure store ("::failures"); they grant nothing on ordinary data here.
//   - the 9.x OTLP ingest actions (indices:data/write/otlp/*) that newer
//     versions add to create_doc are not included: they need write or all.
func indexPrivilegeDefs() []privilegeDef {
	manage := []string{"indices:monitor/*", "indices:admin/*", "indices:data/read/field_caps*",
		"indices:data/read/xpack/rollup/get/index/caps*"}
	return []privilegeDef{
		{name: "none"},
		{name: "all", include: []string{"indices:*", "internal:transport/proxy/indices:*"}, selector: selectAll},
		{name: "read", include: []string{"indices:data/read/*", "indices:admin/resolve/index", "indices:admin/resolve/cluster"}},
		{name: "read_cross_cluster", include: []string{"internal:transport/proxy/indices:data/read/*",
			"indices:admin/shards/search_shards", "indices:admin/search/search_shards", "indices:admin/resolve/cluster",
			"indices:data/read/esql", "indices:data/read/esql/compute"}},
		{name: "create", include: []string{"indices:data/write/index*", "indices:data/write/bulk*",
			"indices:data/write/simulate/bulk*"}},
		{name: "create_doc", include: []string{"indices:data/write/index", "indices:data/write/index[*",
			"indices:data/write/index:op_type/create", "indices:data/write/bulk*", "indices:data/write/simulate/bulk*"}},
		{name: "index", include: []string{"indices:data/write/index*", "indices:data/write/bulk*",
			"indices:data/write/update*", "indices:data/write/simulate/bulk*"}},
		{name: "delete", include: []string{"indices:data/write/delete*", "indices:data/write/bulk*"}},
		{name: "write", include: []string{"indices:data/write/*", "indices:admin/mapping/auto_put"}},
		{name: "monitor", include: []string{"indices:monitor/*"}},
		{name: "manage", include: manage, selector: selectDataAndFailures},
		{name: "create_index", include: []string{"indices:admin/create", "indices:admin/auto_create",
			"indices:admin/data_stream/create"}},
		{name: "delete_index", include: []string{"indices:admin/delete", "indices:admin/data_stream/delete"}},
		{name: "view_index_metadata", include: []string{"indices:admin/aliases/get", "indices:admin/get",
			"indices:admin/mappings/fields/get*", "indices:admin/mappings/get", "indices:admin/shards/search_shards",
			"indices:admin/search/search_shards", "indices:admin/validate/query*", "indices:monitor/settings/get",
			"indices:admin/ilm/explain", "indices:admin/data_stream/lifecycle/get",
			"indices:admin/data_stream/lifecycle/explain", "indices:admin/data_stream/get", "indices:admin/resolve/index",
			"indices:admin/resolve/cluster", "indices:data/read/field_caps*",
			"indices:data/read/xpack/rollup/get/index/caps*", "indices:monitor/transform/checkpoint*",
			"indices:monitor/get/metering/stats", "indices:admin/get/metering/stats"}},
		{name: "manage_follow_index", include: []string{"indices:admin/xpack/ccr/put_follow",
			"indices:admin/xpack/ccr/unfollow", "indices:admin/close*", "indices:admin/data_stream/promote",
			"indices:admin/rollover"}},
		{name: "manage_leader_index", include: []string{"indices:admin/xpack/ccr/forget_follower*"}},
		{name: "manage_ilm", include: []string{"indices:admin/ilm/*"}},
		{name: "manage_data_stream_lifecycle", include: []string{"indices:admin/data_stream/lifecycle/*"},
			selector: selectDataAndFailures},
		{name: "maintenance", include: []string{"indices:admin/refresh*", "indices:admin/flush*",
			"indices:admin/synced_flush", "indices:admin/forcemerge*"}},
		{name: "auto_configure", include: []string{"indices:admin/mapping/auto_put", "indices:admin/auto_create"}},
		{name: "cross_cluster_replication", include: []string{"indices:data/read/xpack/ccr/shard_changes*",
			"indices:monitor/stats*", "indices:admin/seq_no/add_retention_lease*",
			"indices:admin/seq_no/remove_retention_lease*", "indices:admin/seq_no/renew_retention_lease*"}},
		{name: "cross_cluster_replication_internal", include: []string{
			"indices:internal/admin/ccr/restore/session/clear*", "indices:internal/admin/ccr/restore/file_chunk/get*",
			"indices:internal/admin/ccr/restore/session/put*",
			"internal:transport/proxy/indices:internal/admin/ccr/restore/session/clear*",
			"internal:transport/proxy/indices:internal/admin/ccr/restore/file_chunk/get*"}},
		{name: "read_failure_store", include: []string{"indices:data/read/*", "indices:admin/resolve/index"},
			selector: selectFailures},
		{name: "manage_failure_store", include: manage, selector: selectFailures},
	}
}

// indexCatalogue is built once: the failure-store privileges first, then the
// others, each group sorted as Elasticsearch sorts it (IndexPrivilege.VALUES).
var indexCatalogue = sync.OnceValue(func() *catalogue {
	var failures, data []namedPrivilege
	for _, p := range compileDefs(indexPrivilegeDefs()) {
		if p.selector == selectFailures {
			failures = append(failures, p)
		} else {
			data = append(data, p)
		}
	}
	return newCatalogue(append(sortBySupersets(failures), sortBySupersets(data)...))
})

// indexActionMatcher is IndexPrivilege.ACTION_MATCHER: what "all" grants.
var indexActionMatcher = newActionSet([]string{"indices:*", "internal:transport/proxy/indices:*"}, nil)

// IsIndexAction reports whether Elasticsearch treats action as an index
// action (authorized against index privileges).
func IsIndexAction(action string) bool { return indexActionMatcher.matches(action) }

// IndexPrivilegeNames returns the named index privileges in Elasticsearch's
// order (least privileged first).
func IndexPrivilegeNames() []string { return indexCatalogue().names() }

// IndexPrivilegeActions returns the action patterns a named index privilege
// grants (case-insensitive name), and whether the name is known.
func IndexPrivilegeActions(name string) ([]string, bool) {
	p, ok := indexCatalogue().get(strings.ToLower(name))
	if !ok {
		return nil, false
	}
	return slices.Clone(p.include), true
}

// IndexPrivilegesGranting lists the named index privileges that grant action
// on ordinary data, least privileged first, as Elasticsearch prints them in
// "this action is granted by the index privileges [...]".
func IndexPrivilegesGranting(action string) []string {
	return indexCatalogue().granting(action, func(p namedPrivilege) bool { return p.selector.grantsData() })
}

// unknownIndexPrivilegeMessage is Elasticsearch's refusal of an index
// privilege name (the list is sorted by name, as in 9.x).
func unknownIndexPrivilegeMessage(name string) string {
	names := IndexPrivilegeNames()
	slices.Sort(names)
	return "unknown index privilege [" + name + "]. a privilege must be either one of the predefined fixed indices privileges [" +
		strings.Join(names, ",") + "] or a pattern over one of the available index actions"
}
