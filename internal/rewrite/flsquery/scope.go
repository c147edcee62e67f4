package flsquery

import (
	"fmt"
	"reflect"
	"slices"
)

// FieldView is the field-level security of one index as the rewriter needs
// it. The mapping-aware implementation lives in package fls (*fls.View);
// the interface keeps this package independent of it.
//
// Implementations must be comparable (a pointer, typically), so that
// indices sharing one view are recognised as such, and safe for concurrent
// use.
type FieldView interface {
	// Visible reports whether the field, a full dotted name without
	// wildcards, may be read. Multi-fields, aliases, copy_to targets and
	// runtime fields are resolved by the implementation. For a name the
	// index does not map the answer may be either; false is safer.
	Visible(field string) bool
	// Expand returns the visible concrete leaf fields of the index that
	// match pattern ('*' is the only wildcard), in a stable order. A
	// pattern without '*' yields at most the field of that exact name, and
	// only when it is a mapped leaf: an object name yields nothing (its
	// children are reached with "name.*").
	Expand(pattern string) []string
}

// IndexFields pairs one concrete index a request reaches with its field
// view.
type IndexFields struct {
	// Index is the concrete index name, as matched by the _index field.
	Index string
	// Fields is the index's field-level security; nil means none (every
	// field visible).
	Fields FieldView
}

// Scope lists the indices a request reaches. A scope in which no index has
// a FieldView means FLS does not apply, and bodies pass unchanged.
type Scope struct {
	Indices []IndexFields
}

// MaxSplitViews is the largest number of distinct views for which a query
// is split into per-view copies; beyond it the stricter intersection view
// is used, so a request reaching many differently restricted indices
// cannot make the forwarded query grow without bound.
const MaxSplitViews = 8

// viewGroup is one distinct view and the indices that share it. A nil view
// means the indices have no FLS.
type viewGroup struct {
	view    FieldView
	indices []string
}

// plan is a scope prepared for rewriting: the distinct views, and the
// strict view used where a query cannot be split.
type plan struct {
	groups []viewGroup
	// strict is the intersection of the FLS views; nil when no index has
	// FLS.
	strict FieldView
	// expanded counts the bytes that expansions (patterns to field lists,
	// query_string prefixes to disjunctions) have added to the body so far;
	// past maxExpansionBytes the body is refused (see charge).
	expanded int
	// exhausted is set once expanded went past maxExpansionBytes.
	exhausted bool
}

// maxExpansionBytes bounds what expansions may add to one body. A pattern
// stands for every visible field it matches, so a small body naming "*"
// many times (or nesting query_string prefixes "*:(*:(...))", each level
// repeating the whole inner text once per field) would otherwise grow
// without bound in the proxy's memory: exponentially for the nested text.
// The cluster would refuse such a query anyway (too many clauses), so
// refusing it first costs nothing legitimate.
const maxExpansionBytes = 16 << 20

// charge adds n bytes of expansion output to the body's total and reports
// whether the total is still within maxExpansionBytes. Once over, it stays
// over: RewriteBody then refuses the body.
func (p *plan) charge(n int) bool {
	if p.exhausted || n < 0 || n > maxExpansionBytes-p.expanded {
		p.exhausted = true
		return false
	}
	p.expanded += n
	return true
}

// errTooLarge is the refusal of a body whose expansions went past
// maxExpansionBytes.
func errTooLarge() *Refusal {
	return malformed("", fmt.Sprintf("a body whose field patterns expand to more than %d bytes of field names", maxExpansionBytes))
}

// newPlan groups the scope's indices by view, keeping first-appearance
// order so that the rewritten body is deterministic.
func newPlan(scope Scope) *plan {
	p := &plan{}
	var views []FieldView
	for _, ix := range scope.Indices {
		i := slices.IndexFunc(p.groups, func(g viewGroup) bool { return sameView(g.view, ix.Fields) })
		if i < 0 {
			p.groups = append(p.groups, viewGroup{view: ix.Fields})
			i = len(p.groups) - 1
			if ix.Fields != nil {
				views = append(views, ix.Fields)
			}
		}
		p.groups[i].indices = append(p.groups[i].indices, ix.Index)
	}
	switch len(views) {
	case 0:
	case 1:
		p.strict = views[0]
	default:
		p.strict = intersection(views)
	}
	return p
}

// hasFLS reports whether any reached index has field-level security.
func (p *plan) hasFLS() bool { return p.strict != nil }

// single reports whether every reached index has the same FLS view, so a
// query needs no per-view copies.
func (p *plan) single() bool { return len(p.groups) == 1 && p.groups[0].view != nil }

// sameView reports whether a and b are the same view. Views that cannot be
// compared are treated as different, which only costs a larger rewrite.
func sameView(a, b FieldView) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() || !va.Comparable() || !vb.Comparable() {
		return false
	}
	return a == b
}

// intersection is the view of several FLS views at once: a field is
// visible only where every view shows it.
type intersection []FieldView

// Visible implements FieldView.
func (in intersection) Visible(field string) bool {
	for _, v := range in {
		if !v.Visible(field) {
			return false
		}
	}
	return true
}

// Expand implements FieldView: the union of the views' expansions, kept
// only where every view shows the field (a field mapped in one index only
// stays when the others' patterns grant it).
func (in intersection) Expand(pattern string) []string {
	var out []string
	for _, v := range in {
		for _, f := range v.Expand(pattern) {
			if !slices.Contains(out, f) && in.Visible(f) {
				out = append(out, f)
			}
		}
	}
	return out
}
