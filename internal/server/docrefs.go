package server

import (
	"encoding/base64"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// maxDocRefDepth bounds the walk; the parser already bounds nesting at
// 1000 levels, deeper means "assume a reference" (fail closed).
const maxDocRefDepth = 1100

// referencesOtherDocuments reports whether a JSON body names a document by
// index and id anywhere: terms lookups ({"index","id","path"}),
// more_like_this "like" documents ({"_index","_id"}), geo_shape
// indexed_shape, percolate by id, pinned documents, terms lookups by query,
// more_like_this artificial documents of another index, lookup runtime
// fields, and any such construct added later. The cluster fetches those documents from their index on its
// own, without the proxy's authorization, so a query could read (or reveal
// through which hits match) documents of an index the user may not see.
// Wrapper queries are decoded and walked too: the cluster decodes them
// itself, and one it could read but the proxy cannot counts as a
// reference.
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
		for name, child := range x.All() {
			if name == "wrapper" && wrapperReference(child, depth) {
				return true
			}
			if name == "terms" && termsLookupWithoutID(child) {
				return true
			}
			// A pre-indexed shape without an index is read from the
			// index named "shapes" (geo_shape and shape queries of both
			// clusters).
			if _, isObj := child.(*esbody.Object); isObj && name == "indexed_shape" {
				return true
			}
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

// wrapperReference reports whether a "wrapper" member is a wrapper query
// ({"query": base64}) whose decoded query references documents, or one the
// proxy cannot decode and read as JSON (the cluster also reads YAML, CBOR
// and SMILE there): fail closed. Anything else named "wrapper" (a field)
// is walked as usual.
func wrapperReference(v esbody.Value, depth int) bool {
	o, ok := v.(*esbody.Object)
	if !ok {
		return false
	}
	q, ok := o.Get("query")
	if !ok {
		return false
	}
	s, ok := q.(esbody.String)
	if !ok {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(string(s))
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(string(s)); err != nil {
			return true
		}
	}
	inner, err := esbody.ParseJSON(raw)
	if err != nil {
		return true
	}
	return walkDocRefs(inner, depth+1)
}

// termsLookupWithoutID reports whether a "terms" member is a terms query
// with a lookup that names an index and a path but no document id
// (a terms aggregation's objects, order and include, hold neither
// together): OpenSearch 3.2+
// looks the terms up in every document its "query" matches
// ({"index","path","query"}). A lookup by id is found by isDocRef.
func termsLookupWithoutID(v esbody.Value) bool {
	o, ok := v.(*esbody.Object)
	if !ok {
		return false
	}
	for _, child := range o.All() {
		if lookup, ok := child.(*esbody.Object); ok && lookup.Has("index") && lookup.Has("path") {
			return true
		}
	}
	return false
}

// isDocRef: an object with an index name and a document id side by side,
// or a more_like_this artificial document aimed at an index ({"_index",
// "doc"}): the cluster analyses it with that index's mappings on that
// index's shards, and whether it could tells whether the index exists and
// how its fields are mapped.
func isDocRef(o *esbody.Object) bool {
	_, idx := o.Get("index")
	_, uidx := o.Get("_index")
	_, id := o.Get("id")
	_, uid := o.Get("_id")
	_, doc := o.Get("doc")
	return (idx || uidx) && (id || uid) || uidx && doc || isLookupRuntimeField(o)
}

// isLookupRuntimeField: an Elasticsearch (8.2+) runtime field of type
// lookup, which fetches fields of the documents of target_index whose
// target_field matches the hit's input_field and returns them with the hit
// (Elasticsearch runs that search as the user; the cluster behind the proxy
// with its own rights).
func isLookupRuntimeField(o *esbody.Object) bool {
	t, _ := o.Get("type")
	s, ok := t.(esbody.String)
	return ok && strings.EqualFold(strings.TrimSpace(string(s)), "lookup") && o.Has("target_index")
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

// readsBeyondItsIndices says why a request could make the cluster read data
// outside the indices it was authorized on, or "" when it cannot:
//   - a body referencing documents by index and id;
//   - search templates, whose rendered query (stored, or inline as a string)
//     the proxy does not see, so it could hold such a reference.
//
// Ingest pipelines, which can do both, are decided by mayUsePipelines.
func readsBeyondItsIndices(c *esapi.Classification, pb *parsedBody) string {
	switch {
	// _mtermvectors names its documents on purpose: authorizeMtv decides
	// each one and accepts nothing else in its body that could name one.
	case c.Action != mtvAction && bodyReadsDocuments(pb):
		return reasonReadsDocuments
	case templateActions[c.Action]:
		return "search templates are rendered by the cluster, out of the security proxy's sight; they are not supported yet"
	}
	return ""
}

// reasonReadsDocuments is why a body referencing other documents is refused.
const reasonReadsDocuments = "the request body reads documents by index and id (terms lookup, more_like_this, indexed shape, percolate…), which the security proxy does not authorize yet"

// templateActions are the actions whose query is a template.
var templateActions = map[string]bool{
	"indices:data/read/search/template":  true,
	"indices:data/read/msearch/template": true,
}

// reasonPercolatorMapping is why a non-full user may not define a
// percolator field.
const reasonPercolatorMapping = "a percolator field parses the query of every document indexed into it with the cluster's rights " +
	"(a terms lookup or indexed shape in it reads any index, and its extracted terms can be searched): " +
	"defining one is not supported by the security proxy for this user"

// mappingActions are the requests whose body can define an index's fields
// (or those of the indices a template or rollover creates).
var mappingActions = map[string]bool{
	"indices:admin/create":                 true,
	"indices:admin/mapping/put":            true,
	"indices:admin/index_template/put":     true,
	"indices:admin/template/put":           true,
	"cluster:admin/component_template/put": true,
	"indices:admin/rollover":               true,
	// Elasticsearch: create_from's mappings_override, a data stream's
	// mappings.
	"indices:admin/index/create_from_source":    true,
	"indices:admin/data_stream/mappings/update": true,
}

// definesPercolator reports whether a mapping-carrying request's body
// defines a field of type percolator anywhere (properties, runtime or
// dynamic templates, a template's mappings).
func definesPercolator(c *esapi.Classification, pb *parsedBody) bool {
	if !mappingActions[c.Action] || pb == nil || pb.json == nil {
		return false
	}
	return walkPercolator(pb.json)
}

func walkPercolator(v esbody.Value) bool {
	return esbody.AnyMember(v, maxDocRefDepth, func(name string, child esbody.Value) bool {
		if name[strings.LastIndexByte(name, '.')+1:] != "type" {
			return false
		}
		s, ok := child.(esbody.String)
		return ok && strings.EqualFold(strings.TrimSpace(string(s)), "percolator")
	})
}
