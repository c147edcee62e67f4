package cursor

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// Field names a string member of a response that carries a cluster id.
type Field struct {
	// Path is the member's path from the top-level object: member names
	// separated by dots, "name[]" standing for every element of the
	// array member name. Examples: "_scroll_id", "response.pit_id",
	// "responses[].pit_id".
	Path string
	// Kind is the kind of the id the member holds.
	Kind Kind
}

// ReplaceFunc returns the token a client sees in place of a cluster id of
// the given kind (typically Binder.Wrap with the request's binding, plus
// Registry.Add). An error stops the rewriting.
type ReplaceFunc func(kind Kind, upstreamID string) (string, error)

// flushThreshold is how many input bytes may wait before being copied out
// while a value the fields do not reach is skipped.
const flushThreshold = 32 << 10

// RewriteIDs copies the JSON response read from src to dst, replacing the
// value of every member a field names by replace's result. Every other
// byte is copied as it is (white space and escapes included), in bounded
// memory: the input is streamed token by token and only the member values
// being replaced are held whole, so a 100 MB search response costs a few
// tens of kilobytes beyond its largest single token.
//
// The input must be one JSON value (duplicate member names are accepted,
// and each occurrence is replaced). An empty string is no id and is left
// as it is. A field whose member is not a string is an error: an id in a shape the proxy does not expect is not passed
// through. A field whose parent has another shape than its path says (an
// object where an array is expected, null…) is left alone.
//
// Call it for 2xx responses only; error bodies carry no id and are copied
// unchanged by the caller. On error, part of the output may have been
// written, but never a cluster id from a named member; the caller must
// abort the response.
func RewriteIDs(dst io.Writer, src io.Reader, fields []Field, replace ReplaceFunc) error {
	root, err := compileFields(fields)
	if err != nil {
		return err
	}
	s := &splicer{src: src, dst: dst}
	rw := &idRewriter{s: s, replace: replace}
	rw.dec = jsontext.NewDecoder(s, jsontext.AllowDuplicateNames(true))
	if err := rw.value(root); err != nil {
		return fmt.Errorf("cursor: rewrite response: %w", err)
	}
	if _, err := rw.dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = errors.New("more than one JSON value")
		}
		return fmt.Errorf("cursor: rewrite response: %w", err)
	}
	if err := s.flushAll(); err != nil {
		return fmt.Errorf("cursor: rewrite response: %w", err)
	}
	return nil
}

// pathNode is one step of the compiled fields: the members to follow in an
// object, the path inside each element of an array, or a leaf's kind.
type pathNode struct {
	members map[string]*pathNode
	elems   *pathNode
	kind    Kind
}

func (n *pathNode) isLeaf() bool { return n.kind != 0 }

// compileFields builds the tree of paths the rewriter follows.
func compileFields(fields []Field) (*pathNode, error) {
	root := &pathNode{}
	for _, f := range fields {
		if !f.Kind.valid() {
			return nil, fmt.Errorf("cursor: field %q: unknown kind %d", f.Path, f.Kind)
		}
		n := root
		for _, seg := range strings.Split(f.Path, ".") {
			name, isArray := strings.CutSuffix(seg, "[]")
			if name == "" || n.isLeaf() || n.elems != nil {
				return nil, fmt.Errorf("cursor: invalid field path %q", f.Path)
			}
			n = n.member(name)
			if isArray {
				if n.isLeaf() || n.members != nil {
					return nil, fmt.Errorf("cursor: invalid field path %q", f.Path)
				}
				if n.elems == nil {
					n.elems = &pathNode{}
				}
				n = n.elems
			}
		}
		if n.members != nil || n.elems != nil || n.isLeaf() && n.kind != f.Kind {
			return nil, fmt.Errorf("cursor: conflicting field path %q", f.Path)
		}
		n.kind = f.Kind
	}
	return root, nil
}

// member returns the child for name, creating it.
func (n *pathNode) member(name string) *pathNode {
	if n.members == nil {
		n.members = map[string]*pathNode{}
	}
	c, ok := n.members[name]
	if !ok {
		c = &pathNode{}
		n.members[name] = c
	}
	return c
}

// idRewriter walks the token stream along the compiled paths.
type idRewriter struct {
	s       *splicer
	dec     *jsontext.Decoder
	replace ReplaceFunc
}

// value consumes one value, following n (nil: nothing to replace inside).
func (rw *idRewriter) value(n *pathNode) error {
	k := rw.dec.PeekKind()
	if k == 0 {
		_, err := rw.dec.ReadToken()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	switch {
	case n == nil:
		return rw.skip(k)
	case n.isLeaf():
		return rw.leaf(n.kind)
	case k == '{' && n.members != nil:
		return rw.object(n)
	case k == '[' && n.elems != nil:
		return rw.array(n.elems)
	}
	return rw.skip(k)
}

// object walks the members of an object on a path.
func (rw *idRewriter) object(n *pathNode) error {
	if _, err := rw.dec.ReadToken(); err != nil {
		return err
	}
	for rw.dec.PeekKind() != '}' {
		name, err := rw.dec.ReadToken()
		if err != nil {
			return err
		}
		if err := rw.value(n.members[name.String()]); err != nil {
			return err
		}
		if err := rw.maybeFlush(); err != nil {
			return err
		}
	}
	_, err := rw.dec.ReadToken()
	return err
}

// array walks the elements of an array on a path.
func (rw *idRewriter) array(elem *pathNode) error {
	if _, err := rw.dec.ReadToken(); err != nil {
		return err
	}
	for rw.dec.PeekKind() != ']' {
		if err := rw.value(elem); err != nil {
			return err
		}
		if err := rw.maybeFlush(); err != nil {
			return err
		}
	}
	_, err := rw.dec.ReadToken()
	return err
}

// skip consumes a value no field reaches, token by token, copying the
// input out as it goes so that memory stays bounded.
func (rw *idRewriter) skip(k jsontext.Kind) error {
	if k != '{' && k != '[' {
		_, err := rw.dec.ReadToken()
		return err
	}
	depth := 0
	for {
		tok, err := rw.dec.ReadToken()
		if err != nil {
			return err
		}
		switch tok.Kind() {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		if depth == 0 {
			return nil
		}
		if err := rw.maybeFlush(); err != nil {
			return err
		}
	}
}

// maybeFlush copies out the input consumed so far once enough of it
// waits: no id can be among bytes the decoder has already passed.
func (rw *idRewriter) maybeFlush() error {
	if off := rw.dec.InputOffset(); off-rw.s.base > flushThreshold {
		return rw.s.flushTo(off)
	}
	return nil
}

// leaf replaces one id: the bytes before it are copied out, its own bytes
// dropped and the token written in their place.
func (rw *idRewriter) leaf(kind Kind) error {
	raw, err := rw.dec.ReadValue()
	if err != nil {
		return err
	}
	if raw.Kind() != '"' {
		return fmt.Errorf("%s id at %s is a %s, not a string", kind, rw.dec.StackPointer(), raw.Kind())
	}
	end := rw.dec.InputOffset()
	start := end - int64(len(raw))
	id, err := jsontext.AppendUnquote(nil, raw)
	if err != nil {
		return err
	}
	if len(id) == 0 {
		// No id (an SQL response without a next page): nothing to hide.
		return nil
	}
	token, err := rw.replace(kind, string(id))
	if err != nil {
		return fmt.Errorf("replace %s id at %s: %w", kind, rw.dec.StackPointer(), err)
	}
	quoted, err := jsontext.AppendQuote(nil, token)
	if err != nil {
		return fmt.Errorf("replacement for %s id: %w", kind, err)
	}
	if err := rw.s.flushTo(start); err != nil {
		return err
	}
	if _, err := rw.s.dst.Write(quoted); err != nil {
		return err
	}
	rw.s.dropTo(end)
	return nil
}

// splicer sits between the source and the decoder: it keeps the bytes the
// decoder has read until the rewriter copies them out or drops them.
type splicer struct {
	src     io.Reader
	dst     io.Writer
	pending []byte
	// base is the input offset of pending[0].
	base int64
}

// Read implements io.Reader for the decoder.
func (s *splicer) Read(p []byte) (int, error) {
	n, err := s.src.Read(p)
	s.pending = append(s.pending, p[:n]...)
	return n, err
}

// flushTo writes the pending input up to offset off.
func (s *splicer) flushTo(off int64) error {
	n := int(off - s.base)
	if n <= 0 {
		return nil
	}
	if _, err := s.dst.Write(s.pending[:n]); err != nil {
		return err
	}
	s.dropTo(off)
	return nil
}

// dropTo discards the pending input up to offset off.
func (s *splicer) dropTo(off int64) {
	n := int(off - s.base)
	s.pending = s.pending[:copy(s.pending, s.pending[n:])]
	s.base = off
}

// flushAll writes whatever input is still pending (trailing white space).
func (s *splicer) flushAll() error { return s.flushTo(s.base + int64(len(s.pending))) }
