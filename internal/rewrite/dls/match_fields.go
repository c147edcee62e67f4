package dls

import (
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// fieldValue is one value of a document field.
type fieldValue struct {
	v esbody.Value
	// mayBeHidden is set when a root query might not see the value: it was
	// reached through an array of objects (a nested field, if so mapped)
	// or it is a .keyword sub-field longer than ignore_above. Such a value
	// can only decide "no match".
	mayBeHidden bool
}

// keywordIgnoreAbove is the ignore_above of the .keyword sub-field
// Elasticsearch's dynamic mapping adds to strings.
const keywordIgnoreAbove = 256

// fieldLookup is the outcome of resolving a field path.
type fieldLookup struct {
	values []fieldValue
	// multiField is set when the path is a sub-field (other than
	// .keyword) of a field the document has: its analysis is unknown.
	multiField bool
}

// field resolves a field path in the document. Metadata fields other than
// _id are unsupported; _id of a document whose id the cluster will
// generate is unknown.
func (m *matcher) field(path string) (fieldLookup, error) {
	if strings.HasPrefix(path, "_") {
		if path != "_id" {
			return fieldLookup{}, unsupported("metadata field [%s]", path)
		}
		if m.id == "" {
			return fieldLookup{}, unsupported("the document has no _id yet")
		}
		return fieldLookup{values: []fieldValue{{v: esbody.String(m.id)}}}, nil
	}
	segs := strings.Split(path, ".")
	var vals []fieldValue
	collect(m.doc, segs, false, &vals)
	if len(vals) > 0 {
		return fieldLookup{values: vals}, nil
	}
	return m.subField(segs), nil
}

// subField handles a path that does not exist in the document but whose
// parent is a string value: a multi-field. <field>.keyword is read as the
// parent's value (dynamic mapping's keyword sub-field); any other sub-field
// has an unknown analysis.
func (m *matcher) subField(segs []string) fieldLookup {
	if len(segs) < 2 {
		return fieldLookup{}
	}
	var parent []fieldValue
	collect(m.doc, segs[:len(segs)-1], false, &parent)
	if len(parent) == 0 {
		return fieldLookup{}
	}
	if segs[len(segs)-1] != "keyword" {
		return fieldLookup{multiField: true}
	}
	out := make([]fieldValue, 0, len(parent))
	for _, p := range parent {
		s, ok := p.v.(esbody.String)
		if !ok {
			return fieldLookup{multiField: true}
		}
		p.mayBeHidden = p.mayBeHidden || len(s) > keywordIgnoreAbove
		out = append(out, p)
	}
	return fieldLookup{values: out}
}

// collect gathers the values at segs under v, trying every split of the
// remaining path into a flat dotted key and a rest, flattening arrays.
func collect(v esbody.Value, segs []string, hidden bool, out *[]fieldValue) {
	switch v := v.(type) {
	case esbody.Array:
		for _, e := range v {
			_, isObj := e.(*esbody.Object)
			collect(e, segs, hidden || isObj, out)
		}
		return
	case *esbody.Object:
		if len(segs) == 0 {
			*out = append(*out, fieldValue{v: v, mayBeHidden: hidden})
			return
		}
		for k := 1; k <= len(segs); k++ {
			if child, ok := v.Get(strings.Join(segs[:k], ".")); ok {
				collect(child, segs[k:], hidden, out)
			}
		}
		return
	}
	if len(segs) == 0 {
		*out = append(*out, fieldValue{v: v, mayBeHidden: hidden})
	}
}
