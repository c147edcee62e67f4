package fls

import (
	"errors"
	"io"
)

// FieldCaps filters a _field_caps response. Elasticsearch filters each
// index's fields before merging them, so a field shows when it is visible
// in an index that has it. The merged response only says which indices
// have a field when they disagree on its type ("indices" in the type
// entry): such an entry keeps the indices where the field is visible
// (dropped when none is), and its other index lists are cut down to those;
// an entry without "indices" covers indices the response does not name,
// so it stays only if the field is visible in every index of the response.
func (f *Filter) FieldCaps(dst io.Writer, src io.Reader) error {
	return f.filter(dst, src, "field caps response", func(r *run) error {
		return r.fieldCapsObject(r.lex)
	})
}

// fieldCapsIndexLists are the members of a type entry that list indices.
var fieldCapsIndexLists = map[string]bool{
	"indices": true, "non_searchable_indices": true, "non_aggregatable_indices": true,
	"non_dimension_indices": true, "metric_conflicts_indices": true,
}

// fieldCaps is the state of one field caps response.
type fieldCaps struct {
	// indices are the views of the response's "indices".
	indices []*indexView
	// indicesSeen says "indices" was read.
	indicesSeen bool
	// fields holds "fields" when it comes before "indices".
	fields    []byte
	fieldsRef nameRef
}

func (r *run) fieldCapsObject(lex *lexer) error {
	fc := &fieldCaps{}
	r.w.openObject(noName, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		switch string(name) {
		case "indices":
			return r.fieldCapsIndices(lex, ref, fc)
		case "fields":
			if fc.indicesSeen {
				return r.fieldCapsFields(lex, ref, fc)
			}
			return r.holdFieldCaps(lex, ref, fc)
		}
		return r.copyMember(lex, ref)
	})
	if err != nil {
		return err
	}
	if fc.fields != nil {
		if err := r.replayFieldCaps(fc); err != nil {
			return err
		}
	}
	r.w.close()
	return nil
}

// fieldCapsIndices reads and copies the response's "indices".
func (r *run) fieldCapsIndices(lex *lexer, ref nameRef, fc *fieldCaps) error {
	if fc.indicesSeen {
		return errors.New("two indices members")
	}
	fc.indicesSeen = true
	raw, err := lex.raw()
	if err != nil {
		return err
	}
	if fc.indices, err = r.indexList(raw); err != nil {
		return err
	}
	for _, iv := range fc.indices {
		r.reportUnknown(iv)
	}
	if fc.fields != nil {
		// "fields" came first and is held: write it at its place.
		if err := r.replayFieldCaps(fc); err != nil {
			return err
		}
	}
	r.w.member(ref, raw)
	return nil
}

// indexList reads an array of index names into their views.
func (r *run) indexList(raw []byte) ([]*indexView, error) {
	lex := r.replayLexer(raw)
	defer r.releaseLexer(lex)
	if lex.peek() != '[' {
		return nil, errors.New("an index list is not an array")
	}
	var out []*indexView
	err := r.eachElement(lex, func() error {
		v, err := lex.raw()
		if err != nil {
			return err
		}
		if len(v) == 0 || v[0] != '"' {
			return errors.New("an index name is not a string")
		}
		if r.name, err = appendUnquoted(r.name[:0], v); err != nil {
			return err
		}
		out = append(out, r.indexViewBytes(r.name))
		return nil
	})
	return out, err
}

// holdFieldCaps keeps "fields" until "indices" is read.
func (r *run) holdFieldCaps(lex *lexer, ref nameRef, fc *fieldCaps) error {
	raw, err := lex.raw()
	if err != nil {
		return err
	}
	fc.fields = append(r.holdBuffer(), raw...)
	// The name stays in the writer's arena below the current member's
	// name only until this member returns: keep a private copy.
	fc.fields = append(fc.fields, r.w.names[ref.start:ref.end]...)
	fc.fieldsRef = nameRef{start: len(raw), end: len(fc.fields)}
	return nil
}

// replayFieldCaps filters the held "fields".
func (r *run) replayFieldCaps(fc *fieldCaps) error {
	held := fc.fields
	fc.fields = nil
	defer r.releaseBuffer(held)
	ref := r.w.pushName(held[fc.fieldsRef.start:fc.fieldsRef.end])
	defer r.w.popName(ref)
	lex := r.replayLexer(held[:fc.fieldsRef.start])
	defer r.releaseLexer(lex)
	return r.fieldCapsFields(lex, ref, fc)
}

// fieldCapsFields filters {field: {type: entry}}.
func (r *run) fieldCapsFields(lex *lexer, ref nameRef, fc *fieldCaps) error {
	if lex.peek() != '{' {
		return errors.New("fields is not an object")
	}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		field := append([]byte(nil), name...)
		if lex.peek() != '{' {
			return lex.skip()
		}
		r.w.openObject(ref, true)
		err := r.eachMember(lex, func(ref nameRef, _ []byte) error {
			return r.fieldCapsEntry(lex, ref, fc, field)
		})
		if err != nil {
			return err
		}
		r.w.close()
		return nil
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// fieldCapsEntry filters one type entry of a field.
func (r *run) fieldCapsEntry(lex *lexer, ref nameRef, fc *fieldCaps, field []byte) error {
	raw, err := lex.raw()
	if err != nil {
		return err
	}
	entry := append(r.holdBuffer(), raw...)
	defer r.releaseBuffer(entry)
	listed, hasList, err := r.entryIndices(entry)
	if err != nil {
		return err
	}
	if !hasList {
		listed = fc.indices
	}
	visibleIn := 0
	for _, iv := range listed {
		if r.visible(iv, field) {
			visibleIn++
		}
	}
	if visibleIn == 0 || (!hasList && visibleIn < len(listed)) {
		return nil
	}
	return r.writeFieldCapsEntry(entry, ref, field)
}

// entryIndices returns the views of a type entry's "indices", if any.
func (r *run) entryIndices(entry []byte) ([]*indexView, bool, error) {
	lex := r.replayLexer(entry)
	defer r.releaseLexer(lex)
	if lex.peek() != '{' {
		return nil, false, errors.New("a field caps entry is not an object")
	}
	var listed []*indexView
	found := false
	err := r.eachMember(lex, func(_ nameRef, name []byte) error {
		if string(name) != "indices" || lex.peek() != '[' {
			return lex.skip()
		}
		raw, err := lex.raw()
		if err != nil {
			return err
		}
		found = true
		listed, err = r.indexList(raw)
		return err
	})
	return listed, found, err
}

// writeFieldCapsEntry writes a kept type entry, with its index lists cut
// down to the indices where the field is visible.
func (r *run) writeFieldCapsEntry(entry []byte, ref nameRef, field []byte) error {
	lex := r.replayLexer(entry)
	defer r.releaseLexer(lex)
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		if !fieldCapsIndexLists[string(name)] || lex.peek() != '[' {
			return r.copyMember(lex, ref)
		}
		r.w.openArray(ref, true)
		err := r.eachElement(lex, func() error {
			v, err := lex.raw()
			if err != nil {
				return err
			}
			if r.name, err = appendUnquoted(r.name[:0], v); err != nil {
				return err
			}
			if r.visible(r.indexViewBytes(r.name), field) {
				r.w.element(v)
			}
			return nil
		})
		if err != nil {
			return err
		}
		r.w.close()
		return nil
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}
