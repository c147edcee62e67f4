package fls

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// The oracle re-checks a filter's output independently of the streaming
// code: it parses the output into a tree (keeping duplicate names and
// member order) and checks every place the filters claim to filter against
// the views, with plain recursion.

// node is a parsed JSON value.
type node struct {
	kind    byte // '{', '[', '"', or 'x' for other scalars
	str     string
	members []member
	elems   []*node
}

type member struct {
	name  string
	value *node
}

// get returns the last member of that name (nil if none).
func (n *node) get(name string) *node {
	var v *node
	for _, m := range n.members {
		if m.name == name {
			v = m.value
		}
	}
	return v
}

func parseTree(b []byte) (*node, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(b), jsontext.AllowDuplicateNames(true))
	n, err := parseNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, fmt.Errorf("after the value: %v", err)
	}
	return n, nil
}

func parseNode(dec *jsontext.Decoder) (*node, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case '{':
		n := &node{kind: '{'}
		for dec.PeekKind() != '}' {
			tok, err := dec.ReadToken()
			if err != nil {
				return nil, err
			}
			name := tok.String()
			v, err := parseNode(dec)
			if err != nil {
				return nil, err
			}
			n.members = append(n.members, member{name, v})
		}
		_, err := dec.ReadToken()
		return n, err
	case '[':
		n := &node{kind: '['}
		for dec.PeekKind() != ']' {
			v, err := parseNode(dec)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, v)
		}
		_, err := dec.ReadToken()
		return n, err
	case '"':
		return &node{kind: '"', str: tok.String()}, nil
	}
	return &node{kind: 'x'}, nil
}

// oracle checks filtered output against a policy.
type oracle struct {
	policy Policy
	errs   []string
}

func (o *oracle) errorf(format string, args ...any) {
	o.errs = append(o.errs, fmt.Sprintf(format, args...))
}

func (o *oracle) view(index *string) *View {
	if index == nil {
		return hiddenView()
	}
	v, known := o.policy.View(*index)
	if !known {
		return hiddenView()
	}
	return v
}

// checkSearch checks a search response object.
func (o *oracle) checkSearch(n *node) {
	if n.kind != '{' {
		return
	}
	for _, m := range n.members {
		switch m.name {
		case "hits":
			o.checkHitsSection(m.value, nil, false)
		case "aggregations":
			o.checkAggs(m.value)
		case "suggest":
			o.checkSuggest(m.value, false)
		case "responses":
			for _, e := range m.value.elems {
				o.checkSearch(e)
			}
		case "response":
			o.checkSearch(m.value)
		}
	}
}

func (o *oracle) checkHitsSection(n *node, parent *string, nested bool) {
	if n.kind != '{' {
		return
	}
	for _, m := range n.members {
		if m.name != "hits" {
			continue
		}
		if m.value.kind == '{' {
			o.checkHitsSection(m.value, parent, nested)
			continue
		}
		for _, h := range m.value.elems {
			o.checkHit(h, parent)
		}
	}
}

func (o *oracle) checkAggs(n *node) {
	for _, m := range n.members {
		if m.name == "hits" && m.value.kind == '[' {
			for _, h := range m.value.elems {
				o.checkHit(h, nil)
			}
			continue
		}
		o.checkAggs(m.value)
	}
	for _, e := range n.elems {
		o.checkAggs(e)
	}
}

func (o *oracle) checkSuggest(n *node, options bool) {
	if options && n.kind == '{' {
		o.checkHit(n, nil)
		return
	}
	for _, m := range n.members {
		o.checkSuggest(m.value, m.name == "options")
	}
	for _, e := range n.elems {
		o.checkSuggest(e, options)
	}
}

// checkHit checks one hit (or document) of the output.
func (o *oracle) checkHit(h *node, parent *string) {
	if h.kind != '{' {
		o.errorf("a hit is not an object")
		return
	}
	index := parent
	if ix := h.get("_index"); ix != nil && ix.kind == '"' {
		index = &ix.str
	}
	v := o.view(index)
	prefix := nestedPrefix(h.get("_nested"))
	for _, m := range h.members {
		switch m.name {
		case "_source":
			if m.value.kind == '{' {
				o.checkSource(v, prefix, m.value)
			}
		case "fields", "ignored_field_values", "highlight", "term_vectors":
			for _, f := range m.value.members {
				if !keyVisibleIn(v, prefix, f.name) {
					o.errorf("%s key %q of index %v is hidden", m.name, f.name, index)
				}
				if m.name == "fields" || m.name == "ignored_field_values" {
					o.checkFieldValue(v, f.name, f.value)
				}
			}
		case "_ignored":
			for _, e := range m.value.elems {
				if e.kind == '"' && !keyVisibleIn(v, prefix, e.str) {
					o.errorf("_ignored entry %q is hidden", e.str)
				}
			}
		case "inner_hits":
			for _, ih := range m.value.members {
				o.checkHitsSection(ih.value, index, true)
			}
		case "docs":
			for _, d := range m.value.elems {
				o.checkHit(d, nil)
			}
		case "get":
			o.checkHit(m.value, index)
		default:
			if !v.Unrestricted() && !contextFree([]byte(m.name)) && m.name != "_index" && m.name != "_nested" {
				o.errorf("hit member %q kept under FLS", m.name)
			}
		}
	}
}

func keyVisibleIn(v *View, prefix, key string) bool {
	if !v.Visible(key) {
		return false
	}
	return prefix == "" || key == prefix || strings.HasPrefix(key, prefix+".") || v.Visible(prefix+"."+key)
}

// checkFieldValue checks the values of a visible field of "fields": the
// members of objects under a non-leaf path are sub-fields that must be
// visible; scalars under an object path must not be there.
func (o *oracle) checkFieldValue(v *View, path string, n *node) {
	kind := v.Kind(path)
	switch n.kind {
	case '[':
		for _, e := range n.elems {
			o.checkFieldValue(v, path, e)
		}
	case '{':
		if isLeafKind(kind) {
			return
		}
		for _, m := range n.members {
			sub := path + "." + m.name
			if !v.Visible(sub) {
				o.errorf("fields sub-field %q is hidden", sub)
			}
			o.checkFieldValue(v, sub, m.value)
		}
	default:
		if kind.container() {
			o.errorf("fields value under object path %q", path)
		}
	}
}

func nestedPrefix(n *node) string {
	var parts []string
	for n != nil && n.kind == '{' {
		f := n.get("field")
		if f == nil || f.kind != '"' {
			break
		}
		parts = append(parts, f.str)
		n = n.get("_nested")
	}
	return strings.Join(parts, ".")
}

// checkSource checks every leaf of a _source (relative to path) against
// SourceAllows; the _source object itself may be empty.
func (o *oracle) checkSource(v *View, path string, n *node) {
	for _, m := range n.members {
		o.checkSourceValue(v, joinPath(path, m.name), m.value)
	}
}

func (o *oracle) checkSourceValue(v *View, path string, n *node) {
	switch n.kind {
	case '{':
		for _, m := range n.members {
			o.checkSourceValue(v, joinPath(path, m.name), m.value)
		}
		if len(n.members) == 0 && !v.SourceAllows(path) {
			o.errorf("empty object kept at hidden %q", path)
		}
	case '[':
		for _, e := range n.elems {
			o.checkSourceValue(v, path, e)
		}
		if len(n.elems) == 0 && !v.SourceAllows(path) {
			o.errorf("empty array kept at hidden %q", path)
		}
	default:
		if !v.SourceAllows(path) {
			o.errorf("_source value at hidden %q", path)
		}
	}
}

// checkMapping checks a mapping response: every definition left must be
// kept under the view of its index over the input's mapping.
func (o *oracle) checkMapping(out *node, inputMappings map[string]*Mapping) {
	for _, ix := range out.members {
		v := o.view(&ix.name)
		if in := inputMappings[ix.name]; in != nil {
			v = v.WithMapping(in)
		}
		if mp := ix.value.get("mappings"); mp != nil {
			o.checkMappingObject(v, mp)
		}
	}
}

func (o *oracle) checkMappingObject(v *View, n *node) {
	for _, m := range n.members {
		switch {
		case m.name == "properties":
			o.checkProperties(v, "", m.value)
		case m.name == "runtime" || m.name == "derived":
			for _, r := range m.value.members {
				if !v.Visible(r.name) {
					o.errorf("hidden runtime field %q kept", r.name)
				}
			}
		case m.value.kind == '{' && !mappingObjectParams[m.name]:
			o.checkMappingObject(v, m.value)
		}
	}
}

func (o *oracle) checkProperties(v *View, prefix string, n *node) {
	for _, m := range n.members {
		path := joinPath(prefix, m.name)
		if !keepDefinition(v, path) {
			o.errorf("definition of hidden %q kept", path)
		}
		if props := m.value.get("properties"); props != nil {
			o.checkProperties(v, path, props)
		}
		if ct := m.value.get("copy_to"); ct != nil {
			for _, t := range append(ct.elems, ct) {
				if t.kind == '"' && !v.Visible(t.str) {
					o.errorf("hidden copy_to target %q kept", t.str)
				}
			}
		}
	}
}

// checkFieldCaps checks a field caps response.
func (o *oracle) checkFieldCaps(out *node) {
	var all []string
	if ix := out.get("indices"); ix != nil {
		for _, e := range ix.elems {
			all = append(all, e.str)
		}
	}
	fields := out.get("fields")
	if fields == nil {
		return
	}
	for _, f := range fields.members {
		for _, typ := range f.value.members {
			listed := all
			if ix := typ.value.get("indices"); ix != nil {
				listed = nil
				for _, e := range ix.elems {
					listed = append(listed, e.str)
				}
			}
			if len(listed) == 0 {
				o.errorf("field caps %q kept without any index", f.name)
			}
			for _, index := range listed {
				if !o.view(&index).Visible(f.name) {
					o.errorf("field caps %q shown for index %q where it is hidden", f.name, index)
				}
			}
		}
	}
}
