package fls

import "bytes"

// Hit members keyed by field name: fields (docvalue, stored and fetched
// fields), ignored_field_values, highlight and term_vectors. Their keys are
// full paths; in a nested hit they may also be relative to the nested
// path, so a key must then be visible both ways.

// keyVisible reports whether a field name used as a key in a hit of iv is
// visible; prefix is the nested path of a nested hit.
func (r *run) keyVisible(iv *indexView, prefix, key []byte) bool {
	if !r.visible(iv, key) {
		return false
	}
	if len(prefix) == 0 || within(key, prefix) {
		return true
	}
	r.path = append(append(append(r.path[:0], prefix...), '.'), key...)
	return r.visible(iv, r.path)
}

// within reports whether path is prefix or lies under it.
func within(path, prefix []byte) bool {
	return bytes.HasPrefix(path, prefix) && (len(path) == len(prefix) || path[len(prefix)] == '.')
}

// keyedMember filters an object keyed by field names whose values are
// written whole (highlight, term_vectors). It is dropped when no key is
// visible.
func (r *run) keyedMember(lex *lexer, ref nameRef, iv *indexView, prefix []byte) error {
	if lex.peek() != '{' {
		return lex.skip()
	}
	r.w.openObject(ref, true)
	err := r.eachMember(lex, func(ref nameRef, key []byte) error {
		if r.keyVisible(iv, prefix, key) {
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

// fieldsMember filters "fields" (or "ignored_field_values"): keys are
// field paths, values arrays of values; a nested field's values are
// objects keyed by the sub-fields' relative names (Elasticsearch 7.12+).
func (r *run) fieldsMember(lex *lexer, ref nameRef, iv *indexView, prefix []byte) error {
	if lex.peek() != '{' {
		return lex.skip()
	}
	r.w.openObject(ref, true)
	err := r.eachMember(lex, func(ref nameRef, key []byte) error {
		if !r.keyVisible(iv, prefix, key) {
			return lex.skip()
		}
		return r.fieldValue(lex, ref, iv, key)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// fieldValue filters a value of the visible field at path, written as the
// member ref or as an element (noName). A mapped leaf's values are kept
// whole (a geo_point's are objects); an object under any other path holds
// sub-fields, each judged on its own; a scalar under an object or nested
// path is dropped.
func (r *run) fieldValue(lex *lexer, ref nameRef, iv *indexView, path []byte) error {
	kind := iv.view.Kind(string(path))
	switch lex.peek() {
	case '[':
		if err := lex.delim(); err != nil {
			return err
		}
		r.w.openArray(ref, true)
		for lex.peek() != ']' {
			if err := r.fieldValue(lex, noName, iv, path); err != nil {
				return err
			}
		}
		r.w.close()
		return lex.delim()
	case '{':
		if !isLeafKind(kind) {
			return r.subFields(lex, ref, iv, path)
		}
	default:
		if kind.container() {
			return lex.skip()
		}
	}
	if ref.start < 0 {
		return r.copyElement(lex)
	}
	return r.copyMember(lex, ref)
}

// subFields filters an object of sub-fields of path.
func (r *run) subFields(lex *lexer, ref nameRef, iv *indexView, path []byte) error {
	r.w.openObject(ref, true)
	own := append([]byte(nil), path...)
	err := r.eachMember(lex, func(ref nameRef, key []byte) error {
		sub := append(append(append([]byte(nil), own...), '.'), key...)
		if !r.visible(iv, sub) {
			return lex.skip()
		}
		return r.fieldValue(lex, ref, iv, sub)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// isLeafKind reports whether values of the kind are atomic.
func isLeafKind(k FieldKind) bool {
	return k == KindLeaf || k == KindMultiField || k == KindAlias || k == KindRuntime
}

// ignoredMember filters _ignored, the names of the fields whose values
// were ignored at index time: hidden names are removed.
func (r *run) ignoredMember(lex *lexer, ref nameRef, iv *indexView, prefix []byte) error {
	if lex.peek() != '[' {
		return lex.skip()
	}
	r.w.openArray(ref, true)
	var name []byte
	err := r.eachElement(lex, func() error {
		if lex.peek() != '"' {
			return lex.skip()
		}
		raw, err := lex.raw()
		if err != nil {
			return err
		}
		if name, err = appendUnquoted(name[:0], raw); err != nil {
			return err
		}
		if r.keyVisible(iv, prefix, name) {
			r.w.element(raw)
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}
