package esapi

// openSearchAPIs lists OpenSearch core endpoints that the 2.19
// rest-api-spec does not describe; they were read from the RestHandlers of
// the 2.19 server (see testdata/routes-opensearch-2.19.6.txt).
func openSearchAPIs() []api {
	return []api{
		// PIT segments take PIT ids in the body; "_all" covers every PIT.
		{name: "cat.pit_segments", eps: []string{"GET /_cat/pit_segments"}, action: "indices:monitor/point_in_time/segments", route: "cat", implicit: IndicesCursor, body: BodyJSON},
		{name: "cat.pit_segments_all", eps: []string{"GET /_cat/pit_segments/_all"}, action: "indices:monitor/point_in_time/segments", route: "cat", implicit: IndicesAllImplicit, body: BodyNone},
		// The paginated _list APIs (2.18+) are _cat/indices and _cat/shards
		// with a cursor ("next_token") in the query string.
		{name: "list.indices", eps: []string{"GET /_list/indices", "GET /_list/indices/{index}"}, action: "indices:monitor/stats", route: "cat", implicit: IndicesAllImplicit, body: BodyNone},
		{name: "list.shards", eps: []string{"GET /_list/shards", "GET /_list/shards/{index}"}, action: "indices:monitor/stats", route: "cat", implicit: IndicesAllImplicit, body: BodyNone},
		{name: "list.help", eps: []string{"GET /_list"}, action: "cluster:monitor/main", route: "cat", body: BodyNone},
		{name: "indices.tier_warm", eps: []string{"POST /{index}/_tier/warm"}, action: "indices:admin/tier/hot_to_warm", route: "index_admin", body: BodyNone},
		{name: "scripts_painless_context", eps: []string{"GET /_scripts/painless/_context"}, action: "cluster:admin/scripts/painless/context", route: "script", body: BodyNone},
		{name: "favicon", eps: []string{"GET /favicon.ico"}, action: "cluster:monitor/main", route: "root", body: BodyNone},
		{name: "bulk.stream", eps: []string{"POST PUT /_bulk/stream", "POST PUT /{index}/_bulk/stream"}, action: "indices:data/write/bulk", route: "bulk", implicit: IndicesBody, body: BodyNDJSON, bodyIdx: true,
			denied: "experimental streaming bulk (OpenSearch 2.17+): items arrive over a long-lived stream the proxy does not inspect"},
		{name: "extensions.initialize", eps: []string{"POST /_extensions/initialize"}, action: "cluster:admin/extensions/initialize", route: "internal", body: BodyJSON,
			denied: "OpenSearch extensions registration: node-to-node plumbing, never a client request"},
	}
}
