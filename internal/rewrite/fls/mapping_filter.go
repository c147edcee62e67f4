package fls

import (
	"errors"
	"fmt"
	"io"
)

// Mapping filters the body of GET /<indices>/_mapping or GET /<indices>:
// each index's mappings lose the definitions of hidden fields (objects
// stay while they hold a visible field or their own name is granted;
// multi-fields stay with their parent), hidden copy_to targets and the
// runtime section. Aliases and settings are left as they are.
//
// Each index's mappings value is read whole and parsed, and the fields are
// judged against that mapping (with the policy view's predicate), so that a
// field added since the policy's mapping was read is judged by its real
// definition.
func (f *Filter) Mapping(dst io.Writer, src io.Reader) error {
	return f.filter(dst, src, "mapping response", func(r *run) error {
		return r.perIndex(r.lex, r.indexMappingEntry)
	})
}

// FieldMapping filters the body of GET /<indices>/_mapping/field/<fields>:
// entries of hidden fields are removed, and so are hidden copy_to targets
// in the definitions of the others.
func (f *Filter) FieldMapping(dst io.Writer, src io.Reader) error {
	return f.filter(dst, src, "field mapping response", func(r *run) error {
		return r.perIndex(r.lex, r.indexFieldMappingEntry)
	})
}

// perIndex filters a body keyed by index name, calling fn for each index.
func (r *run) perIndex(lex *lexer, fn func(*lexer, nameRef, *indexView) error) error {
	r.w.openObject(noName, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		return fn(lex, ref, r.indexView(string(name)))
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// perIndexMember filters an index entry object, passing its member named
// target to fn and copying the others.
func (r *run) perIndexMember(lex *lexer, ref nameRef, target string, fn func(nameRef) error) error {
	if lex.peek() != '{' {
		return errors.New("an index entry is not an object")
	}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		if string(name) == target {
			return fn(ref)
		}
		return r.copyMember(lex, ref)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

func (r *run) indexMappingEntry(lex *lexer, ref nameRef, iv *indexView) error {
	return r.perIndexMember(lex, ref, "mappings", func(ref nameRef) error {
		return r.mappingsMember(lex, ref, iv)
	})
}

// mappingsMember filters one index's mappings, read whole and parsed.
func (r *run) mappingsMember(lex *lexer, ref nameRef, iv *indexView) error {
	if iv.view.Unrestricted() {
		return r.copyMember(lex, ref)
	}
	r.reportUnknown(iv)
	raw, err := lex.raw()
	if err != nil {
		return err
	}
	held := append(r.holdBuffer(), raw...)
	defer r.releaseBuffer(held)
	m, err := parseMappingValue(held)
	if err != nil {
		return fmt.Errorf("mappings of index %q: %w", iv.name, err)
	}
	fresh := &indexView{name: iv.name, view: iv.view.WithMapping(m), known: iv.known}
	sub := r.replayLexer(held)
	defer r.releaseLexer(sub)
	return r.mappingsObject(sub, ref, fresh)
}

// mappingsObject filters a mappings object (or a type wrapper in it).
func (r *run) mappingsObject(lex *lexer, ref nameRef, iv *indexView) error {
	if lex.peek() != '{' {
		return errors.New("mappings is not an object")
	}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		switch {
		case string(name) == "properties":
			return r.properties(lex, ref, iv, "")
		case string(name) == "runtime" || string(name) == "derived":
			return r.runtimeSection(lex, ref, iv, "")
		case lex.peek() == '{' && !mappingObjectParams[string(name)]:
			return r.mappingsObject(lex, ref, iv)
		}
		return r.copyMember(lex, ref)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// properties filters a properties object whose fields sit under prefix.
func (r *run) properties(lex *lexer, ref nameRef, iv *indexView, prefix string) error {
	if lex.peek() != '{' {
		return errors.New("properties is not an object")
	}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		path := joinPath(prefix, string(name))
		if !keepDefinition(iv.view, path) {
			return lex.skip()
		}
		return r.definition(lex, ref, iv, path)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// keepDefinition reports whether the definition of path stays in a
// mapping: a visible field, or an object that holds one or whose own name
// is granted (Elasticsearch keeps such an object, emptied).
func keepDefinition(v *View, path string) bool {
	if v.Visible(path) {
		return true
	}
	return v.Kind(path).container() && v.containerAllowed(path)
}

// definition filters a kept field definition: its properties, its
// copy_to targets; multi-fields ("fields") follow the field and stay, with
// their own copy_to (legacy mappings) filtered.
func (r *run) definition(lex *lexer, ref nameRef, iv *indexView, path string) error {
	if lex.peek() != '{' {
		return fmt.Errorf("the definition of %q is not an object", path)
	}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		switch string(name) {
		case "properties":
			return r.properties(lex, ref, iv, path)
		case "derived":
			// OpenSearch's derived fields of dotted names, nested in their
			// parent object's definition.
			return r.runtimeSection(lex, ref, iv, path)
		case "copy_to":
			return r.copyTo(lex, ref, iv)
		case "fields":
			return r.multiFields(lex, ref, iv, path)
		}
		return r.copyMember(lex, ref)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// multiFields filters the "fields" of the field at parent.
func (r *run) multiFields(lex *lexer, ref nameRef, iv *indexView, parent string) error {
	if lex.peek() != '{' {
		return r.copyMember(lex, ref)
	}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		return r.definition(lex, ref, iv, parent+"."+string(name))
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// copyTo filters a copy_to value (a name or an array of names) down to
// the visible targets; it is dropped when none is.
func (r *run) copyTo(lex *lexer, ref nameRef, iv *indexView) error {
	var name []byte
	keep := func() (raw []byte, ok bool, err error) {
		if lex.peek() != '"' {
			return nil, false, lex.skip()
		}
		if raw, err = lex.raw(); err != nil {
			return nil, false, err
		}
		if name, err = appendUnquoted(name[:0], raw); err != nil {
			return nil, false, err
		}
		return raw, iv.view.Visible(string(name)), nil
	}
	if lex.peek() != '[' {
		raw, ok, err := keep()
		if ok {
			r.w.member(ref, raw)
		}
		return err
	}
	r.w.openArray(ref, true)
	err := r.eachElement(lex, func() error {
		raw, ok, err := keep()
		if ok {
			r.w.element(raw)
		}
		return err
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// runtimeSection filters the runtime (or derived) section: runtime fields
// are hidden under field-level security, so only visible ones would stay.
// prefix is the path of the object definition holding the section ("" at
// the top level of the mappings).
func (r *run) runtimeSection(lex *lexer, ref nameRef, iv *indexView, prefix string) error {
	if lex.peek() != '{' {
		return errors.New("runtime is not an object")
	}
	r.w.openObject(ref, true)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		if iv.view.Visible(joinPath(prefix, string(name))) {
			return r.copyMember(lex, ref)
		}
		return lex.skip()
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

func (r *run) indexFieldMappingEntry(lex *lexer, ref nameRef, iv *indexView) error {
	return r.perIndexMember(lex, ref, "mappings", func(ref nameRef) error {
		return r.fieldMappings(lex, ref, iv)
	})
}

// fieldMappings filters {field: {full_name, mapping: {leaf: definition}}}.
func (r *run) fieldMappings(lex *lexer, ref nameRef, iv *indexView) error {
	if iv.view.Unrestricted() {
		return r.copyMember(lex, ref)
	}
	r.reportUnknown(iv)
	if lex.peek() != '{' {
		return errors.New("mappings is not an object")
	}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		path := string(name)
		if !iv.view.Visible(path) {
			return lex.skip()
		}
		return r.fieldMappingEntry(lex, ref, iv, path)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// fieldMappingEntry filters one field's entry; members other than
// full_name and mapping are dropped (an entry of an unexpected shape, such
// as a type wrapper, is emptied rather than trusted).
func (r *run) fieldMappingEntry(lex *lexer, ref nameRef, iv *indexView, path string) error {
	if lex.peek() != '{' {
		return lex.skip()
	}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		switch string(name) {
		case "full_name":
			return r.copyMember(lex, ref)
		case "mapping":
			return r.fieldMappingDefinitions(lex, ref, iv, path)
		}
		return lex.skip()
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// fieldMappingDefinitions filters {leaf name: definition} of the field at
// path.
func (r *run) fieldMappingDefinitions(lex *lexer, ref nameRef, iv *indexView, path string) error {
	if lex.peek() != '{' {
		return lex.skip()
	}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, _ []byte) error {
		return r.definition(lex, ref, iv, path)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}
