package esapi

// deniedAPIs lists endpoints refused on purpose.
func deniedAPIs() []api {
	return []api{
		{name: "nodes.reload_secure_settings", eps: []string{"POST /_nodes/reload_secure_settings", "POST /_nodes/{node_id}/reload_secure_settings"}, action: "cluster:admin/nodes/reload_secure_settings", route: "nodes", body: BodyJSON, denied: "reloads keystore secrets on every node (takes the keystore password in the body): operator-only, never through the proxy"},
		{name: "_internal.delete_desired_balance", eps: []string{"DELETE /_internal/desired_balance"}, action: "cluster:admin/desired_balance/delete_desired_balance", route: "internal", body: BodyNone, denied: "internal/operator API (_internal/*): not for clients of the proxy"},
		{name: "_internal.delete_desired_nodes", eps: []string{"DELETE /_internal/desired_nodes"}, action: "cluster:admin/desired_nodes/delete_desired_nodes", route: "internal", body: BodyNone, denied: "internal/operator API (_internal/*): not for clients of the proxy"},
		{name: "_internal.get_desired_balance", eps: []string{"GET /_internal/desired_balance"}, action: "cluster:admin/desired_balance/get_desired_balance", route: "internal", body: BodyNone, denied: "internal/operator API (_internal/*): not for clients of the proxy"},
		{name: "_internal.get_desired_nodes", eps: []string{"GET /_internal/desired_nodes/_latest"}, action: "cluster:admin/desired_nodes/get_desired_nodes", route: "internal", body: BodyNone, denied: "internal/operator API (_internal/*): not for clients of the proxy"},
		{name: "_internal.prevalidate_node_removal", eps: []string{"POST /_internal/prevalidate_node_removal"}, action: "cluster:admin/shutdown/prevalidate_removal", route: "internal", body: BodyNone, denied: "internal/operator API (_internal/*): not for clients of the proxy"},
		{name: "_internal.update_desired_nodes", eps: []string{"PUT /_internal/desired_nodes/{history_id}/{version}"}, action: "cluster:admin/desired_nodes/update_desired_nodes", route: "internal", body: BodyJSON, denied: "internal/operator API (_internal/*): not for clients of the proxy"},
	}
}

// typedAPIs lists the endpoints with a mapping type in the path.
func typedAPIs() []api {
	return []api{
		{name: "monitoring.bulk#typed", eps: []string{"POST PUT /_monitoring/{type}/bulk"}, action: "cluster:admin/xpack/monitoring/bulk", route: "typed", body: BodyNDJSON, denied: reasonTyped},
		{name: "bulk#typed", eps: []string{"POST PUT /{index}/{type}/_bulk"}, action: "indices:data/write/bulk", route: "typed", implicit: IndicesBody, body: BodyNDJSON, bodyIdx: true, denied: reasonTyped},
		{name: "count#typed", eps: []string{"GET POST /{index}/{type}/_count"}, action: "indices:data/read/search", route: "typed", implicit: IndicesAllImplicit, body: BodyJSON, denied: reasonTyped},
		{name: "create#typed", eps: []string{"POST PUT /{index}/{type}/{id}/_create"}, action: "indices:data/write/index", route: "typed", body: BodyJSON, denied: reasonTyped},
		{name: "delete#typed", eps: []string{"DELETE /{index}/{type}/{id}"}, action: "indices:data/write/delete", route: "typed", body: BodyNone, denied: reasonTyped},
		{name: "delete_by_query#typed", eps: []string{"POST /{index}/{type}/_delete_by_query"}, action: "indices:data/write/delete/byquery", route: "typed", body: BodyJSON, denied: reasonTyped},
		{name: "exists#typed", eps: []string{"HEAD /{index}/{type}/{id}"}, action: "indices:data/read/get", route: "typed", body: BodyNone, denied: reasonTyped},
		{name: "exists_source#typed", eps: []string{"HEAD /{index}/{type}/{id}/_source"}, action: "indices:data/read/get", route: "typed", body: BodyNone, denied: reasonTyped},
		{name: "explain#typed", eps: []string{"GET POST /{index}/{type}/{id}/_explain"}, action: "indices:data/read/explain", route: "typed", body: BodyJSON, denied: reasonTyped},
		{name: "get#typed", eps: []string{"GET /{index}/{type}/{id}"}, action: "indices:data/read/get", route: "typed", body: BodyNone, denied: reasonTyped},
		{name: "get_source#typed", eps: []string{"GET /{index}/{type}/{id}/_source"}, action: "indices:data/read/get", route: "typed", body: BodyNone, denied: reasonTyped},
		{name: "index#typed", eps: []string{"POST /{index}/{type}", "POST PUT /{index}/{type}/{id}"}, action: "indices:data/write/index", route: "typed", body: BodyJSON, denied: reasonTyped},
		{name: "indices.get_field_mapping#typed", eps: []string{"GET /_mapping/{type}/field/{fields}", "GET /{index}/_mapping/{type}/field/{fields}", "GET /{index}/{type}/_mapping/field/{fields}"}, action: "indices:admin/mappings/fields/get", route: "typed", implicit: IndicesAllImplicit, body: BodyNone, denied: reasonTyped},
		{name: "indices.get_mapping#typed", eps: []string{"GET /_mapping/{type}", "GET /{index}/_mapping/{type}", "GET /{index}/_mappings/{type}", "GET /{index}/{type}/_mapping"}, action: "indices:admin/mappings/get", route: "typed", implicit: IndicesAllImplicit, body: BodyNone, denied: reasonTyped},
		{name: "indices.put_mapping#typed", eps: []string{"POST PUT /{index}/{type}/_mapping", "POST PUT /{index}/_mapping/{type}", "POST PUT /{index}/{type}/_mappings", "POST PUT /{index}/_mappings/{type}", "POST PUT /_mappings/{type}", "POST PUT /_mapping/{type}"}, action: "indices:admin/mapping/put", route: "typed", implicit: IndicesAllImplicit, body: BodyJSON, denied: reasonTyped},
		{name: "indices.validate_query#typed", eps: []string{"GET POST /{index}/{type}/_validate/query"}, action: "indices:admin/validate/query", route: "typed", implicit: IndicesAllImplicit, body: BodyJSON, denied: reasonTyped},
		{name: "mget#typed", eps: []string{"GET POST /{index}/{type}/_mget"}, action: "indices:data/read/mget", route: "typed", implicit: IndicesBody, body: BodyJSON, bodyIdx: true, denied: reasonTyped},
		{name: "msearch#typed", eps: []string{"GET POST /{index}/{type}/_msearch"}, action: "indices:data/read/msearch", route: "typed", implicit: IndicesBody, body: BodyNDJSON, bodyIdx: true, denied: reasonTyped},
		{name: "msearch_template#typed", eps: []string{"GET POST /{index}/{type}/_msearch/template"}, action: "indices:data/read/msearch/template", route: "typed", implicit: IndicesBody, body: BodyNDJSON, bodyIdx: true, denied: reasonTyped},
		{name: "mtermvectors#typed", eps: []string{"GET POST /{index}/{type}/_mtermvectors"}, action: "indices:data/read/mtv", route: "typed", implicit: IndicesBody, body: BodyJSON, bodyIdx: true, denied: reasonTyped},
		{name: "search#typed", eps: []string{"GET POST /{index}/{type}/_search"}, action: "indices:data/read/search", route: "typed", implicit: IndicesAllImplicit, body: BodyJSON, bodyIdx: true, denied: reasonTyped},
		{name: "search_template#typed", eps: []string{"GET POST /{index}/{type}/_search/template"}, action: "indices:data/read/search/template", route: "typed", implicit: IndicesAllImplicit, body: BodyJSON, bodyIdx: true, denied: reasonTyped},
		{name: "termvectors#typed", eps: []string{"GET POST /{index}/{type}/{id}/_termvectors", "GET POST /{index}/{type}/_termvectors"}, action: "indices:data/read/tv", route: "typed", body: BodyJSON, denied: reasonTyped},
		{name: "update#typed", eps: []string{"POST /{index}/{type}/{id}/_update"}, action: "indices:data/write/update", route: "typed", body: BodyJSON, denied: reasonTyped},
		{name: "update_by_query#typed", eps: []string{"POST /{index}/{type}/_update_by_query"}, action: "indices:data/write/update/byquery", route: "typed", body: BodyJSON, denied: reasonTyped},
		{name: "indices.exists_type#typed", eps: []string{"HEAD /{index}/_mapping/{type}"}, action: "indices:admin/types/exists", route: "typed", body: BodyNone, denied: reasonTyped},
	}
}

// reasonTyped explains why typed endpoints are refused.
const reasonTyped = "mapping types were removed (Elasticsearch 8, OpenSearch 2): a typed path is a different API on each version " +
	"(GET /i/_doc/_search is a search on 7.x and a GET of document \"_search\" on 8.x), so it cannot be classified safely"

// prefixDenies lists namespaces refused as a whole, whatever the method
// and the rest of the path.
func prefixDenies() []prefixDeny {
	return append([]prefixDeny{
		{segs: []string{"_plugins", "_security"}, action: "cluster:admin/opendistro_security", route: "security",
			reason: "OpenSearch security plugin API: the cluster runs without the plugin, Portcullis enforces security itself"},
		{segs: []string{"_opendistro", "_security"}, action: "cluster:admin/opendistro_security", route: "security",
			reason: "Open Distro security plugin API: the cluster runs without the plugin, Portcullis enforces security itself"},
		{segs: []string{"_internal"}, action: "internal:admin", route: "internal",
			reason: "internal/operator API (_internal/*): not for clients of the proxy"},
	}, append(pluginPrefixDenies(), legacyPrefixDenies()...)...)
}
