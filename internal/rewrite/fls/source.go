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
	if err := lex.delim(); err != nil {
		return err
	}
	return r.sourceMembers(lex, iv, r.sourceRoot(iv, prefix))
}

// maxRun bounds the bytes of a run of members held to be copied at once.
const maxRun = 16 << 10

// sourceMembers filters object members up to and including the closing
// brace; node is the object's path. Consecutive visible scalar members are
// copied as one run of input.
func (r *run) sourceMembers(lex *lexer, iv *indexView, node *pathNode) error {
	hint := 0
	inRun := false
	defer lex.endRun()
	for {
		raw, err := lex.nextMember()
		if err != nil {
			return err
		}
		if raw == nil {
			r.flushRun(lex, inRun)
			return nil
		}
		n := len(raw)
		child, err := node.child(r, raw, &hint)
		if err != nil {
			return err
		}
		k := lex.peek()
		if k != '{' && k != '[' && r.f.noShortcuts {
			if err := r.sourceScalarMember(lex, iv, n, child); err != nil {
				return err
			}
			continue
		}
		if k != '{' && k != '[' && child.sourceAllows(iv) {
			if !inRun {
				lex.startRun()
				inRun = true
			}
			lex.dropName()
			if _, err := lex.scalar(); err != nil {
				return err
			}
			lex.extendRun()
			if len(lex.run()) > maxRun {
				r.flushRun(lex, true)
				inRun = false
			}
			continue
		}
		if inRun {
			r.flushRun(lex, true)
			inRun = false
		}
		if k == '{' || k == '[' {
			err = r.sourceContainerMember(lex, iv, n, child)
		} else {
			lex.dropName()
			err = lex.skip()
		}
		if err != nil {
			return err
		}
	}
}

// sourceScalarMember filters a member whose value is a scalar, on its
// own; its name, n bytes long, is still in the lexer's buffer.
func (r *run) sourceScalarMember(lex *lexer, iv *indexView, n int, node *pathNode) error {
	defer lex.dropName()
	if !node.sourceAllows(iv) {
		return lex.skip()
	}
	v, err := lex.scalar()
	if err != nil {
		return err
	}
	r.w.memberNamed(lex.memberName(n), v)
	return nil
}

// flushRun writes the run of members being held, if any.
func (r *run) flushRun(lex *lexer, inRun bool) {
	if inRun {
		r.w.element(lex.run())
		lex.endRun()
	}
}

// sourceContainerMember filters a member whose value is an object or an
// array; its name, n bytes long, is still in the lexer's buffer. A
// subtree wholly visible is copied, one wholly hidden skipped.
func (r *run) sourceContainerMember(lex *lexer, iv *indexView, n int, node *pathNode) error {
	switch node.subtree(r, iv) {
	case subtreeVisible:
		v, err := lex.raw()
		if err == nil {
			r.w.memberNamed(lex.memberName(n), v)
		}
		lex.dropName()
		return err
	case subtreeHidden:
		lex.dropName()
		return lex.skip()
	}
	ref := r.w.pushName(lex.memberName(n))
	lex.dropName()
	err := r.sourceContainer(lex, iv, ref, node)
	r.w.popName(ref)
	return err
}

// sourceContainer filters the object or array at node, written as the
// member ref or as an element (noName). As in Elasticsearch, a container
// that filtering empties is dropped; one that was empty is kept if its
// path is visible. Array elements share their array's path.
func (r *run) sourceContainer(lex *lexer, iv *indexView, ref nameRef, node *pathNode) error {
	object := lex.peek() == '{'
	if err := lex.delim(); err != nil {
		return err
	}
	if object {
		r.w.openObject(ref, true)
		empty := lex.peek() == '}'
		if err := r.sourceMembers(lex, iv, node); err != nil {
			return err
		}
		r.closeSourceContainer(iv, node, empty)
		return nil
	}
	r.w.openArray(ref, true)
	empty := lex.peek() == ']'
	for {
		switch lex.peek() {
		case ']':
			r.closeSourceContainer(iv, node, empty)
			return lex.delim()
		case '{', '[':
			if err := r.sourceElementContainer(lex, iv, node); err != nil {
				return err
			}
			continue
		}
		if !node.sourceAllows(iv) {
			if err := lex.skip(); err != nil {
				return err
			}
			continue
		}
		v, err := lex.scalar()
		if err != nil {
			return err
		}
		r.w.element(v)
	}
}

// sourceElementContainer filters an object or array inside an array.
func (r *run) sourceElementContainer(lex *lexer, iv *indexView, node *pathNode) error {
	switch node.subtree(r, iv) {
	case subtreeVisible:
		return r.copyElement(lex)
	case subtreeHidden:
		return lex.skip()
	}
	return r.sourceContainer(lex, iv, noName, node)
}

// closeSourceContainer closes a lazily opened container of _source,
// writing it empty if it was empty in the source and its path is visible.
func (r *run) closeSourceContainer(iv *indexView, node *pathNode, empty bool) {
	if empty && node.sourceAllows(iv) {
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
