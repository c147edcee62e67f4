package fls

import (
	"errors"
	"io"
)

// maxCachedDecisions bounds the visibility decisions one run remembers
// (the distinct paths of a response are few; a response made of distinct
// names must not grow the memory with its size).
const maxCachedDecisions = 1 << 15

// run is the state of filtering one response.
type run struct {
	f   *Filter
	lex *lexer
	w   *writer

	// views caches the policy's answer per index name.
	views map[string]*indexView
	// noIndex is the view of hits that name no index.
	noIndex *indexView
	// cached counts the decisions remembered over all views.
	cached int

	// path is the dotted path of the value being filtered.
	path []byte
	// name is scratch space for unescaped member names.
	name []byte
	// spare holds lexers and buffers for replaying held-back members.
	spareLexers []*lexer
	spareBufs   [][]byte
}

// indexView is the view of one index with the decisions taken so far.
type indexView struct {
	name  string
	view  *View
	known bool
	// visible remembers Visible per path.
	visible map[string]bool
	// sourceTree and nestedTrees remember SourceAllows along the paths of
	// _source (nestedTrees: of nested hits, by nested path).
	sourceTree  *pathNode
	nestedTrees map[string]*pathNode
}

func newRun(f *Filter, dst io.Writer, src io.Reader) *run {
	return newRunOver(f, newLexer(src), newWriter(dst))
}

// newRunOver is newRun with its lexer and writer.
func newRunOver(f *Filter, lex *lexer, w *writer) *run {
	return &run{
		f:     f,
		lex:   lex,
		w:     w,
		views: map[string]*indexView{},
		path:  make([]byte, 0, 256),
		name:  make([]byte, 0, 64),
	}
}

// topLevel reads the top-level object with body, then checks the end of
// input and flushes. An empty body gives an empty output.
func (r *run) topLevel(body func(*run) error) error {
	switch r.lex.peek() {
	case '{':
	case 0:
		if err := r.lex.finish(); err != nil {
			return err
		}
		return nil
	default:
		return errors.New("the body is not a JSON object")
	}
	if err := body(r); err != nil {
		return err
	}
	if r.w.err != nil {
		return r.w.err
	}
	if err := r.lex.finish(); err != nil {
		return err
	}
	return r.w.flush()
}

// indexView returns the view of the named index, asking the policy once.
func (r *run) indexView(name string) *indexView {
	if iv, ok := r.views[name]; ok {
		return iv
	}
	iv := r.newIndexView(name)
	r.views[name] = iv
	return iv
}

// indexViewBytes is indexView for an unescaped name in scratch space.
func (r *run) indexViewBytes(name []byte) *indexView {
	if iv, ok := r.views[string(name)]; ok {
		return iv
	}
	return r.indexView(string(name))
}

func (r *run) newIndexView(name string) *indexView {
	v, known := r.f.Policy.View(name)
	if !known {
		v = hiddenView()
	}
	return &indexView{name: name, view: v, known: known}
}

// missingIndex is the view of a hit without _index and without an
// enclosing hit: unknown, so hidden.
func (r *run) missingIndex() *indexView {
	if r.noIndex == nil {
		r.noIndex = &indexView{name: "", view: hiddenView()}
	}
	return r.noIndex
}

// reportUnknown tells the integrator that content of an unknown index was
// hidden.
func (r *run) reportUnknown(iv *indexView) {
	if !iv.known && r.f.OnUnknownIndex != nil {
		r.f.OnUnknownIndex(iv.name)
	}
}

// visible is View.Visible on path, remembered.
func (r *run) visible(iv *indexView, path []byte) bool {
	if iv.view.Unrestricted() {
		return true
	}
	if d, ok := iv.visible[string(path)]; ok {
		return d
	}
	p := string(path)
	d := iv.view.Visible(p)
	r.remember(&iv.visible, p, d)
	return d
}

func (r *run) remember(m *map[string]bool, path string, d bool) {
	if r.cached >= maxCachedDecisions {
		return
	}
	if *m == nil {
		*m = make(map[string]bool)
	}
	(*m)[path] = d
	r.cached++
}

// readName reads a member name: it returns the raw name stored in the
// writer and the unescaped name in r.name (valid until the next readName).
func (r *run) readName(lex *lexer) (nameRef, []byte, error) {
	raw, err := lex.raw()
	if err != nil {
		return noName, nil, err
	}
	ref := r.w.pushName(raw)
	r.name, err = appendUnquoted(r.name[:0], raw)
	return ref, r.name, err
}

// copyMember copies the next value verbatim as the member ref.
func (r *run) copyMember(lex *lexer, ref nameRef) error {
	v, err := lex.raw()
	if err != nil {
		return err
	}
	r.w.member(ref, v)
	return nil
}

// copyElement copies the next value verbatim as an array element.
func (r *run) copyElement(lex *lexer) error {
	v, err := lex.raw()
	if err != nil {
		return err
	}
	r.w.element(v)
	return nil
}

// eachMember calls fn for each member of the object that starts at the
// next token, with the member's stored raw name and unescaped name (a copy
// fn may keep until it returns). The object's brackets are consumed, not
// written.
func (r *run) eachMember(lex *lexer, fn func(ref nameRef, name []byte) error) error {
	if err := lex.delim(); err != nil {
		return err
	}
	var nameBuf [64]byte
	for lex.peek() != '}' {
		ref, name, err := r.readName(lex)
		if err != nil {
			return err
		}
		own := append(nameBuf[:0], name...)
		if err := fn(ref, own); err != nil {
			return err
		}
		r.w.popName(ref)
	}
	return lex.delim()
}

// eachElement calls fn for each element of the array that starts at the
// next token; the brackets are consumed, not written.
func (r *run) eachElement(lex *lexer, fn func() error) error {
	if err := lex.delim(); err != nil {
		return err
	}
	for lex.peek() != ']' {
		if err := fn(); err != nil {
			return err
		}
		if r.w.err != nil {
			// The client is gone: stop reading the upstream.
			return r.w.err
		}
	}
	return lex.delim()
}

// replayLexer returns a lexer over b, for members held back.
func (r *run) replayLexer(b []byte) *lexer {
	var l *lexer
	if n := len(r.spareLexers); n > 0 {
		l = r.spareLexers[n-1]
		r.spareLexers = r.spareLexers[:n-1]
	} else {
		l = &lexer{}
	}
	l.resetBytes(b)
	return l
}

func (r *run) releaseLexer(l *lexer) { r.spareLexers = append(r.spareLexers, l) }

// holdBuffer returns an empty buffer for held-back members.
func (r *run) holdBuffer() []byte {
	if n := len(r.spareBufs); n > 0 {
		b := r.spareBufs[n-1]
		r.spareBufs = r.spareBufs[:n-1]
		return b[:0]
	}
	return nil
}

func (r *run) releaseBuffer(b []byte) { r.spareBufs = append(r.spareBufs, b) }
