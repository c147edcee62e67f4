package esapi

// catAPIs lists the _cat APIs.
func catAPIs() []api {
	return []api{
		{name: "cat.aliases", eps: []string{"GET /_cat/aliases", "GET /_cat/aliases/{name}"}, action: "indices:admin/aliases/get", route: "cat", implicit: IndicesAllImplicit, body: BodyNone},
		{name: "cat.allocation", eps: []string{"GET /_cat/allocation", "GET /_cat/allocation/{node_id}"}, action: "cluster:monitor/state", route: "cat", body: BodyNone},
		{name: "cat.cluster_manager", eps: []string{"GET /_cat/cluster_manager", "GET /_cat/master"}, action: "cluster:monitor/state", route: "cat", body: BodyNone},
		{name: "cat.count", eps: []string{"GET /_cat/count", "GET /_cat/count/{index}"}, action: "indices:data/read/search", route: "cat", implicit: IndicesAllImplicit, body: BodyNone},
		{name: "cat.fielddata", eps: []string{"GET /_cat/fielddata", "GET /_cat/fielddata/{fields}"}, action: "cluster:monitor/nodes/stats", route: "cat", body: BodyNone},
		{name: "cat.health", eps: []string{"GET /_cat/health"}, action: "cluster:monitor/health", route: "cat", body: BodyNone},
		{name: "cat.help", eps: []string{"GET /_cat"}, action: "cluster:monitor/main", route: "cat", body: BodyNone},
		{name: "cat.indices", eps: []string{"GET /_cat/indices", "GET /_cat/indices/{index}"}, action: "indices:monitor/stats", route: "cat", implicit: IndicesAllImplicit, body: BodyNone},
		{name: "cat.nodeattrs", eps: []string{"GET /_cat/nodeattrs"}, action: "cluster:monitor/nodes/info", route: "cat", body: BodyNone},
		{name: "cat.nodes", eps: []string{"GET /_cat/nodes"}, action: "cluster:monitor/nodes/info", route: "cat", body: BodyNone},
		{name: "cat.pending_tasks", eps: []string{"GET /_cat/pending_tasks"}, action: "cluster:monitor/task", route: "cat", body: BodyNone},
		{name: "cat.plugins", eps: []string{"GET /_cat/plugins"}, action: "cluster:monitor/nodes/info", route: "cat", body: BodyNone},
		{name: "cat.recovery", eps: []string{"GET /_cat/recovery", "GET /_cat/recovery/{index}"}, action: "indices:monitor/recovery", route: "cat", implicit: IndicesAllImplicit, body: BodyNone},
		{name: "cat.repositories", eps: []string{"GET /_cat/repositories"}, action: "cluster:admin/repository/get", route: "cat", body: BodyNone},
		{name: "cat.segment_replication", eps: []string{"GET /_cat/segment_replication", "GET /_cat/segment_replication/{index}"}, action: "indices:monitor/segment_replication", route: "cat", implicit: IndicesAllImplicit, body: BodyNone},
		{name: "cat.segments", eps: []string{"GET /_cat/segments", "GET /_cat/segments/{index}"}, action: "indices:monitor/segments", route: "cat", implicit: IndicesAllImplicit, body: BodyNone},
		{name: "cat.shards", eps: []string{"GET /_cat/shards", "GET /_cat/shards/{index}"}, action: "indices:monitor/stats", route: "cat", implicit: IndicesAllImplicit, body: BodyNone},
		{name: "cat.snapshots", eps: []string{"GET /_cat/snapshots", "GET /_cat/snapshots/{repository}"}, action: "cluster:admin/snapshot/get", route: "cat", body: BodyNone},
		{name: "cat.tasks", eps: []string{"GET /_cat/tasks"}, action: "cluster:monitor/tasks/lists", route: "cat", body: BodyNone},
		{name: "cat.templates", eps: []string{"GET /_cat/templates", "GET /_cat/templates/{name}"}, action: "cluster:monitor/state", route: "cat", body: BodyNone},
		{name: "cat.thread_pool", eps: []string{"GET /_cat/thread_pool", "GET /_cat/thread_pool/{thread_pool_patterns}"}, action: "cluster:monitor/nodes/stats", route: "cat", body: BodyNone},
		{name: "cat.circuit_breaker", eps: []string{"GET /_cat/circuit_breaker", "GET /_cat/circuit_breaker/{circuit_breaker_patterns}"}, action: "cluster:monitor/nodes/stats", route: "cat", body: BodyNone},
		{name: "cat.component_templates", eps: []string{"GET /_cat/component_templates", "GET /_cat/component_templates/{name}"}, action: "cluster:admin/component_template/get", route: "cat", body: BodyNone},
		{name: "cat.ml_data_frame_analytics", eps: []string{"GET /_cat/ml/data_frame/analytics", "GET /_cat/ml/data_frame/analytics/{id}"}, action: "cluster:monitor/xpack/ml/data_frame/analytics/stats/get", route: "cat", body: BodyNone},
		{name: "cat.ml_datafeeds", eps: []string{"GET /_cat/ml/datafeeds", "GET /_cat/ml/datafeeds/{datafeed_id}"}, action: "cluster:monitor/xpack/ml/datafeeds/stats/get", route: "cat", body: BodyNone},
		{name: "cat.ml_jobs", eps: []string{"GET /_cat/ml/anomaly_detectors", "GET /_cat/ml/anomaly_detectors/{job_id}"}, action: "cluster:monitor/xpack/ml/job/stats/get", route: "cat", body: BodyNone},
		{name: "cat.ml_trained_models", eps: []string{"GET /_cat/ml/trained_models", "GET /_cat/ml/trained_models/{model_id}"}, action: "cluster:monitor/xpack/ml/inference/stats/get", route: "cat", body: BodyNone},
		{name: "cat.transforms", eps: []string{"GET /_cat/transforms", "GET /_cat/transforms/{transform_id}"}, action: "cluster:monitor/transform/stats/get", route: "cat", body: BodyNone},
	}
}
