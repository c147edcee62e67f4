package esapi

// documentAPIs lists document APIs: get/index/update/delete, mget, bulk, term vectors, by-query writes and reindex.
func documentAPIs() []api {
	return []api{
		{name: "bulk", eps: []string{"POST PUT /_bulk", "POST PUT /{index}/_bulk"}, action: "indices:data/write/bulk", route: "bulk", implicit: IndicesBody, body: BodyNDJSON, bodyIdx: true},
		{name: "create", eps: []string{"POST PUT /{index}/_create/{id}"}, action: "indices:data/write/index", route: "document", body: BodyJSON},
		{name: "delete", eps: []string{"DELETE /{index}/_doc/{id}"}, action: "indices:data/write/delete", route: "document", body: BodyNone},
		{name: "delete_by_query", eps: []string{"POST /{index}/_delete_by_query"}, action: "indices:data/write/delete/byquery", route: "by_query", body: BodyJSON},
		{name: "delete_by_query_rethrottle", eps: []string{"POST /_delete_by_query/{task_id}/_rethrottle"}, action: "cluster:admin/reindex/rethrottle", route: "tasks", body: BodyNone},
		{name: "exists", eps: []string{"HEAD /{index}/_doc/{id}"}, action: "indices:data/read/get", route: "document", body: BodyNone},
		{name: "exists_source", eps: []string{"HEAD /{index}/_source/{id}"}, action: "indices:data/read/get", route: "document", body: BodyNone},
		{name: "get", eps: []string{"GET /{index}/_doc/{id}"}, action: "indices:data/read/get", route: "document", body: BodyNone},
		{name: "get_source", eps: []string{"GET /{index}/_source/{id}"}, action: "indices:data/read/get", route: "document", body: BodyNone},
		{name: "index", eps: []string{"POST PUT /{index}/_doc/{id}", "POST /{index}/_doc"}, action: "indices:data/write/index", route: "document", body: BodyJSON},
		{name: "mget", eps: []string{"GET POST /_mget", "GET POST /{index}/_mget"}, action: "indices:data/read/mget", route: "mget", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
		{name: "mtermvectors", eps: []string{"GET POST /_mtermvectors", "GET POST /{index}/_mtermvectors"}, action: "indices:data/read/mtv", route: "termvectors", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
		{name: "reindex", eps: []string{"POST /_reindex"}, action: "indices:data/write/reindex", route: "reindex", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
		{name: "reindex_rethrottle", eps: []string{"POST /_reindex/{task_id}/_rethrottle"}, action: "cluster:admin/reindex/rethrottle", route: "tasks", body: BodyNone},
		{name: "termvectors", eps: []string{"GET POST /{index}/_termvectors/{id}", "GET POST /{index}/_termvectors"}, action: "indices:data/read/tv", route: "termvectors", body: BodyJSON},
		{name: "update", eps: []string{"POST /{index}/_update/{id}"}, action: "indices:data/write/update", route: "document", body: BodyJSON},
		{name: "update_by_query", eps: []string{"POST /{index}/_update_by_query"}, action: "indices:data/write/update/byquery", route: "by_query", body: BodyJSON},
		{name: "update_by_query_rethrottle", eps: []string{"POST /_update_by_query/{task_id}/_rethrottle"}, action: "cluster:admin/reindex/rethrottle", route: "tasks", body: BodyNone},
		{name: "reindex_cancel", eps: []string{"POST /_reindex/{task_id}/_cancel"}, action: "cluster:admin/tasks/cancel", route: "tasks", body: BodyNone},
		{name: "reindex_get", eps: []string{"GET /_reindex/{task_id}"}, action: "cluster:monitor/task/get", route: "tasks", body: BodyNone},
		{name: "reindex_list", eps: []string{"GET /_reindex"}, action: "cluster:monitor/task/get", route: "tasks", body: BodyNone},
	}
}
