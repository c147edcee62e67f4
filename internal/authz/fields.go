package authz

import "slices"

// fieldRule is one field_security definition compiled: a field is granted
// when a grant pattern matches it and no except pattern does.
type fieldRule struct {
	def           FieldSecurity
	grant, except []Pattern
	// access is the FieldAccess of this rule alone, shared.
	access *FieldAccess
}

// compileFieldRule compiles a definition the parser has already validated
// (a pattern that does not compile grants nothing, failing closed).
func compileFieldRule(fs FieldSecurity) *fieldRule {
	r := &fieldRule{def: FieldSecurity{Grant: slices.Clone(fs.Grant), Except: slices.Clone(fs.Except)}}
	for _, s := range fs.Grant {
		if p, err := ParsePattern(s); err == nil {
			r.grant = append(r.grant, p)
		}
	}
	for _, s := range fs.Except {
		p, err := ParsePattern(s)
		if err != nil {
			// An except we cannot evaluate makes the whole rule grant nothing.
			r.grant = nil
			continue
		}
		r.except = append(r.except, p)
	}
	r.access = newFieldAccess([]*fieldRule{r})
	return r
}

func (r *fieldRule) allows(field string) bool {
	return anyPatternMatches(r.grant, field) && !anyPatternMatches(r.except, field)
}

// FieldAccess is the field-level security that applies to one index: the
// union of the field_security definitions of every group that grants the
// index (Elasticsearch's multi-role semantics). A field is visible when at
// least one definition grants it and does not except it; so "a.* except
// a.b*" together with "a.b* except a.b.c*" shows "a.* except a.b.c*".
//
// Allows decides on full dotted field names only. Metadata fields (_id,
// _index, _routing…) are always visible in Elasticsearch; that rule belongs
// to the caller, which knows which fields are metadata.
type FieldAccess struct {
	// Sets are the applicable definitions, as written in the roles.
	Sets  []FieldSecurity
	rules []*fieldRule
}

// newFieldAccess builds the union of rules (nil when there is none).
func newFieldAccess(rules []*fieldRule) *FieldAccess {
	if len(rules) == 0 {
		return nil
	}
	fa := &FieldAccess{rules: rules, Sets: make([]FieldSecurity, len(rules))}
	for i, r := range rules {
		fa.Sets[i] = FieldSecurity{Grant: slices.Clone(r.def.Grant), Except: slices.Clone(r.def.Except)}
	}
	return fa
}

// Allows reports whether the field is visible. A nil FieldAccess shows
// every field.
func (fa *FieldAccess) Allows(field string) bool {
	if fa == nil {
		return true
	}
	for _, r := range fa.rules {
		if r.allows(field) {
			return true
		}
	}
	return false
}
