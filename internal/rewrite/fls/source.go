package fls

// sourceMember filters a _source member. The member stays (as {} when
// nothing is visible, as Elasticsearch answers under grant: []); a _source
// that is neither an object nor null is dropped.
func (r *run) sourceMember(lex *lexer, ref nameRef, iv *indexView, prefix []byte) error {
	switch lex.peek() {
	case '{':
		r.w.openObject(ref, false)
		if err := r.sourceBody(lex, iv, prefix); err != nil {
			return err
		}
		r.w.close()
		return nil
	case 'n':
		return r.copyMember(lex, ref)
	}
	return lex.skip()
}

// sourceBody filters the members of the source object at the next token
// into the current writer frame; prefix is the nested path the source is
// relative to.
func (r *run) sourceBody(lex *lexer, iv *indexView, prefix []byte) error {
	if iv.view.Unrestricted() {
		return r.copyObjectBody(lex)
	}
	r.path = append(r.path[:0], prefix...)
	if err := lex.delim(); err != nil {
		return err
	}
	return r.sourceMembers(lex, iv, r.sourceRoot(iv, prefix))
}

// sourceMembers filters object members up to and including the closing
// brace; r.path is the object's path, node its trie node.
func (r *run) sourceMembers(lex *lexer, iv *indexView, node *pathNode) error {
	hint := 0
	for {
		raw, err := lex.nextMember()
		if err != nil || raw == nil {
			return err
		}
		ref := r.w.pushName(raw)
		mark := len(r.path)
		if mark > 0 {
			r.path = append(r.path, '.')
		}
		start := len(r.path)
		if r.path, err = lex.appendName(r.path, raw); err != nil {
			return err
		}
		child := node.child(r, r.path[start:], &hint)
		if err := r.sourceValue(lex, iv, ref, child); err != nil {
			return err
		}
		r.path = r.path[:mark]
		r.w.popName(ref)
	}
}

// sourceValue filters the value at r.path, written as the member ref or
// as an element (noName). As in Elasticsearch, an object or array that
// filtering empties is dropped; one that was empty is kept if its path is
// visible.
func (r *run) sourceValue(lex *lexer, iv *indexView, ref nameRef, node *pathNode) error {
	switch lex.peek() {
	case '{':
		if err := lex.delim(); err != nil {
			return err
		}
		r.w.openObject(ref, true)
		empty := lex.peek() == '}'
		if err := r.sourceMembers(lex, iv, node); err != nil {
			return err
		}
		r.closeSourceContainer(iv, node, empty)
		return nil
	case '[':
		if err := lex.delim(); err != nil {
			return err
		}
		r.w.openArray(ref, true)
		empty := lex.peek() == ']'
		for lex.peek() != ']' {
			if err := r.sourceValue(lex, iv, noName, node); err != nil {
				return err
			}
		}
		r.closeSourceContainer(iv, node, empty)
		return lex.delim()
	}
	if !r.sourceAllowsAt(iv, node) {
		return lex.skip()
	}
	v, err := lex.scalar()
	if err != nil {
		return err
	}
	if ref.start < 0 {
		r.w.element(v)
	} else {
		r.w.member(ref, v)
	}
	return nil
}

// closeSourceContainer closes a lazily opened container of _source,
// writing it empty if it was empty in the source and its path is visible.
func (r *run) closeSourceContainer(iv *indexView, node *pathNode, empty bool) {
	if empty && r.sourceAllowsAt(iv, node) {
		r.w.materialize()
	}
	r.w.close()
}

// copyObjectBody copies the members of the object at the next token into
// the current writer frame.
func (r *run) copyObjectBody(lex *lexer) error {
	if err := lex.delim(); err != nil {
		return err
	}
	for {
		raw, err := lex.nextMember()
		if err != nil || raw == nil {
			return err
		}
		ref := r.w.pushName(raw)
		err = r.copyMember(lex, ref)
		r.w.popName(ref)
		if err != nil {
			return err
		}
	}
}
