package esapi

// snapshotAPIs lists snapshots, repositories, SLM and searchable snapshots.
func snapshotAPIs() []api {
	return []api{
		{name: "snapshot.cleanup_repository", eps: []string{"POST /_snapshot/{repository}/_cleanup"}, action: "cluster:admin/repository/_cleanup", route: "snapshot", body: BodyNone},
		{name: "snapshot.clone", eps: []string{"PUT /_snapshot/{repository}/{snapshot}/_clone/{target_snapshot}"}, action: "cluster:admin/snapshot/clone", route: "snapshot", body: BodyJSON, bodyIdx: true},
		{name: "snapshot.create", eps: []string{"POST PUT /_snapshot/{repository}/{snapshot}"}, action: "cluster:admin/snapshot/create", route: "snapshot", body: BodyJSON, bodyIdx: true},
		{name: "snapshot.create_repository", eps: []string{"POST PUT /_snapshot/{repository}"}, action: "cluster:admin/repository/put", route: "snapshot", body: BodyJSON},
		{name: "snapshot.delete", eps: []string{"DELETE /_snapshot/{repository}/{snapshot}"}, action: "cluster:admin/snapshot/delete", route: "snapshot", body: BodyNone},
		{name: "snapshot.delete_repository", eps: []string{"DELETE /_snapshot/{repository}"}, action: "cluster:admin/repository/delete", route: "snapshot", body: BodyNone},
		{name: "snapshot.get", eps: []string{"GET /_snapshot/{repository}/{snapshot}"}, action: "cluster:admin/snapshot/get", route: "snapshot", body: BodyNone},
		{name: "snapshot.get_repository", eps: []string{"GET /_snapshot", "GET /_snapshot/{repository}"}, action: "cluster:admin/repository/get", route: "snapshot", body: BodyNone},
		{name: "snapshot.restore", eps: []string{"POST /_snapshot/{repository}/{snapshot}/_restore"}, action: "cluster:admin/snapshot/restore", route: "snapshot", body: BodyJSON, bodyIdx: true},
		{name: "snapshot.status", eps: []string{"GET /_snapshot/_status", "GET /_snapshot/{repository}/_status", "GET /_snapshot/{repository}/{snapshot}/_status", "GET /_snapshot/{repository}/{snapshot}/{index}/_status"}, action: "cluster:admin/snapshot/status", route: "snapshot", body: BodyNone},
		{name: "snapshot.verify_repository", eps: []string{"POST /_snapshot/{repository}/_verify"}, action: "cluster:admin/repository/verify", route: "snapshot", body: BodyNone},
		{name: "searchable_snapshots.cache_stats", eps: []string{"GET /_searchable_snapshots/cache/stats", "GET /_searchable_snapshots/{node_id}/cache/stats"}, action: "cluster:admin/xpack/searchable_snapshots/cache/stats", route: "searchable_snapshots", body: BodyNone},
		{name: "searchable_snapshots.mount", eps: []string{"POST /_snapshot/{repository}/{snapshot}/_mount"}, action: "cluster:admin/snapshot/mount", route: "searchable_snapshots", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
		{name: "slm.delete_lifecycle", eps: []string{"DELETE /_slm/policy/{policy_id}"}, action: "cluster:admin/slm/delete", route: "slm", body: BodyNone},
		{name: "slm.execute_lifecycle", eps: []string{"PUT /_slm/policy/{policy_id}/_execute"}, action: "cluster:admin/slm/execute", route: "slm", body: BodyNone},
		{name: "slm.execute_retention", eps: []string{"POST /_slm/_execute_retention"}, action: "cluster:admin/slm/execute-retention", route: "slm", body: BodyNone},
		{name: "slm.get_lifecycle", eps: []string{"GET /_slm/policy/{policy_id}", "GET /_slm/policy"}, action: "cluster:admin/slm/get", route: "slm", body: BodyNone},
		{name: "slm.get_stats", eps: []string{"GET /_slm/stats"}, action: "cluster:admin/slm/stats", route: "slm", body: BodyNone},
		{name: "slm.get_status", eps: []string{"GET /_slm/status"}, action: "cluster:admin/slm/status", route: "slm", body: BodyNone},
		{name: "slm.put_lifecycle", eps: []string{"PUT /_slm/policy/{policy_id}"}, action: "cluster:admin/slm/put", route: "slm", body: BodyJSON},
		{name: "slm.start", eps: []string{"POST /_slm/start"}, action: "cluster:admin/slm/start", route: "slm", body: BodyNone},
		{name: "slm.stop", eps: []string{"POST /_slm/stop"}, action: "cluster:admin/slm/stop", route: "slm", body: BodyNone},
		{name: "snapshot.repository_analyze", eps: []string{"POST /_snapshot/{repository}/_analyze"}, action: "cluster:admin/repository/analyze", route: "snapshot", body: BodyNone},
		{name: "snapshot.repository_verify_integrity", eps: []string{"POST /_snapshot/{repository}/_verify_integrity"}, action: "cluster:admin/repository/verify_integrity", route: "snapshot", body: BodyNone},
	}
}
