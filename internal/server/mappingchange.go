package server

import (
	"net/http"
	"strings"
)

// Field-level security reads the indices' mappings (field aliases,
// multi-fields, copy_to targets) from a cache (Restrictions.Mappings). A
// mapping changed through the proxy must not be judged with the cached
// one: a field alias of a hidden field added since would pass for an
// ordinary granted field, and a query or aggregation on it would read the
// hidden values. Requests that can change the mappings of existing index
// names therefore drop what the cache holds as the cluster's answer starts.

// MappingForgetter is a MappingSource that can drop what it cached.
type MappingForgetter interface {
	Invalidate()
}

// mappingChangePrefixes are the actions that add fields to the mapping of
// an existing index, or replace an index (and so its mapping) under a name
// the cache may hold: deleted and created again, restored from a snapshot,
// a data stream's backing indices.
var mappingChangePrefixes = []string{
	"indices:admin/mapping/put", "indices:admin/create", "indices:admin/auto_create", "indices:admin/delete",
	"indices:admin/rollover", "indices:admin/resize", "indices:admin/data_stream/", "indices:admin/index/create_from_source",
	"cluster:admin/snapshot/restore",
}

// forgettingMappings returns w, or for a request that may change
// mappings a writer that drops the cached mappings as the cluster's answer
// starts: before the client can see it and send its next search, and
// after the cluster applied the change (a fetch under way then is not kept
// either; see upstream.MappingCache).
func forgettingMappings(rs *Restrictions, action string, w http.ResponseWriter) http.ResponseWriter {
	if rs == nil {
		return w
	}
	f, ok := rs.Mappings.(MappingForgetter)
	if !ok || !changesMappings(action) {
		return w
	}
	return &beforeResponseWriter{ResponseWriter: w, before: f.Invalidate}
}

// changesMappings reports whether action may change the mapping under an
// existing index name.
func changesMappings(action string) bool {
	for _, prefix := range mappingChangePrefixes {
		if strings.HasPrefix(action, prefix) {
			return true
		}
	}
	return false
}
