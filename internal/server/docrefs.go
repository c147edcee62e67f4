package server

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// maxDocRefDepth bounds the walk; the parser already bounds nesting at
// 1000 levels, deeper means "assume a reference" (fail closed).
const maxDocRefDepth = 1100

// referencesOtherDocuments reports whether a JSON body names a document by
// index and id anywhere: terms lookups ({"index","id","path"}),
// more_like_this "like" documents ({"_index","_id"}), geo_shape
// indexed_shape, percolate by id, pinned documents, and any such construct
// added later. The cluster fetches those documents from their index on its
// own, without the proxy's authorization, so a query could read (or reveal
// through which hits match) documents of an index the user may not see.
func referencesOtherDocuments(v esbody.Value) bool {
	return walkDocRefs(v, 0)
}

func walkDocRefs(v esbody.Value, depth int) bool {
	if depth > maxDocRefDepth {
		return true
	}
	switch x := v.(type) {
	case *esbody.Object:
		if isDocRef(x) {
			return true
		}
		for _, child := range x.All() {
			if walkDocRefs(child, depth+1) {
				return true
			}
		}
	case esbody.Array:
		for _, child := range x {
			if walkDocRefs(child, depth+1) {
				return true
			}
		}
	}
	return false
}

// isDocRef: an object with an index name and a document id side by side.
func isDocRef(o *esbody.Object) bool {
	_, idx := o.Get("index")
	_, uidx := o.Get("_index")
	_, id := o.Get("id")
	_, uid := o.Get("_id")
	return (idx || uidx) && (id || uid)
}

// bodyReadsDocuments reports whether the parsed body, or any _msearch
// item's body, references documents by index and id.
func bodyReadsDocuments(pb *parsedBody) bool {
	if pb == nil {
		return false
	}
	if pb.json != nil && referencesOtherDocuments(pb.json) {
		return true
	}
	for _, it := range pb.msearch {
		if it.Body != nil && referencesOtherDocuments(it.Body) {
			return true
		}
	}
	return false
}
