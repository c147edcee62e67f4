package fls

import (
	"errors"
	"fmt"
)

// hitContext is what a hit inherits from where it sits.
type hitContext struct {
	// parent is the view of the enclosing hit (inner hits, _explain's
	// get), used when the hit names no index.
	parent *indexView
	// mayBeNested says the hit can be a nested document (inner hits,
	// top_hits in aggregations), whose _source is relative to _nested.
	mayBeNested bool
}

// hit is the state of one hit being filtered.
type hit struct {
	ctx hitContext
	iv  *indexView
	// indexSeen and nestedSeen say _index and _nested were read.
	indexSeen, nestedSeen bool
	// prefix is the nested path of a nested hit ("comments.votes").
	prefix []byte
	// held are the members held back until the hit's context is known,
	// as the text of a JSON object without its closing brace; nil when
	// nothing is held.
	held []byte
	// reported says an unknown index was reported for this hit.
	reported bool
	// filtered says content that depends on the context was written.
	filtered bool
}

// contextFree reports whether a hit member is written as it is, whatever
// the index: metadata, scores, sort values, explanations (the request side
// keeps hidden fields out of queries and sorts), and the members of
// documents, _explain, term vectors and suggestion options that carry no
// field content.
func contextFree(name []byte) bool {
	switch string(name) {
	case "_id", "_type", "_score", "_routing", "_version", "_seq_no", "_primary_term", "_shard", "_node", "_rank",
		"_explanation", "sort", "matched_queries",
		"found", "took", "matched", "explanation", "error", "status",
		"text", "offset", "length", "score", "freq", "highlighted", "collate_match", "contexts":
		return true
	}
	return false
}

// hitObject filters a hit that starts at the next token, written as the
// member ref (or as an element with noName).
func (r *run) hitObject(lex *lexer, ref nameRef, ctx hitContext) error {
	if lex.peek() != '{' {
		return errors.New("a hit is not an object")
	}
	r.w.openObject(ref, false)
	if err := r.hitBody(lex, ctx); err != nil {
		return err
	}
	r.w.close()
	return nil
}

// hitBody filters the members of the hit object at the next token into
// the current writer frame.
func (r *run) hitBody(lex *lexer, ctx hitContext) error {
	h := &hit{ctx: ctx}
	if err := lex.delim(); err != nil {
		return err
	}
	for lex.peek() != '}' {
		if err := r.hitMemberInOrder(lex, h); err != nil {
			return err
		}
		if h.held != nil && r.hitReady(h) {
			if err := r.replayHeld(h); err != nil {
				return err
			}
		}
	}
	if err := lex.delim(); err != nil {
		return err
	}
	if h.held == nil {
		return nil
	}
	r.resolveMissingIndex(h)
	return r.replayHeld(h)
}

// hitMemberInOrder reads one member: it updates the context on _index and
// _nested, holds members back while the context is incomplete, and
// filters the others.
func (r *run) hitMemberInOrder(lex *lexer, h *hit) error {
	ref, name, err := r.readName(lex)
	if err != nil {
		return err
	}
	defer r.w.popName(ref)
	switch string(name) {
	case "_index":
		return r.hitIndex(lex, h, ref)
	case "_nested":
		return r.hitNested(lex, h, ref)
	}
	independent := contextFree(name) || string(name) == "docs"
	if h.held != nil || (!independent && !r.hitReady(h)) {
		return r.hold(lex, h, ref)
	}
	return r.hitMember(lex, h, ref, name)
}

// hitReady reports whether the context of the hit is complete: its index
// is read and, for a hit that may be a nested document of an index that
// may have nested fields, so is _nested (Elasticsearch writes both before
// _source; a hit without _nested is held until its end).
func (r *run) hitReady(h *hit) bool {
	if !h.indexSeen {
		return false
	}
	if !h.ctx.mayBeNested || h.nestedSeen || h.iv.view.Unrestricted() || !h.iv.known {
		return true
	}
	m := h.iv.view.Mapping()
	return m != nil && !m.HasNested()
}

// hitIndex reads _index.
func (r *run) hitIndex(lex *lexer, h *hit, ref nameRef) error {
	if h.indexSeen {
		return errors.New("a hit has two _index members")
	}
	if lex.peek() != '"' {
		return errors.New("a hit's _index is not a string")
	}
	raw, err := lex.raw()
	if err != nil {
		return err
	}
	if r.name, err = appendUnquoted(r.name[:0], raw); err != nil {
		return err
	}
	h.iv, h.indexSeen = r.indexViewBytes(r.name), true
	return r.writeOrHold(h, ref, raw)
}

// hitNested reads _nested, the identity of a nested document: its path is
// the chain of "field" values.
func (r *run) hitNested(lex *lexer, h *hit, ref nameRef) error {
	if h.nestedSeen {
		return errors.New("a hit has two _nested members")
	}
	if h.filtered {
		// Its content was already judged as a root document's.
		return errors.New("a hit's _nested comes after its content")
	}
	raw, err := lex.raw()
	if err != nil {
		return err
	}
	if h.prefix, err = r.nestedPath(h.prefix[:0], raw); err != nil {
		return fmt.Errorf("_nested: %w", err)
	}
	h.nestedSeen = true
	return r.writeOrHold(h, ref, raw)
}

// writeOrHold writes a member read whole, or holds it when members are
// already held (to keep the members in order).
func (r *run) writeOrHold(h *hit, ref nameRef, value []byte) error {
	if h.held != nil {
		h.held = appendHeld(h.held, r.w.names[ref.start:ref.end], value)
		return nil
	}
	r.w.member(ref, value)
	return nil
}

// hold keeps the next member for later.
func (r *run) hold(lex *lexer, h *hit, ref nameRef) error {
	v, err := lex.raw()
	if err != nil {
		return err
	}
	if h.held == nil {
		h.held = append(r.holdBuffer(), '{')
	}
	h.held = appendHeld(h.held, r.w.names[ref.start:ref.end], v)
	return nil
}

func appendHeld(held, name, value []byte) []byte {
	if len(held) > 1 {
		held = append(held, ',')
	}
	held = append(held, name...)
	held = append(held, ':')
	return append(held, value...)
}

// resolveMissingIndex gives a hit that ended without _index the index of
// the enclosing hit, or none (hidden).
func (r *run) resolveMissingIndex(h *hit) {
	if h.indexSeen {
		return
	}
	if h.ctx.parent != nil {
		h.iv = h.ctx.parent
	} else {
		h.iv = r.missingIndex()
	}
	h.indexSeen = true
}

// replayHeld filters the held members, now that the context is known.
func (r *run) replayHeld(h *hit) error {
	held := append(h.held, '}')
	h.held = nil
	lex := r.replayLexer(held)
	defer func() {
		r.releaseLexer(lex)
		r.releaseBuffer(held)
	}()
	if err := lex.delim(); err != nil {
		return err
	}
	for lex.peek() != '}' {
		ref, name, err := r.readName(lex)
		if err != nil {
			return err
		}
		if string(name) == "_index" || string(name) == "_nested" {
			err = r.copyMember(lex, ref)
		} else {
			err = r.hitMember(lex, h, ref, name)
		}
		r.w.popName(ref)
		if err != nil {
			return err
		}
	}
	return lex.delim()
}

// hitMember filters one member of a hit whose context is known.
func (r *run) hitMember(lex *lexer, h *hit, ref nameRef, name []byte) error {
	switch {
	case contextFree(name):
		return r.copyMember(lex, ref)
	case string(name) == "docs":
		// The documents of _mget and _mtermvectors carry their own index.
		return r.hitArray(lex, ref, hitContext{})
	case h.iv == nil:
		return errors.New("a hit's member is filtered before its index is known")
	}
	h.filtered = true
	switch string(name) {
	case "get":
		return r.hitObject(lex, ref, hitContext{parent: h.iv})
	case "inner_hits":
		return r.innerHits(lex, ref, h)
	}
	if h.iv.view.Unrestricted() {
		return r.copyMember(lex, ref)
	}
	r.reportHit(h)
	switch string(name) {
	case "_source":
		return r.sourceMember(lex, ref, h.iv, h.prefix)
	case "fields", "ignored_field_values":
		return r.fieldsMember(lex, ref, h.iv, h.prefix)
	case "highlight", "term_vectors":
		return r.keyedMember(lex, ref, h.iv, h.prefix)
	case "_ignored":
		return r.ignoredMember(lex, ref, h.iv, h.prefix)
	}
	// A member this filter does not know may carry field content: drop it.
	return lex.skip()
}

// reportHit reports an unknown index once per hit.
func (r *run) reportHit(h *hit) {
	if !h.reported {
		h.reported = true
		r.reportUnknown(h.iv)
	}
}

// hitArray filters an array of hits (hits.hits, docs).
func (r *run) hitArray(lex *lexer, ref nameRef, ctx hitContext) error {
	if lex.peek() != '[' {
		return errors.New("expected an array of hits")
	}
	r.w.openArray(ref, false)
	err := r.eachElement(lex, func() error { return r.hitObject(lex, noName, ctx) })
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// innerHits filters inner_hits: {name: {hits: {total, max_score, hits: []}}}.
func (r *run) innerHits(lex *lexer, ref nameRef, h *hit) error {
	if lex.peek() != '{' {
		return errors.New("inner_hits is not an object")
	}
	ctx := hitContext{parent: h.iv, mayBeNested: true}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, _ []byte) error {
		return r.hitsSection(lex, ref, ctx)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// hitsSection filters an object whose "hits" member is a hits container
// ({total, max_score, hits: []}), as in a search response, inner hits
// and top_hits.
func (r *run) hitsSection(lex *lexer, ref nameRef, ctx hitContext) error {
	if lex.peek() != '{' {
		return errors.New("a hits section is not an object")
	}
	r.w.openObject(ref, false)
	err := r.eachMember(lex, func(ref nameRef, name []byte) error {
		if string(name) != "hits" {
			return r.copyMember(lex, ref)
		}
		if lex.peek() == '{' {
			return r.hitsSection(lex, ref, ctx)
		}
		return r.hitArray(lex, ref, ctx)
	})
	if err != nil {
		return err
	}
	r.w.close()
	return nil
}

// nestedPath appends the path of a nested identity
// {"field": "comments", "offset": 0, "_nested": {"field": "votes", ...}}.
func (r *run) nestedPath(dst, raw []byte) ([]byte, error) {
	lex := r.replayLexer(raw)
	defer r.releaseLexer(lex)
	for depth := 0; ; depth++ {
		if depth > maxResolveDepth {
			return nil, errors.New("too deep")
		}
		field, next, err := r.nestedLevel(lex)
		if err != nil {
			return nil, err
		}
		if field == nil {
			return nil, errors.New("no field")
		}
		if len(dst) > 0 {
			dst = append(dst, '.')
		}
		dst = append(dst, field...)
		if !next {
			return dst, nil
		}
	}
}

// nestedLevel reads the members of one level of a nested identity up to
// its inner _nested (next = true, positioned on its value) or its end.
func (r *run) nestedLevel(lex *lexer) (field []byte, next bool, err error) {
	if err := lex.delim(); err != nil {
		return nil, false, err
	}
	for lex.peek() != '}' {
		raw, err := lex.raw()
		if err != nil {
			return nil, false, err
		}
		if r.name, err = appendUnquoted(r.name[:0], raw); err != nil {
			return nil, false, err
		}
		switch string(r.name) {
		case "field":
			if lex.peek() != '"' {
				return nil, false, errors.New("field is not a string")
			}
			v, err := lex.raw()
			if err != nil {
				return nil, false, err
			}
			if field, err = appendUnquoted(nil, v); err != nil {
				return nil, false, err
			}
		case "_nested":
			return field, true, nil
		default:
			if err := lex.skip(); err != nil {
				return nil, false, err
			}
		}
	}
	return field, false, lex.delim()
}
