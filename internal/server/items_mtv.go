package server

import (
	"fmt"
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// mtvValueCheck validates the value of one member of a term vectors
// request; the cluster reads nothing the proxy has not checked the shape of.
type mtvValueCheck func(esbody.Value) bool

// mtvParameterKeys are the members a term vectors request of an
// _mtermvectors body may hold besides its target (TermVectorsRequest
// .parseRequest), with the shapes the proxy accepts. Anything else is
// refused: an unexpected object could be read by the cluster in ways the
// proxy does not follow.
var mtvParameterKeys = map[string]mtvValueCheck{
	"fields":             isStringOrStrings,
	"offsets":            isFlag,
	"positions":          isFlag,
	"payloads":           isFlag,
	"term_statistics":    isFlag,
	"field_statistics":   isFlag,
	"realtime":           isFlag,
	"per_field_analyzer": isObjectOf(isString),
	"filter":             isObjectOf(isScalar),
	"routing":            isIDText,
	"version":            isNumber,
	"version_type":       isString,
	"preference":         isString,
}

// mtvTargetKeys name the document of one request: only in "docs"
// elements, never in "parameters" (whose values every id inherits).
var mtvTargetKeys = map[string]mtvValueCheck{
	"_index": isIndexName,
	"_id":    isIDText,
	"doc":    isArtificialDoc,
}

// isArtificialDoc accepts a document given in full, unless something in
// it names another document by index and id: the cluster parses it with
// the index's mapping, and a percolator field's query could fetch one.
func isArtificialDoc(v esbody.Value) bool {
	return isObject(v) && !referencesOtherDocuments(v)
}

// authorizeMtv decides every document of an _mtermvectors request on its
// index, as authorizeMget does for _mget. Documents under document- or
// field-level security are refused one by one: term vectors and their
// statistics would reveal hidden documents and fields.
func authorizeMtv(r *http.Request, az Authorizer, base authz.Request, st *requestState, pb *parsedBody) *itemRefusal {
	if _, ok := st.Class.Params.Values["ids"]; ok {
		return forbidden(base, "ids in the URL of _mtermvectors are not supported by the security proxy (list them in the body)")
	}
	body, ok := pb.json.(*esbody.Object)
	if !ok {
		return badBody("_mtermvectors requires a JSON object body")
	}
	items, ref := mtvItems(st, body)
	if ref != nil {
		return ref
	}
	refuseFiltered := func(index string, access []authz.IndexAccess) *itemRefusal {
		if access == nil {
			return nil
		}
		return forbidden(authz.Request{Action: mtvShardAction, User: base.User},
			fmt.Sprintf("document- or field-level security applies to [%s]; the security proxy does not serve its term vectors in _mtermvectors", index))
	}
	_, denied := decideDocs(az, base, st, mtvShardAction, items, refuseFiltered)
	st.items, st.itemsDecided = shardAudits(mtvShardAction, mtvShardRequest, indicesOf(items), deniedIndices(denied)), true
	if len(denied) == 0 {
		return nil
	}
	if len(denied) < len(items) {
		kept := keptMtvBody(body, denied)
		data, err := esbody.Encode(kept)
		if err != nil {
			return &itemRefusal{status: http.StatusForbidden, reason: "cannot re-encode the allowed term vectors requests: " + err.Error()}
		}
		replaceBody(r, data)
		pb.json = kept
	}
	return &itemRefusal{merge: newDocsMerger(denied, len(items))}
}

// mtvItems lists the documents of an _mtermvectors body in response order
// ({"docs":[…]} or {"ids":[…]} with optional "parameters"), or refuses a
// body the proxy cannot follow exactly.
func mtvItems(st *requestState, body *esbody.Object) ([]docItem, *itemRefusal) {
	def, hasDef := defaultIndex(st)
	if body.Has("docs") && body.Has("ids") {
		// The cluster answers docs first, then ids, whatever their order
		// in the body: refused rather than reordered.
		return nil, badBody("an _mtermvectors body may hold [docs] or [ids], not both")
	}
	var items []docItem
	for name, v := range body.All() {
		switch name {
		case "parameters":
			o, ok := v.(*esbody.Object)
			if !ok {
				return nil, badBody("[parameters] must be an object")
			}
			if msg := checkMtvRequest(o, false); msg != "" {
				return nil, badBody("_mtermvectors [parameters]: " + msg)
			}
		case "docs":
			docs, msg := mtvDocs(v, def, hasDef)
			if msg != "" {
				return nil, badBody("_mtermvectors " + msg)
			}
			items = docs
		case "ids":
			ids, ok := v.(esbody.Array)
			if !ok || !hasDef {
				return nil, badBody("_mtermvectors [ids] must be an array and needs an index in the URL")
			}
			for i, e := range ids {
				id, ok := idTextOf(e)
				if !ok {
					return nil, badBody(fmt.Sprintf("_mtermvectors ids[%d] is not an id", i))
				}
				items = append(items, docItem{index: def, id: id})
			}
		default:
			return nil, badBody("unknown key [" + name + "] in an _mtermvectors body, expected [docs], [ids] or [parameters]")
		}
	}
	return items, nil
}

// mtvDocs reads the "docs" array: each element's index (the URL's when it
// names none) and id ("" for an artificial document).
func mtvDocs(v esbody.Value, def string, hasDef bool) ([]docItem, string) {
	docs, ok := v.(esbody.Array)
	if !ok {
		return nil, "[docs] must be an array"
	}
	items := make([]docItem, 0, len(docs))
	for i, e := range docs {
		o, ok := e.(*esbody.Object)
		if !ok {
			return nil, fmt.Sprintf("docs[%d] must be an object", i)
		}
		if msg := checkMtvRequest(o, true); msg != "" {
			return nil, fmt.Sprintf("docs[%d]: %s", i, msg)
		}
		idx := stringMember(o, "_index")
		if idx == "" {
			if !hasDef {
				return nil, fmt.Sprintf("docs[%d] names no index", i)
			}
			idx = def
		}
		id, _ := o.Get("_id")
		text, _ := idTextOf(id)
		items = append(items, docItem{index: idx, id: text})
	}
	return items, ""
}

// checkMtvRequest validates the members of one term vectors request;
// withTarget allows _index, _id and doc. It returns why it is refused.
func checkMtvRequest(o *esbody.Object, withTarget bool) string {
	for name, v := range o.All() {
		check, ok := mtvParameterKeys[name]
		if !ok && withTarget {
			check, ok = mtvTargetKeys[name]
		}
		switch {
		case !ok:
			return "unsupported field [" + name + "]"
		case esbody.IsNull(v):
			return "field [" + name + "] is null"
		case !check(v):
			return "unsupported value for [" + name + "]"
		}
	}
	return ""
}

// keptMtvBody is body with the refused documents taken out of "docs" (ids
// all read the URL's index: they are refused all or none).
func keptMtvBody(body *esbody.Object, denied []deniedItem) *esbody.Object {
	out := body.Clone()
	v, _ := out.Get("docs")
	docs, _ := v.(esbody.Array)
	kept := make(esbody.Array, 0, len(docs))
	next := 0
	for pos, d := range docs {
		if next < len(denied) && denied[next].pos == pos {
			next++
			continue
		}
		kept = append(kept, d)
	}
	out.Set("docs", kept)
	return out
}

// mtvDocItems lists the documents of an _mtermvectors body for the audit
// trail of a request allowed as a whole ("" indices are skipped).
func mtvDocItems(st *requestState) []docItem {
	body, ok := bodyObject(st.Body)
	if !ok {
		return nil
	}
	items, ref := mtvItems(st, body)
	if ref != nil {
		return nil
	}
	return items
}
