package dls

import (
	"strconv"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// TermsEnumIndices returns the indices of a _terms_enum request that may
// contribute terms. Elasticsearch gives no terms from an index under DLS
// (TransportTermsEnumAction.canAccess) unless one of the role queries is
// match_all; the terms dictionary holds the terms of hidden documents too.
// When the result is empty the server answers locally with
// EmptyTermsEnumResponse; otherwise it sends the request to the returned
// indices only.
func TermsEnumIndices(indices []IndexDLS) []string {
	var out []string
	for _, ix := range indices {
		if len(ix.Queries) == 0 || anyMatchAll(ix) {
			out = append(out, ix.Index)
		}
	}
	return out
}

// anyMatchAll reports whether one of the index's role queries is
// {"match_all":{}} (optionally with a boost), which Elasticsearch's check
// (the query rewrites to match_all) accepts.
func anyMatchAll(ix IndexDLS) bool {
	for _, raw := range ix.Queries {
		cq := compileRoleQuery(raw)
		o, ok := cq.plain.(*esbody.Object)
		if !ok || o.Len() != 1 {
			continue
		}
		if body, ok := o.Get("match_all"); ok {
			if bo, ok := body.(*esbody.Object); ok && onlyMembers(bo, "boost", "_name") {
				return true
			}
		}
	}
	return false
}

func onlyMembers(o *esbody.Object, allowed ...string) bool {
	for _, n := range o.Names() {
		if !contains(allowed, n) {
			return false
		}
	}
	return true
}

// EmptyTermsEnumResponse is the body Elasticsearch sends for a _terms_enum
// whose shards were all removed by DLS: no terms, complete, and the shard
// header (TermsEnumResponse is a broadcast response). shards is the number
// of shards the request targeted; they count as successful, as in
// Elasticsearch, where the node answers for them with an empty list.
func EmptyTermsEnumResponse(shards int) []byte {
	n := strconv.Itoa(shards)
	return []byte(`{"_shards":{"total":` + n + `,"successful":` + n + `,"failed":0},"terms":[],"complete":true}`)
}
