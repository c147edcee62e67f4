package flsquery

import (
	"slices"
	"strconv"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// Limits that keep a rewrite bounded whatever the body.
const (
	// maxQueryDepth is the deepest nesting of queries walked. Elasticsearch
	// refuses bool nesting beyond 20-30 levels by default; a deeper query
	// is refused rather than risking a forwarded body deeper than the
	// encoder accepts once copies are added.
	maxQueryDepth = 128
	// maxWrapperDepth bounds wrapper queries decoded inside wrapper queries.
	maxWrapperDepth = 4
)

// rewriter walks one body. It rewrites values in place, so it only ever
// works on a clone of the caller's body.
type rewriter struct {
	plan *plan
	// view is the view field names are checked against: the strict
	// intersection at body level, one group's view inside a split copy.
	view FieldView
	// split says root query positions may be split into per-view copies;
	// false inside a copy, which must not split again.
	split bool
	// innerHits records that a walked query carried inner_hits, whose
	// names would collide if the query were copied.
	innerHits bool
	depth     int
	wrappers  int
}

// sub returns a rewriter for one view that does not split.
func (r *rewriter) sub(view FieldView) *rewriter {
	return &rewriter{plan: r.plan, view: view, depth: r.depth, wrappers: r.wrappers}
}

// member joins a path and a member name for error messages.
func member(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// element joins a path and an array index for error messages.
func element(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// object returns v as an object or a refusal naming what was expected.
func object(path string, v esbody.Value) (*esbody.Object, error) {
	o, ok := esbody.AsObject(v)
	if !ok {
		return nil, malformed(path, "expected an object")
	}
	return o, nil
}

// str returns v as a string or a refusal.
func str(path string, v esbody.Value) (string, error) {
	s, ok := esbody.AsString(v)
	if !ok {
		return "", malformed(path, "expected a string")
	}
	return s, nil
}

// checkKeys refuses members of o not in allowed. Options the package does
// not know might name fields (or run scripts), so they are not guessed at.
func checkKeys(path, what string, o *esbody.Object, allowed ...string) error {
	for name := range o.All() {
		if !slices.Contains(allowed, name) {
			return refuse(member(path, name), "option ["+name+"] of ["+what+"]")
		}
	}
	return nil
}

// rebuild returns a copy of o with each member passed through fn, which
// may rename it (duplicates are refused, as Elasticsearch refuses them) or
// drop it (a nil value).
func rebuild(path string, o *esbody.Object, fn func(name string, v esbody.Value) (string, esbody.Value, error)) (*esbody.Object, error) {
	members := make([]esbody.Member, 0, o.Len())
	for name, v := range o.All() {
		newName, newValue, err := fn(name, v)
		if err != nil {
			return nil, err
		}
		if newValue == nil {
			continue
		}
		if slices.ContainsFunc(members, func(m esbody.Member) bool { return m.Name == newName }) {
			return nil, malformed(path, "two members would both name ["+newName+"]")
		}
		members = append(members, esbody.Member{Name: newName, Value: newValue})
	}
	out, err := esbody.NewObject(members...)
	if err != nil {
		return nil, malformed(path, err.Error())
	}
	return out, nil
}

// isOneOf reports whether name is in list.
func isOneOf(name string, list ...string) bool { return slices.Contains(list, name) }

// single builds the object {name: v}.
func single(name string, v esbody.Value) *esbody.Object {
	o := &esbody.Object{}
	o.Set(name, v)
	return o
}

// stringArray converts names to a JSON array.
func stringArray(names []string) esbody.Array {
	a := make(esbody.Array, len(names))
	for i, n := range names {
		a[i] = esbody.String(n)
	}
	return a
}

// eachOrOne applies fn to v, or to every element when v is an array, and
// stores the results back; Elasticsearch accepts one item or a list in
// many places (bool clauses, knn, rescore, inner_hits).
func eachOrOne(path string, v esbody.Value, fn func(path string, v esbody.Value) (esbody.Value, error)) (esbody.Value, error) {
	a, ok := esbody.AsArray(v)
	if !ok {
		return fn(path, v)
	}
	for i, e := range a {
		out, err := fn(element(path, i), e)
		if err != nil {
			return nil, err
		}
		a[i] = out
	}
	return a, nil
}

// rewriteMember replaces the value of the member name of o, when
// present, with fn's result (a nil result deletes it).
func rewriteMember(path string, o *esbody.Object, name string, fn func(path string, v esbody.Value) (esbody.Value, error)) error {
	v, ok := o.Get(name)
	if !ok {
		return nil
	}
	out, err := fn(member(path, name), v)
	if err != nil {
		return err
	}
	o.Set(name, out)
	return nil
}
