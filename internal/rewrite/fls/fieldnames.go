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
	if len(prefix) == 0 || (bytes.HasPrefix(key, prefix) && len(key) > len(prefix) && key[len(prefix)] == '.') {
		return true
	}
	r.path = append(append(append(r.path[:0], prefix...), '.'), key...)
	return r.visible(iv, r.path)
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
		visible := r.keyVisible(iv, prefix, key)
		return r.fieldValues(lex, ref, iv, key, visible)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// fieldValues filters the values of the field at path. The values of a
// mapped leaf are kept or dropped whole (a geo_point's values are
// objects); objects among the values of any other path are filtered as
// sub-fields of path.
func (r *run) fieldValues(lex *lexer, ref nameRef, iv *indexView, path []byte, visible bool) error {
	if lex.peek() != '[' || isLeafKind(iv.view.Kind(string(path))) {
		if visible {
			return r.copyMember(lex, ref)
		}
		return lex.skip()
	}
	r.w.openArray(ref, true)
	own := append([]byte(nil), path...)
	err := r.eachElement(lex, func() error {
		switch lex.peek() {
		case '{':
			r.w.openObject(noName, true)
			err := r.eachMember(lex, func(ref nameRef, key []byte) error {
				sub := append(append(append([]byte(nil), own...), '.'), key...)
				return r.fieldValues(lex, ref, iv, sub, r.visible(iv, sub))
			})
			r.w.close()
			return err
		case '[':
			return lex.skip()
		}
		if visible {
			return r.copyElement(lex)
		}
		return lex.skip()
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
