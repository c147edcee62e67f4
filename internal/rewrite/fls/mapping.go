package fls

import (
	"slices"
	"strings"
)

// FieldKind says what a mapped path is.
type FieldKind uint8

// The kinds of mapped paths.
const (
	// KindUnmapped is a path the mapping does not define.
	KindUnmapped FieldKind = iota
	// KindObject is an object field (properties, or enabled:false).
	KindObject
	// KindNested is a nested field: an object indexed as separate documents.
	KindNested
	// KindLeaf is a concrete field with a type (keyword, text, long…).
	KindLeaf
	// KindMultiField is a field defined under another field's "fields"
	// (title.keyword under title).
	KindMultiField
	// KindAlias is a field of type alias; Field.Target names the target.
	KindAlias
	// KindRuntime is a field of the mapping's runtime section (or an
	// OpenSearch derived field): computed by a script at search time.
	KindRuntime
)

// String returns the kind's name, for messages and tests.
func (k FieldKind) String() string {
	switch k {
	case KindObject:
		return "object"
	case KindNested:
		return "nested"
	case KindLeaf:
		return "leaf"
	case KindMultiField:
		return "multi-field"
	case KindAlias:
		return "alias"
	case KindRuntime:
		return "runtime"
	}
	return "unmapped"
}

// searchable reports whether fields of this kind can be named in queries
// as a value-bearing field (what Expand lists).
func (k FieldKind) searchable() bool {
	return k == KindLeaf || k == KindMultiField || k == KindAlias || k == KindRuntime
}

// container reports whether fields of this kind hold other fields.
func (k FieldKind) container() bool { return k == KindObject || k == KindNested }

// Field is one path of a mapping.
type Field struct {
	// Path is the full dotted path (customer.address.city, title.keyword).
	Path string
	// Kind says what the path is.
	Kind FieldKind
	// Type is the mapping type as written ("keyword", "nested", "alias");
	// empty for objects mapped without a type.
	Type string
	// Parent is, for a multi-field, the field it is defined under.
	Parent string
	// Target is, for an alias, the path it points to.
	Target string
	// CopyTo lists the copy_to targets of the field.
	CopyTo []string
	// Disabled says the object is mapped with enabled:false: its content
	// is kept in _source only.
	Disabled bool
	// Dynamic is an object's (or nested field's) dynamic setting as
	// written ("true", "false", "strict", "runtime"); empty when it takes
	// its parent's.
	Dynamic string
}

// Mapping is the mapping of one concrete index, flattened to paths.
type Mapping struct {
	// fields are the paths defined under properties (objects, leaves,
	// multi-fields, aliases).
	fields map[string]*Field
	// runtime are the paths of the runtime (or derived) section; a runtime
	// field shadows a property of the same path.
	runtime map[string]*Field
	// copiedFrom lists, per copy_to target, the fields copying into it.
	copiedFrom map[string][]string
	// paths are all paths of fields and runtime, sorted: the descendants of
	// an object are a contiguous range.
	paths []string
	// searchable are the sorted paths Expand can return.
	searchable []string
	hasNested  bool
	// dynamic is the mapping's top-level dynamic setting; empty for the
	// default (true).
	dynamic string
}

// Lookup returns the definition of a path. A runtime field shadows a
// property of the same path, as it does in queries.
func (m *Mapping) Lookup(path string) (Field, bool) {
	if f := m.lookup(path); f != nil {
		return *f, true
	}
	return Field{}, false
}

// lookup is Lookup without the copy; nil when unmapped.
func (m *Mapping) lookup(path string) *Field {
	if m == nil {
		return nil
	}
	if f, ok := m.runtime[path]; ok {
		return f
	}
	return m.fields[path]
}

// Paths returns every mapped path, sorted.
func (m *Mapping) Paths() []string {
	if m == nil {
		return nil
	}
	return slices.Clone(m.paths)
}

// HasNested reports whether the mapping has a nested field, that is
// whether hits of the index can be nested documents (inner hits, top_hits
// under a nested aggregation).
func (m *Mapping) HasNested() bool { return m != nil && m.hasNested }

// CopiedFrom returns the fields whose values are copied into target
// (copy_to), sorted.
func (m *Mapping) CopiedFrom(target string) []string {
	if m == nil {
		return nil
	}
	return slices.Clone(m.copiedFrom[target])
}

// descendants returns the mapped paths strictly under path, in order.
func (m *Mapping) descendants(path string) []string {
	prefix := path + "."
	i, _ := slices.BinarySearch(m.paths, prefix)
	j := i
	for j < len(m.paths) && strings.HasPrefix(m.paths[j], prefix) {
		j++
	}
	return m.paths[i:j]
}

// longestMappedPrefix returns the longest proper dotted prefix of path
// that the mapping defines, or nil.
func (m *Mapping) longestMappedPrefix(path string) *Field {
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		if f := m.lookup(path[:i]); f != nil {
			return f
		}
	}
	return nil
}

// finish computes the derived indexes once every field is known.
func (m *Mapping) finish() {
	m.paths = m.paths[:0]
	m.searchable = m.searchable[:0]
	seen := make(map[string]bool, len(m.fields)+len(m.runtime))
	add := func(f *Field) {
		if !seen[f.Path] {
			seen[f.Path] = true
			m.paths = append(m.paths, f.Path)
		}
	}
	for _, f := range m.fields {
		add(f)
		for _, t := range f.CopyTo {
			m.copiedFrom[t] = append(m.copiedFrom[t], f.Path)
		}
		m.hasNested = m.hasNested || f.Kind == KindNested
	}
	for _, f := range m.runtime {
		add(f)
	}
	slices.Sort(m.paths)
	for _, p := range m.paths {
		if m.lookup(p).Kind.searchable() {
			m.searchable = append(m.searchable, p)
		}
	}
	for t := range m.copiedFrom {
		slices.Sort(m.copiedFrom[t])
	}
}

func newMapping() *Mapping {
	return &Mapping{
		fields:     map[string]*Field{},
		runtime:    map[string]*Field{},
		copiedFrom: map[string][]string{},
	}
}
