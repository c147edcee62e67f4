package fls

import (
	"slices"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// UnmappedFields returns the paths of a document's fields that the mapping
// does not define, in document order: writing the document would make the
// cluster add them to the mapping (a dynamic mapping update, which
// Elasticsearch authorizes as indices:admin/mapping/auto_put). Fields
// under a mapped leaf (a geo_point given as an object, a flattened field)
// or under an object mapped with enabled:false add nothing and are not
// listed; the members of mapped objects and nested fields are walked. A
// mapped field whose copy_to target the mapping does not define adds that
// target (the cluster maps it from the copied value's type), which is
// listed too.
//
// A new field under an object whose dynamic setting (its own, or the
// nearest one above it, or the mapping's) is false adds nothing (the
// cluster keeps it in _source only), nor under strict (the cluster refuses
// the document): neither is listed. Otherwise it errs towards listing: a
// field the cluster would not map after all (a null value, an empty
// array) is listed too.
// Only the top-level unmapped path of a new object is listed.
func UnmappedFields(m *Mapping, doc *esbody.Object) []string {
	var out []string
	unmappedIn(m, "", doc, &out)
	return out
}

func unmappedIn(m *Mapping, prefix string, obj *esbody.Object, out *[]string) {
	for name, v := range obj.All() {
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		f := m.lookup(path)
		if f == nil {
			if under := m.longestMappedPrefix(path); under != nil && len(under.Path) > len(prefix) && !under.Kind.container() {
				continue // "loc.lat" beside a geo_point "loc"
			} else if under != nil && under.Disabled {
				continue
			} else if d := m.dynamicAbove(path); d == "false" || d == "strict" {
				continue
			}
			*out = append(*out, path)
			continue
		}
		if !f.Kind.container() || f.Disabled {
			for _, target := range f.CopyTo {
				if m.lookup(target) == nil && !slices.Contains(*out, target) {
					*out = append(*out, target)
				}
			}
			continue
		}
		unmappedValue(m, path, v, out)
	}
}

// unmappedValue walks the value of a mapped object or nested field: an
// object, or an array of them.
func unmappedValue(m *Mapping, path string, v esbody.Value, out *[]string) {
	switch x := v.(type) {
	case *esbody.Object:
		unmappedIn(m, path, x, out)
	case esbody.Array:
		for _, e := range x {
			unmappedValue(m, path, e, out)
		}
	}
}

// dynamicAbove returns the dynamic setting that applies to a new field at
// path: that of the nearest mapped object above it that sets one, or the
// mapping's.
func (m *Mapping) dynamicAbove(path string) string {
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		if f := m.lookup(path[:i]); f != nil && f.Kind.container() && f.Dynamic != "" {
			return f.Dynamic
		}
	}
	if m == nil {
		return ""
	}
	return m.dynamic
}

// WithField returns a copy of m in which path is mapped as a leaf of type
// typ, when m does not map it already (a field the cluster maps by itself,
// such as a data stream's timestamp); m is not changed. A nil m is an
// empty mapping.
func (m *Mapping) WithField(path, typ string) *Mapping {
	if m.lookup(path) != nil {
		return m
	}
	c := newMapping()
	if m != nil {
		c.dynamic = m.dynamic
		for k, f := range m.fields {
			c.fields[k] = f
		}
		for k, f := range m.runtime {
			c.runtime[k] = f
		}
	}
	c.fields[path] = &Field{Path: path, Kind: KindLeaf, Type: typ}
	c.finish()
	return c
}
