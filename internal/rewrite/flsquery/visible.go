package flsquery

// FieldVisible reports whether field may be used as it is in a request
// reaching the indices of scope: it must be visible in every index with
// FLS (a _terms_enum field, a _field_caps fields entry). With no FLS in
// scope every field is visible. Patterns are never visible as such; use
// VisibleFields.
func FieldVisible(scope Scope, field string) bool {
	p := newPlan(scope)
	if !p.hasFLS() {
		return true
	}
	r := &rewriter{plan: p, view: p.strict}
	return r.visible(field)
}

// VisibleFields returns the fields a pattern (or a plain name) reaches that
// are visible in every index of scope with FLS. It returns nil, not the
// pattern, when FLS does not apply: callers then forward the pattern as
// written.
func VisibleFields(scope Scope, pattern string) []string {
	p := newPlan(scope)
	if !p.hasFLS() {
		return nil
	}
	r := &rewriter{plan: p, view: p.strict}
	if out := r.expand(pattern); out != nil {
		return out
	}
	// Never nil under FLS: nil tells the caller FLS does not apply.
	return []string{}
}

// HasFLS reports whether any index of scope has field-level security,
// that is, whether bodies must go through Rewrite.
func HasFLS(scope Scope) bool { return newPlan(scope).hasFLS() }
