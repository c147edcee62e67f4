package esapi

// legacyAPIs lists Elasticsearch 7.x endpoints that newer specs dropped but
// 7.17 still serves: deprecated /_xpack/* aliases and frozen indices. The
// /_xpack aliases are classified exactly like their current paths (their
// audit filtering was once skipped, CVE-2023-31417: they must not be a
// side door); the rest of /_xpack/* is refused by prefix.
func legacyAPIs() []api {
	return []api{
		{name: "sql.query#xpack", eps: []string{"GET POST /_xpack/sql"}, action: "indices:data/read/sql", route: "sql", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
		{name: "sql.translate#xpack", eps: []string{"GET POST /_xpack/sql/translate"}, action: "indices:data/read/sql/translate", route: "sql", implicit: IndicesBody, body: BodyJSON, bodyIdx: true},
		{name: "sql.clear_cursor#xpack", eps: []string{"POST /_xpack/sql/close"}, action: "indices:data/read/sql/close_cursor", route: "sql", implicit: IndicesCursor, body: BodyJSON},
		{name: "graph.explore#xpack", eps: []string{"GET POST /{index}/_xpack/graph/_explore"}, action: "indices:data/read/xpack/graph/explore", route: "graph", body: BodyJSON},
		{name: "license.get#xpack", eps: []string{"GET /_xpack/license"}, action: "cluster:monitor/xpack/license/get", route: "license", body: BodyNone},
		{name: "indices.freeze", eps: []string{"POST /{index}/_freeze"}, action: "indices:admin/freeze", route: "index_admin", body: BodyNone},
		{name: "indices.unfreeze", eps: []string{"POST /{index}/_unfreeze"}, action: "indices:admin/freeze", route: "index_admin", body: BodyNone},
	}
}

// legacyPrefixDenies refuses the deprecated /_xpack/* aliases that
// legacyAPIs does not model.
func legacyPrefixDenies() []prefixDeny {
	return []prefixDeny{{segs: []string{"_xpack"}, action: "cluster:admin/xpack", route: "xpack",
		reason: "deprecated /_xpack/* alias (Elasticsearch 6.x URIs kept by 7.x): use the current path"}}
}
