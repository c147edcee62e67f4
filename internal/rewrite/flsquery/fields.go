package flsquery

import (
	"strings"
)

// NeutralField is the name a hidden field reference is rewritten to. No
// mapping can define it (see the package documentation), so every query,
// aggregation and sort on it behaves as on a missing field.
const NeutralField = ".portcullis_hidden_field"

// pseudoField reports names that are not fields but make the cluster read
// fields by name: _exists_ turns query_string terms into exists queries,
// _field_names and _ignored index the names of a document's fields (hidden
// ones included), _all was an alias of "*", and the source-like metadata
// fields hold whole documents. They are never visible under FLS, whatever
// a view says about names starting with '_'.
func pseudoField(name string) bool {
	switch name {
	case "_exists_", "_field_names", "_ignored", "_all", "_source", "_ignored_source",
		"_recovery_source", "_nested_path", "_feature", "_inference_fields":
		return true
	}
	return false
}

// hasWildcard reports whether a field name is a pattern.
func hasWildcard(name string) bool { return strings.Contains(name, "*") }

// visible reports whether a field named literally (never a pattern) may be
// used as it is.
func (r *rewriter) visible(name string) bool {
	switch {
	case name == NeutralField:
		return true
	case name == "" || pseudoField(name) || hasWildcard(name):
		return false
	}
	return r.view.Visible(name)
}

// literal returns the name to forward for a field position that takes one
// concrete name: the name itself when visible, otherwise NeutralField.
func (r *rewriter) literal(name string) string {
	if r.visible(name) {
		return name
	}
	return NeutralField
}

// expand returns the visible fields a pattern position reaches. A name
// without a wildcard stands for itself.
func (r *rewriter) expand(pattern string) []string {
	if !hasWildcard(pattern) {
		if r.visible(pattern) {
			return []string{pattern}
		}
		return nil
	}
	return r.matches(pattern)
}

// matches returns the visible fields the view expands pattern to, without
// duplicates, and charges them to the body's expansion budget. Over the
// budget it returns nil: the body is refused (RewriteBody checks the
// plan), and until then the pattern reaches no field.
func (r *rewriter) matches(pattern string) []string {
	var out []string
	seen := make(map[string]struct{})
	cost := 0
	for _, f := range r.view.Expand(pattern) {
		if _, dup := seen[f]; dup || !r.visible(f) {
			continue
		}
		seen[f] = struct{}{}
		out = append(out, f)
		cost += len(f) + expansionOverhead
	}
	if !r.plan.charge(cost) {
		return nil
	}
	return out
}

// expansionOverhead is what one expanded field costs besides its name: the
// copy of the options or query it comes with, at least.
const expansionOverhead = 16

// existsFields returns the visible leaves an exists check on name covers:
// the leaves the name (or pattern) matches, or, when it matches none, as
// for an object, the leaves below it. The cluster expands an object the
// same way but over all leaves, hidden ones included, which is why an
// object name is never forwarded as it is. (A hidden leaf whose visible
// multi-fields remain is checked through those: they hold the same
// values, which the caller may query anyway.)
func (r *rewriter) existsFields(name string) []string {
	if pseudoField(name) || name == "" {
		return nil
	}
	if name == NeutralField || (existsMetadata[name] && r.visible(name)) {
		return []string{name}
	}
	for _, p := range []string{name, name + ".*"} {
		if out := r.matches(p); len(out) > 0 {
			return out
		}
	}
	return nil
}

// existsMetadata are the metadata fields an exists query may name as they
// are: every document has them, they are no mapped leaf (the view does not
// expand them) and no object (no hidden leaf sits below them), and they
// carry no document content.
var existsMetadata = map[string]bool{
	"_id": true, "_index": true, "_routing": true, "_seq_no": true,
	"_primary_term": true, "_version": true, "_doc_count": true, "_tier": true,
}

// nestedPathVisible reports whether a nested object path may be used: some
// leaf below it must be visible. A path whose leaves are all hidden would
// still reveal which documents have such objects.
func (r *rewriter) nestedPathVisible(path string) bool {
	if path == NeutralField {
		return true
	}
	if path == "" || pseudoField(path) || hasWildcard(path) {
		return false
	}
	return len(r.expand(path+".*")) > 0
}

// splitBoost separates a "field^2" list entry into the name and the boost
// suffix ("^2"), at the first '^' as Elasticsearch does.
func splitBoost(entry string) (name, boost string) {
	if i := strings.IndexByte(entry, '^'); i >= 0 {
		return entry[:i], entry[i:]
	}
	return entry, ""
}
