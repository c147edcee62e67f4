package esapi

// reasonScheduledQueries explains why plugins that run stored queries in
// the background are refused: the cluster has no security, so a monitor,
// detector or agent runs its queries with full rights, later, without
// passing through the proxy.
const reasonScheduledQueries = "runs stored queries inside the cluster (as the cluster, without security, " +
	"possibly later and on a schedule): the proxy cannot bound what they read"

// reasonUnmodelledPlugin explains why the remaining plugin namespaces are
// refused.
const reasonUnmodelledPlugin = "OpenSearch plugin API not modelled by Portcullis: refused rather than guessed"

// openSearchPluginAPIs lists the APIs of OpenSearch plugins (_plugins/*
// and their legacy _opendistro/* aliases) that Portcullis classifies.
// Action names are the plugins' transport action names.
func openSearchPluginAPIs() []api {
	var out []api
	// SQL and PPL (opensearch-project/sql): the query text names the
	// indices. The legacy _opendistro paths are served by the same handlers.
	for _, p := range []string{"/_plugins", "/_opendistro"} {
		out = append(out,
			api{name: "sql" + p, eps: []string{"POST " + p + "/_sql", "POST " + p + "/_sql/_explain"}, action: "cluster:admin/opensearch/sql", route: "sql", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
			api{name: "sql.close" + p, eps: []string{"POST " + p + "/_sql/close"}, action: "cluster:admin/opensearch/sql", route: "sql", implicit: IndicesCursor, body: BodyJSON},
			api{name: "sql.stats" + p, eps: []string{"GET POST " + p + "/_sql/stats"}, action: "cluster:monitor/opensearch/sql/stats", route: "sql", body: BodyNone},
			api{name: "ppl" + p, eps: []string{"POST " + p + "/_ppl", "POST " + p + "/_ppl/_explain"}, action: "cluster:admin/opensearch/ppl", route: "ppl", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
			api{name: "ppl.stats" + p, eps: []string{"GET POST " + p + "/_ppl/stats"}, action: "cluster:monitor/opensearch/ppl/stats", route: "ppl", body: BodyNone},
		)
	}
	out = append(out,
		api{name: "sql.settings", eps: []string{"PUT /_plugins/_query/settings", "PUT /_opendistro/_sql/settings"}, action: "cluster:admin/opensearch/ql/settings/update", route: "sql", body: BodyJSON},
		api{name: "sql.datasources", eps: []string{"GET POST PUT /_plugins/_query/_datasources", "GET DELETE /_plugins/_query/_datasources/{name}"}, action: "cluster:admin/opensearch/ql/datasources", route: "sql", body: BodyJSON,
			denied: "SQL data sources connect the cluster to external stores (S3, Prometheus) with stored credentials"},
		api{name: "sql.async_query", eps: []string{"POST /_plugins/_async_query", "GET DELETE /_plugins/_async_query/{query_id}"}, action: "cluster:admin/opensearch/ql/async_query", route: "sql", implicit: IndicesBody, body: BodyJSON, bodyIdx: true,
			denied: "asynchronous queries run on external data sources (Spark) with the cluster's credentials"},
	)
	// Asynchronous search: the index list is the "index" query parameter.
	for _, p := range []string{"/_plugins/_asynchronous_search", "/_opendistro/_asynchronous_search"} {
		out = append(out,
			api{name: "asynchronous_search.submit" + p, eps: []string{"POST " + p}, action: "cluster:admin/opendistro/asynchronous_search/submit", route: "async_search", implicit: IndicesAllImplicit, body: BodyJSON, bodyIdx: true, queryIndex: true},
			api{name: "asynchronous_search.get" + p, eps: []string{"GET " + p + "/{id}"}, action: "cluster:admin/opendistro/asynchronous_search/get", route: "async_search", implicit: IndicesCursor, body: BodyNone},
			api{name: "asynchronous_search.delete" + p, eps: []string{"DELETE " + p + "/{id}"}, action: "cluster:admin/opendistro/asynchronous_search/delete", route: "async_search", implicit: IndicesCursor, body: BodyNone},
			api{name: "asynchronous_search.stats" + p, eps: []string{"GET " + p + "/stats"}, action: "cluster:admin/opendistro/asynchronous_search/stats", route: "async_search", body: BodyNone},
		)
	}
	// k-NN.
	for _, p := range []string{"/_plugins/_knn", "/_opendistro/_knn"} {
		out = append(out,
			api{name: "knn.stats" + p, eps: []string{"GET " + p + "/stats", "GET " + p + "/stats/{stat}", "GET " + p + "/{node_id}/stats", "GET " + p + "/{node_id}/stats/{stat}"}, action: "cluster:admin/knn_stats_action", route: "knn", body: BodyNone},
			api{name: "knn.warmup" + p, eps: []string{"GET " + p + "/warmup/{index}"}, action: "cluster:admin/knn_warmup_action", route: "knn", body: BodyNone},
			api{name: "knn.clear_cache" + p, eps: []string{"POST " + p + "/clear_cache/{index}"}, action: "cluster:admin/knn_clear_cache_action", route: "knn", body: BodyNone},
			api{name: "knn.get_model" + p, eps: []string{"GET " + p + "/models/{model_id}"}, action: "cluster:admin/knn_get_model_action", route: "knn", body: BodyNone},
			api{name: "knn.delete_model" + p, eps: []string{"DELETE " + p + "/models/{model_id}"}, action: "cluster:admin/knn_delete_model_action", route: "knn", body: BodyNone},
			api{name: "knn.search_models" + p, eps: []string{"GET POST " + p + "/models/_search"}, action: "cluster:admin/knn_search_model_action", route: "knn", body: BodyJSON},
			// Training reads the documents of training_index (body).
			api{name: "knn.train" + p, eps: []string{"POST " + p + "/models/_train", "POST " + p + "/models/{model_id}/_train"}, action: "cluster:admin/knn_training_model_action", route: "knn", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
		)
	}
	// Index State Management, rollups and transforms (index-management).
	for _, p := range []string{"/_plugins", "/_opendistro"} {
		ism := p + "/_ism"
		out = append(out,
			api{name: "ism.put_policy" + p, eps: []string{"PUT " + ism + "/policies/{policy_id}"}, action: "cluster:admin/opendistro/ism/policy/write", route: "ism", body: BodyJSON},
			api{name: "ism.get_policy" + p, eps: []string{"GET " + ism + "/policies/{policy_id}"}, action: "cluster:admin/opendistro/ism/policy/get", route: "ism", body: BodyNone},
			api{name: "ism.search_policies" + p, eps: []string{"GET " + ism + "/policies"}, action: "cluster:admin/opendistro/ism/policy/search", route: "ism", body: BodyNone},
			api{name: "ism.delete_policy" + p, eps: []string{"DELETE " + ism + "/policies/{policy_id}"}, action: "cluster:admin/opendistro/ism/policy/delete", route: "ism", body: BodyNone},
			api{name: "ism.add" + p, eps: []string{"POST " + ism + "/add/{index}"}, action: "cluster:admin/opendistro/ism/managedindex/add", route: "ism", body: BodyJSON},
			api{name: "ism.remove" + p, eps: []string{"POST " + ism + "/remove/{index}"}, action: "cluster:admin/opendistro/ism/managedindex/remove", route: "ism", body: BodyNone},
			api{name: "ism.change_policy" + p, eps: []string{"POST " + ism + "/change_policy/{index}"}, action: "cluster:admin/opendistro/ism/managedindex/change", route: "ism", body: BodyJSON},
			api{name: "ism.retry" + p, eps: []string{"POST " + ism + "/retry/{index}"}, action: "cluster:admin/opendistro/ism/managedindex/retry", route: "ism", body: BodyJSON},
			api{name: "ism.explain" + p, eps: []string{"GET POST " + ism + "/explain", "GET POST " + ism + "/explain/{index}"}, action: "cluster:admin/opendistro/ism/managedindex/explain", route: "ism", implicit: IndicesAllImplicit, body: BodyJSON},
		)
		rollup := p + "/_rollup/jobs"
		out = append(out,
			api{name: "rollup.put" + p, eps: []string{"PUT " + rollup + "/{id}"}, action: "cluster:admin/opendistro/rollup/index", route: "rollup", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
			api{name: "rollup.get" + p, eps: []string{"GET HEAD " + rollup + "/{id}"}, action: "cluster:admin/opendistro/rollup/get", route: "rollup", body: BodyNone},
			api{name: "rollup.search" + p, eps: []string{"GET " + rollup}, action: "cluster:admin/opendistro/rollup/search", route: "rollup", body: BodyNone},
			api{name: "rollup.delete" + p, eps: []string{"DELETE " + rollup + "/{id}"}, action: "cluster:admin/opendistro/rollup/delete", route: "rollup", body: BodyNone},
			api{name: "rollup.start" + p, eps: []string{"POST " + rollup + "/{id}/_start"}, action: "cluster:admin/opendistro/rollup/start", route: "rollup", body: BodyNone},
			api{name: "rollup.stop" + p, eps: []string{"POST " + rollup + "/{id}/_stop"}, action: "cluster:admin/opendistro/rollup/stop", route: "rollup", body: BodyNone},
			api{name: "rollup.explain" + p, eps: []string{"GET " + rollup + "/{id}/_explain"}, action: "cluster:admin/opendistro/rollup/explain", route: "rollup", body: BodyNone},
		)
		tr := p + "/_transform"
		out = append(out,
			api{name: "transform.put" + p, eps: []string{"PUT " + tr + "/{id}"}, action: "cluster:admin/opendistro/transform/index", route: "transform", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
			api{name: "transform.get" + p, eps: []string{"GET HEAD " + tr + "/{id}"}, action: "cluster:admin/opendistro/transform/get", route: "transform", body: BodyNone},
			api{name: "transform.list" + p, eps: []string{"GET " + tr}, action: "cluster:admin/opendistro/transform/get_transforms", route: "transform", body: BodyNone},
			api{name: "transform.delete" + p, eps: []string{"DELETE " + tr + "/{id}"}, action: "cluster:admin/opendistro/transform/delete", route: "transform", body: BodyNone},
			api{name: "transform.start" + p, eps: []string{"POST " + tr + "/{id}/_start"}, action: "cluster:admin/opendistro/transform/start", route: "transform", body: BodyNone},
			api{name: "transform.stop" + p, eps: []string{"POST " + tr + "/{id}/_stop"}, action: "cluster:admin/opendistro/transform/stop", route: "transform", body: BodyNone},
			api{name: "transform.explain" + p, eps: []string{"GET " + tr + "/{id}/_explain"}, action: "cluster:admin/opendistro/transform/explain", route: "transform", body: BodyNone},
			// A preview runs the transform's aggregation over the source
			// index named in the body and returns the documents.
			api{name: "transform.preview" + p, eps: []string{"POST " + tr + "/_preview"}, action: "cluster:admin/opendistro/transform/preview", route: "transform", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
		)
	}
	// ML Commons: model management and inference on text the client sends.
	// Agents, tools, memory and connectors run tools that query indices or
	// call out with stored credentials: refused (see pluginPrefixDenies).
	ml := "/_plugins/_ml"
	out = append(out,
		api{name: "ml.get_model", eps: []string{"GET " + ml + "/models/{model_id}"}, action: "cluster:admin/opensearch/ml/models/get", route: "ml", body: BodyNone},
		api{name: "ml.search_models", eps: []string{"GET POST " + ml + "/models/_search"}, action: "cluster:admin/opensearch/ml/models/search", route: "ml", body: BodyJSON},
		api{name: "ml.register_model", eps: []string{"POST " + ml + "/models/_register"}, action: "cluster:admin/opensearch/ml/register_model", route: "ml", body: BodyJSON},
		api{name: "ml.deploy_model", eps: []string{"POST " + ml + "/models/{model_id}/_deploy"}, action: "cluster:admin/opensearch/ml/deploy_model", route: "ml", body: BodyJSON},
		api{name: "ml.undeploy_model", eps: []string{"POST " + ml + "/models/{model_id}/_undeploy", "POST " + ml + "/models/_undeploy"}, action: "cluster:admin/opensearch/ml/undeploy_model", route: "ml", body: BodyJSON},
		api{name: "ml.delete_model", eps: []string{"DELETE " + ml + "/models/{model_id}"}, action: "cluster:admin/opensearch/ml/models/delete", route: "ml", body: BodyNone},
		api{name: "ml.predict", eps: []string{"POST " + ml + "/models/{model_id}/_predict", "POST " + ml + "/_predict/{algorithm}/{model_id}"}, action: "cluster:admin/opensearch/ml/predict", route: "ml", body: BodyJSON},
		api{name: "ml.get_task", eps: []string{"GET " + ml + "/tasks/{task_id}"}, action: "cluster:admin/opensearch/ml/tasks/get", route: "ml", body: BodyNone},
		api{name: "ml.stats", eps: []string{"GET " + ml + "/stats", "GET " + ml + "/stats/{stat}", "GET " + ml + "/{node_id}/stats", "GET " + ml + "/{node_id}/stats/{stat}"}, action: "cluster:admin/opensearch/ml/stats/nodes", route: "ml", body: BodyNone},
	)
	return out
}

// pluginPrefixDenies lists OpenSearch plugin namespaces refused as a whole.
// Routes registered literally under one of them (the ML Commons models
// above) stay classified.
func pluginPrefixDenies() []prefixDeny {
	var out []prefixDeny
	for _, ns := range []struct{ path, action, reason string }{
		{"_plugins/_alerting", "cluster:admin/opendistro/alerting", "alerting monitors: " + reasonScheduledQueries},
		{"_opendistro/_alerting", "cluster:admin/opendistro/alerting", "alerting monitors: " + reasonScheduledQueries},
		{"_plugins/_anomaly_detection", "cluster:admin/opendistro/ad", "anomaly detectors: " + reasonScheduledQueries},
		{"_opendistro/_anomaly_detection", "cluster:admin/opendistro/ad", "anomaly detectors: " + reasonScheduledQueries},
		{"_plugins/_security_analytics", "cluster:admin/opensearch/securityanalytics", "security analytics detectors: " + reasonScheduledQueries},
		{"_plugins/_ml", "cluster:admin/opensearch/ml", "ML Commons agents, tools, memory and connectors: " + reasonScheduledQueries},
		{"_plugins/_flow_framework", "cluster:admin/opensearch/flow_framework", "flow framework workflows provision connectors and agents: " + reasonScheduledQueries},
		{"_plugins/_notifications", "cluster:admin/opensearch/notifications", reasonUnmodelledPlugin + " (sends data to external channels)"},
		{"_plugins/_replication", "cluster:admin/plugins/replication", reasonUnmodelledPlugin + " (cross-cluster replication copies whole indices)"},
		{"_plugins/_sm", "cluster:admin/opensearch/snapshot_management", reasonUnmodelledPlugin},
		{"_plugins/_reports", "cluster:admin/opendistro/reports", reasonUnmodelledPlugin},
		{"_opendistro/_reports", "cluster:admin/opendistro/reports", reasonUnmodelledPlugin},
		{"_plugins/_observability", "cluster:admin/opensearch/observability", reasonUnmodelledPlugin},
		{"_opensearch/_observability", "cluster:admin/opensearch/observability", reasonUnmodelledPlugin},
		{"_plugins/_query_insights", "cluster:admin/opensearch/insights", reasonUnmodelledPlugin + " (top queries expose other users' query text)"},
		{"_insights", "cluster:admin/opensearch/insights", reasonUnmodelledPlugin + " (top queries expose other users' query text)"},
		{"_plugins/_search_relevance", "cluster:admin/opensearch/search_relevance", reasonUnmodelledPlugin},
		{"_plugins/_ltr", "cluster:admin/ltr", reasonUnmodelledPlugin},
		{"_ltr", "cluster:admin/ltr", reasonUnmodelledPlugin},
		{"_plugins/_performanceanalyzer", "cluster:monitor/performanceanalyzer", reasonUnmodelledPlugin},
		{"_opendistro/_performanceanalyzer", "cluster:monitor/performanceanalyzer", reasonUnmodelledPlugin},
		{"_plugins/_geospatial", "cluster:admin/geospatial", reasonUnmodelledPlugin},
		{"_plugins/_neural", "cluster:admin/opensearch/neural", reasonUnmodelledPlugin},
		{"_plugins/_wlm", "cluster:admin/opensearch/wlm", reasonUnmodelledPlugin},
		{"_plugins/_rollup", "cluster:admin/opendistro/rollup", reasonUnmodelledPlugin},
		{"_plugins/_im", "cluster:admin/opendistro/ism", reasonUnmodelledPlugin},
	} {
		out = append(out, prefixDeny{segs: patternSegments("/" + ns.path), action: ns.action, route: "plugin", reason: ns.reason})
	}
	return out
}
