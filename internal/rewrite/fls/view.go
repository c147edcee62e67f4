package fls

import (
	"strings"
	"sync"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// FieldPredicate decides whether a full dotted field path is granted by the
// roles; *authz.FieldAccess implements it. Allows is called with concrete
// paths only, never with patterns.
type FieldPredicate interface {
	Allows(field string) bool
}

// View is what one user may see of one index: the field predicate of the
// user's roles on the index, resolved through the index's mapping. A View
// is immutable and safe for concurrent use.
//
// A nil *View is unrestricted: every field is visible.
type View struct {
	// pred is nil when no field-level security applies.
	pred FieldPredicate
	// m is nil when the mapping is unknown.
	m *Mapping
	// containers holds, once computed, the mapped objects with a visible
	// descendant.
	containersOnce sync.Once
	containers     map[string]bool
}

// maxResolveDepth bounds the chains a visibility decision follows (alias to
// target, multi-field to parent, copy_to target to its sources); a longer
// chain, or a cycle, is judged hidden.
const maxResolveDepth = 16

// NewView returns the view of an index under pred. A nil pred (or a nil
// *authz.FieldAccess) means no field-level security: everything is
// visible. m may be nil when the mapping is unknown: decisions are then
// taken on names alone, and whatever needs the mapping fails closed
// (Expand returns nothing; a dotted path needs each of its prefixes to be
// allowed, since it may be a multi-field of a hidden field). Copy_to
// targets, aliases and runtime fields can only be recognised through the
// mapping: callers must pass it whenever the predicate is not nil.
func NewView(pred FieldPredicate, m *Mapping) *View {
	if fa, ok := pred.(*authz.FieldAccess); ok && fa == nil {
		pred = nil
	}
	return &View{pred: pred, m: m}
}

// hiddenView returns a view that shows metadata fields only: the view of an
// index the policy does not know.
func hiddenView() *View { return &View{pred: denyAll{}} }

// denyAll grants no field.
type denyAll struct{}

// Allows implements FieldPredicate.
func (denyAll) Allows(string) bool { return false }

// Unrestricted reports whether every field is visible.
func (v *View) Unrestricted() bool { return v == nil || v.pred == nil }

// Mapping returns the mapping the view resolves fields with (nil when
// unknown).
func (v *View) Mapping() *Mapping {
	if v == nil {
		return nil
	}
	return v.m
}

// WithMapping returns a view with the same predicate over another mapping.
func (v *View) WithMapping(m *Mapping) *View {
	if v == nil {
		return nil
	}
	return &View{pred: v.pred, m: m}
}

// Kind returns what the mapping says path is (KindUnmapped when it does
// not define it or the mapping is unknown).
func (v *View) Kind(path string) FieldKind {
	if f := v.Mapping().lookup(path); f != nil {
		return f.Kind
	}
	return KindUnmapped
}

// Visible reports whether a concrete field path, as named in a query, an
// aggregation, a sort, a highlight or a fields list, is visible. For an
// object or nested path it reports whether the path is visible as a
// container, that is whether one of its descendants is.
func (v *View) Visible(field string) bool {
	if v.Unrestricted() {
		return true
	}
	return v.visible(field, 0)
}

func (v *View) visible(path string, depth int) bool {
	switch {
	case depth > maxResolveDepth:
		return false
	case visibleMetadata[path]:
		return true
	case hiddenMetadata[path]:
		return false
	case v.m == nil:
		return v.allowsWithPrefixes(path, 0)
	}
	f := v.m.lookup(path)
	if f == nil {
		return v.unmappedVisible(path, depth)
	}
	switch f.Kind {
	case KindRuntime:
		// A script can read any field, hidden ones included.
		return false
	case KindObject, KindNested:
		return v.anyDescendantVisible(path)
	case KindMultiField:
		return v.concreteVisible(f.Parent, depth+1)
	case KindAlias:
		return v.pred.Allows(path) && v.aliasTargetVisible(f, depth)
	}
	if isFlattened(f) && !v.allKeysAllowed(f) {
		return false
	}
	return v.leafVisible(f, depth)
}

// isFlattened reports whether a field indexes a whole JSON object under
// one name: OpenSearch's flat_object, Elasticsearch's flattened. A query,
// an aggregation or a sort on the field itself reads the values of every
// key, and OpenSearch answers a fields-API request for the field, or for
// any of its keys, with the whole object.
func isFlattened(f *Field) bool {
	return f.Kind == KindLeaf && (f.Type == "flat_object" || f.Type == "flattened")
}

// allKeysAllowed reports whether every key of a flattened field is allowed,
// which is what it takes to name the field (or one of its keys) anywhere
// but in _source: the roles must provably grant every path under it (only
// *authz.FieldAccess predicates are analysed; anything else fails closed).
func (v *View) allKeysAllowed(f *Field) bool {
	fa, ok := v.pred.(*authz.FieldAccess)
	return ok && grantsEverythingUnder(fa, f.Path+".")
}

// aliasTargetVisible reports whether an alias points to a visible concrete
// field.
func (v *View) aliasTargetVisible(alias *Field, depth int) bool {
	return v.concreteVisible(alias.Target, depth+1)
}

// concreteVisible reports whether path is a visible concrete field (a leaf
// or a multi-field). The fields a field's visibility depends on (alias
// target, multi-field parent, copy_to source) must be concrete: anything
// else makes it hidden, and keeps the decision of a field from ever
// depending on an object's.
func (v *View) concreteVisible(path string, depth int) bool {
	f := v.m.lookup(path)
	if f == nil || (f.Kind != KindLeaf && f.Kind != KindMultiField) {
		return false
	}
	return v.visible(path, depth)
}

// leafVisible: the field must be allowed, and so must every field whose
// values copy_to puts into it.
func (v *View) leafVisible(f *Field, depth int) bool {
	if !v.pred.Allows(f.Path) {
		return false
	}
	for _, src := range v.m.copiedFrom[f.Path] {
		if !v.concreteVisible(src, depth+1) {
			return false
		}
	}
	return true
}

// anyDescendantVisible reports whether a mapped object holds a visible
// field. The answers for all objects are computed at the first question,
// in one pass: each visible field marks its ancestors. (A field's own
// visibility never depends on an object's: see concreteVisible.)
func (v *View) anyDescendantVisible(path string) bool {
	v.containersOnce.Do(func() {
		v.containers = map[string]bool{}
		for _, p := range v.m.searchable {
			if !v.visible(p, 0) {
				continue
			}
			for i := strings.LastIndexByte(p, '.'); i > 0; i = strings.LastIndexByte(p[:i], '.') {
				if v.containers[p[:i]] {
					break
				}
				v.containers[p[:i]] = true
			}
		}
	})
	return v.containers[path]
}

// unmappedVisible judges a path the mapping does not define (a stale
// mapping, a flattened sub-key, a geo_point's lat): under a mapped leaf it
// needs that leaf to be visible and its own name to be allowed; under an
// object each unmapped prefix must be allowed too, since it may be a field
// added since the mapping was read, with multi-fields of its own.
func (v *View) unmappedVisible(path string, depth int) bool {
	q := v.m.longestMappedPrefix(path)
	switch {
	case q == nil:
		return v.allowsWithPrefixes(path, 0)
	case q.Kind == KindRuntime:
		return false
	case q.Kind.container():
		return v.allowsWithPrefixes(path, len(q.Path)+1)
	}
	return v.visible(q.Path, depth+1) && v.pred.Allows(path)
}

// allowsWithPrefixes reports whether path and each of its proper dotted
// prefixes that ends at or after byte from are allowed.
func (v *View) allowsWithPrefixes(path string, from int) bool {
	if !v.pred.Allows(path) {
		return false
	}
	for i := strings.IndexByte(path, '.'); i >= 0; {
		if i >= from && !v.pred.Allows(path[:i]) {
			return false
		}
		j := strings.IndexByte(path[i+1:], '.')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return true
}

// SourceAllows reports whether a leaf value at a dotted path inside
// _source is visible (arrays add no path segment). For a mapped field it
// agrees with Visible, except under a flattened field, whose keys _source
// holds one by one while everywhere else the field is all or nothing; a path the mapping does not define (under a
// dynamic:false or enabled:false object, or with no mapping at all) is
// decided by the predicate on the path, since _source holds no
// multi-fields or copies; under a mapped leaf (a geo_point's lat, a
// flattened key) the leaf must be visible too.
func (v *View) SourceAllows(path string) bool {
	if v.Unrestricted() {
		return true
	}
	switch {
	case visibleMetadata[path]:
		return true
	case hiddenMetadata[path]:
		return false
	case v.m == nil:
		return v.pred.Allows(path)
	}
	if f := v.m.lookup(path); f != nil {
		switch f.Kind {
		case KindRuntime:
			return false
		case KindObject, KindNested:
			return v.pred.Allows(path)
		}
		if isFlattened(f) {
			// _source holds the keys themselves, each judged on its path.
			return v.leafVisible(f, 0)
		}
		return v.visible(path, 0)
	}
	q := v.m.longestMappedPrefix(path)
	switch {
	case q == nil || q.Kind.container():
		return v.pred.Allows(path)
	case q.Kind == KindRuntime:
		return false
	case isFlattened(q):
		return v.leafVisible(q, 0) && v.allowsWithPrefixes(path, len(q.Path)+1)
	}
	return v.visible(q.Path, 0) && v.pred.Allows(path)
}

// containerAllowed reports whether an object or array at path may be kept
// even when nothing visible is left in it: its own name is granted.
func (v *View) containerAllowed(path string) bool {
	return v.Unrestricted() || v.pred.Allows(path)
}

// Expand returns the visible searchable fields of the mapping (leaves,
// multi-fields, aliases, runtime fields; not objects, not metadata fields)
// whose path matches an Elasticsearch wildcard pattern ('*' matches any
// run of characters, dots included; no other character is special),
// sorted. It returns nil when the mapping is unknown.
func (v *View) Expand(pattern string) []string {
	m := v.Mapping()
	if m == nil {
		return nil
	}
	var out []string
	for _, p := range m.searchable {
		if authz.SimpleMatch(pattern, p) && v.Visible(p) {
			out = append(out, p)
		}
	}
	return out
}
