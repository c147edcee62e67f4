package fls

import (
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Whole-subtree decisions let the _source filter copy an object whose
// every possible path is visible, or skip one whose every path is hidden,
// without judging member by member. They are proofs over the roles'
// patterns and the mapping, and fail towards "cannot tell" (the caller then
// judges each member): only *authz.FieldAccess predicates are analysed.

// allVisibleUnder reports whether every path strictly under path (path
// + "." + anything) is allowed by SourceAllows.
func (v *View) allVisibleUnder(path string) bool {
	if v.Unrestricted() {
		return true
	}
	if path == "" {
		// An empty member name: joinPath gives its children their own
		// names, not ".name", so the prefix proof does not apply.
		return false
	}
	fa, ok := v.pred.(*authz.FieldAccess)
	if !ok || !grantsEverythingUnder(fa, path+".") {
		return false
	}
	return v.mappedUnder(path, true)
}

// noneVisibleUnder reports whether no path strictly under path is allowed
// by SourceAllows.
func (v *View) noneVisibleUnder(path string) bool {
	if v.Unrestricted() || path == "" {
		return false
	}
	switch p := v.pred.(type) {
	case denyAll:
		return true
	case *authz.FieldAccess:
		if !grantsNothingUnder(p, path+".") {
			return false
		}
		return v.mappedUnder(path, false)
	}
	return false
}

// mappedUnder checks the mapping's side of a subtree decision: every mapped
// path under path must be judged want by SourceAllows, and path itself,
// when the mapping makes it (or an ancestor) a value-bearing field, must
// let its sub-keys through (want true) or not matter (want false).
func (v *View) mappedUnder(path string, want bool) bool {
	m := v.m
	if m == nil {
		return true
	}
	for _, d := range m.descendants(path) {
		if v.SourceAllows(d) != want {
			return false
		}
	}
	if !want {
		return true
	}
	f := m.lookup(path)
	if f == nil {
		f = m.longestMappedPrefix(path)
	}
	switch {
	case f == nil || f.Kind.container():
		return true
	case f.Kind == KindRuntime:
		return false
	}
	return v.Visible(f.Path)
}

// grantsEverythingUnder reports whether one field_security definition
// grants every field starting with prefix and excepts none of them.
func grantsEverythingUnder(fa *authz.FieldAccess, prefix string) bool {
	for _, fs := range fa.Sets {
		if anyCoversPrefix(fs.Grant, prefix) && !anyMayMatchUnder(fs.Except, prefix) {
			return true
		}
	}
	return false
}

// grantsNothingUnder reports whether no definition can grant a field
// starting with prefix.
func grantsNothingUnder(fa *authz.FieldAccess, prefix string) bool {
	for _, fs := range fa.Sets {
		if anyMayMatchUnder(fs.Grant, prefix) {
			return false
		}
	}
	return true
}

// anyCoversPrefix reports whether a pattern matches every string starting
// with prefix: a literal followed by stars only, the literal being a
// prefix of prefix.
func anyCoversPrefix(patterns []string, prefix string) bool {
	for _, p := range patterns {
		lit := strings.TrimRight(p, "*")
		if lit != p && !strings.ContainsAny(lit, `*?\/`) && strings.HasPrefix(prefix, lit) {
			return true
		}
	}
	return false
}

// anyMayMatchUnder reports whether a pattern might match some string
// starting with prefix. It errs towards true: a regular expression might;
// a wildcard might when its literal start and prefix agree as far as both
// go.
func anyMayMatchUnder(patterns []string, prefix string) bool {
	for _, p := range patterns {
		if strings.HasPrefix(p, "/") {
			return true
		}
		lit := p
		if i := strings.IndexAny(p, `*?\`); i >= 0 {
			lit = p[:i]
		} else {
			// A literal matches only itself.
			if strings.HasPrefix(p, prefix) {
				return true
			}
			continue
		}
		if strings.HasPrefix(prefix, lit) || strings.HasPrefix(lit, prefix) {
			return true
		}
	}
	return false
}
