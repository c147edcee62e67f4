package esbody

import (
	"fmt"
)

// MgetDoc is one element of the "docs" array of a _mget body.
type MgetDoc struct {
	// Index is "_index"; "" means the index from the URL.
	Index string
	// ID is "_id" (always present: the cluster requires it).
	ID string
	// Routing is "routing" ("" = none).
	Routing string
	// Source is "_source" as given: Bool, String, Array of String, or an
	// *Object with includes/excludes. nil when absent (the URL's _source
	// parameters apply). It decides which fields come back.
	Source Value
	// StoredFields is "stored_fields" (a single string becomes a one-element
	// list); nil when absent (the URL's stored_fields apply).
	StoredFields []string
	// Raw is the element itself, for rewriting; EncodeMget writes it.
	Raw *Object
}

// ParseMget parses a _mget body as Elasticsearch's MultiGetRequest.add would,
// or refuses it. The body is {"docs":[...]} or {"ids":[...]}; docs and ids
// are returned in body order.
//
// Refused where the cluster's parser is lenient or surprising:
//   - a body with both "docs" and "ids" (the cluster appends both lists);
//   - any doc key other than _index, _id, routing, stored_fields, _source,
//     version and version_type. The cluster refuses unknown scalar keys but
//     does not skip unknown object or array values, so their members are
//     read as if they belonged to the doc itself: {"x":{"_index":"secret"}}
//     retargets the doc. "fields" and "_type" are refused too;
//   - a missing or empty _id, an empty or comma-containing _index;
//   - ids and _id values that are not strings or integer literals;
//   - stored_fields and _source values of any other shape than listed on
//     MgetDoc.
//
// A null value for a known doc key means "absent", as in the cluster.
func ParseMget(data []byte) (docs []MgetDoc, ids []string, err error) {
	docs, ids, perr := parseMget(data)
	if perr != nil {
		return nil, nil, perr
	}
	return docs, ids, nil
}

func parseMget(data []byte) ([]MgetDoc, []string, *Error) {
	body, err := parseObject(data)
	if err != nil {
		return nil, nil, err
	}
	fail := func(format string, args ...any) *Error { return badRequest(TypeParseException, format, args...) }
	if body.Has("docs") && body.Has("ids") {
		return nil, nil, fail("a multi get body may hold [docs] or [ids], not both")
	}
	var docs []MgetDoc
	var ids []string
	for name, v := range body.All() {
		arr, ok := v.(Array)
		if !ok {
			return nil, nil, fail("unexpected token [%s], expected [FIELD_NAME] or [START_ARRAY]", jacksonToken(v))
		}
		switch name {
		case "docs":
			for i, e := range arr {
				o, ok := e.(*Object)
				if !ok {
					return nil, nil, badRequest(TypeIllegalArgument, "docs array element should include an object (docs[%d])", i)
				}
				d, msg := readMgetDoc(o)
				if msg != "" {
					return nil, nil, fail("failed to parse multi get request: docs[%d]: %s", i, msg)
				}
				docs = append(docs, d)
			}
		case "ids":
			for i, e := range arr {
				id, ok := idText(e)
				if !ok || id == "" {
					return nil, nil, badRequest(TypeIllegalArgument, "ids array element should only contain ids (ids[%d] is a %s)", i, jacksonToken(e))
				}
				ids = append(ids, id)
			}
		default:
			return nil, nil, fail("unknown key [%s] for a START_ARRAY, expected [docs] or [ids]", name)
		}
	}
	return docs, ids, nil
}

func readMgetDoc(o *Object) (MgetDoc, string) {
	d := MgetDoc{Raw: o}
	hasID := false
	for name, v := range o.All() {
		if _, null := v.(Null); null {
			switch name {
			case "_index", "_id", "routing", "stored_fields", "_source", "version", "version_type":
				continue
			}
		}
		ok := true
		switch name {
		case "_index":
			d.Index, ok = indexText(v)
		case "_id":
			d.ID, ok = idText(v)
			ok = ok && d.ID != ""
			hasID = ok
		case "routing":
			d.Routing, ok = idText(v)
		case "stored_fields":
			d.StoredFields, ok = stringList(v)
		case "_source":
			d.Source, ok = v, validFetchSource(v)
		case "version":
			ok = integerText(v)
		case "version_type":
			_, ok = v.(String)
		case "fields":
			return d, "Unsupported field [fields] used, expected [stored_fields] instead"
		default:
			return d, fmt.Sprintf("unknown field [%s]", name)
		}
		if !ok {
			return d, fmt.Sprintf("unsupported value for [%s]: %s", name, jacksonToken(v))
		}
	}
	if !hasID {
		return d, "id is missing"
	}
	return d, ""
}

// validFetchSource accepts the _source shapes the cluster understands
// without surprises: a boolean, a field pattern, a list of patterns, or an
// object whose only keys are includes/include/excludes/exclude with a
// pattern or a list of patterns.
func validFetchSource(v Value) bool {
	switch v := v.(type) {
	case Bool, String:
		return true
	case Array:
		_, ok := stringList(v)
		return ok
	case *Object:
		for name, e := range v.All() {
			switch name {
			case "includes", "include", "excludes", "exclude":
			default:
				return false
			}
			if _, ok := stringList(e); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// EncodeMget serializes docs as {"docs":[...]}, writing each doc's Raw
// object, so a rewritten or filtered doc list reaches the cluster exactly as
// the proxy checked it. It fails if a doc's typed fields disagree with Raw.
func EncodeMget(docs []MgetDoc) ([]byte, error) {
	arr := make(Array, len(docs))
	for i, d := range docs {
		if d.Raw == nil {
			return nil, fmt.Errorf("esbody: mget doc %d has no Raw object", i)
		}
		check, msg := readMgetDoc(d.Raw)
		if msg != "" {
			return nil, fmt.Errorf("esbody: mget doc %d: %s", i, msg)
		}
		if check.Index != d.Index || check.ID != d.ID || check.Routing != d.Routing ||
			!Equal(check.Source, d.Source) || !equalStrings(check.StoredFields, d.StoredFields) {
			return nil, fmt.Errorf("esbody: mget doc %d: typed fields disagree with Raw", i)
		}
		arr[i] = d.Raw
	}
	return Encode(&Object{members: []Member{{Name: "docs", Value: arr}}})
}

func equalStrings(a, b []string) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// SetIndex retargets the doc: it sets "_index" in Raw (or removes it for "",
// so the URL's index applies) and updates Index.
func (d *MgetDoc) SetIndex(name string) {
	if d.Raw == nil {
		d.Raw = &Object{}
	}
	if name == "" {
		d.Raw.Delete("_index")
	} else {
		d.Raw.Set("_index", String(name))
	}
	d.Index = name
}
