package filterpath

import (
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
)

// sel is how a value is selected: the state of each side, nil when that
// side keeps it whole.
type sel struct{ inc, exc *state }

// eager: both sides keep the value whole.
func (s sel) eager() bool { return s.inc == nil && s.exc == nil }

// child returns the selection of member name of a value selected by s,
// and false when the member is dropped.
func (s sel) child(name string) (sel, bool) {
	out := sel{}
	if s.exc != nil {
		switch v, next := s.exc.member(name); v {
		case whole:
			return sel{}, false
		case partial:
			out.exc = next
		}
	}
	if s.inc != nil {
		switch v, next := s.inc.member(name); v {
		case noMatch:
			return sel{}, false
		case partial:
			out.inc = next
		}
	}
	return out, true
}

// copier writes the selected parts of the decoder's document. Objects and
// arrays reached through a path that goes on below them are written
// lazily: their opening (and member name) waits in pending until
// something inside them is written, and is dropped if nothing is.
type copier struct {
	dec     *jsontext.Decoder
	enc     *jsontext.Encoder
	pending []jsontext.Token
}

// flush writes the pending openings.
func (c *copier) flush() error {
	for _, t := range c.pending {
		if err := c.enc.WriteToken(t); err != nil {
			return err
		}
	}
	c.pending = c.pending[:0]
	return nil
}

// value copies the next value as s selects it; top is the document's
// top-level value, which is always written.
func (c *copier) value(s sel, top bool) error {
	if s.eager() {
		return c.copyWhole()
	}
	switch kind := c.dec.PeekKind(); kind {
	case '{', '[':
		return c.container(s, kind, top)
	case 0:
		_, err := c.dec.ReadToken() // reports the decoder's error
		return err
	default:
		// A scalar where paths go on below: inclusions drop it,
		// exclusions keep it (Jackson's filter: _includeScalar).
		if s.inc != nil && !top {
			return c.dec.SkipValue()
		}
		return c.copyWhole()
	}
}

// copyWhole writes the next value as it is. An object or array is copied
// token by token, as it is read: a value a path selects whole can be
// most of the answer (filter_path=hits), which is never held whole.
func (c *copier) copyWhole() error {
	if err := c.flush(); err != nil {
		return err
	}
	if kind := c.dec.PeekKind(); kind != '{' && kind != '[' {
		v, err := c.dec.ReadValue()
		if err != nil {
			return err
		}
		return c.enc.WriteValue(v)
	}
	for depth := 0; ; {
		tok, err := c.dec.ReadToken()
		if err != nil {
			return err
		}
		if err := c.enc.WriteToken(tok); err != nil {
			return err
		}
		switch tok.Kind() {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return nil
			}
		}
	}
}

// container copies an object or array whose selection goes on below it.
func (c *copier) container(s sel, kind jsontext.Kind, top bool) error {
	open, err := c.dec.ReadToken()
	if err != nil {
		return err
	}
	mark := len(c.pending)
	c.pending = append(c.pending, open.Clone())
	if top {
		if err := c.flush(); err != nil {
			return err
		}
		mark = 0
	}
	for c.dec.PeekKind() != closing(kind) {
		if err := c.element(s, kind); err != nil {
			return err
		}
	}
	end, err := c.dec.ReadToken()
	if err != nil {
		return err
	}
	if len(c.pending) > mark {
		// Nothing inside was written: neither is the container (nor the
		// member name before it, which the caller drops).
		c.pending = c.pending[:mark]
		return nil
	}
	return c.enc.WriteToken(end)
}

// element copies one member of an object, or one element of an array
// (arrays are transparent: their elements share the array's selection).
func (c *copier) element(s sel, kind jsontext.Kind) error {
	if kind == '[' {
		return c.value(s, false)
	}
	name, err := c.dec.ReadToken()
	if err != nil {
		return err
	}
	if name.Kind() != '"' {
		return fmt.Errorf("expected a member name, found %v", name.Kind())
	}
	child, kept := s.child(name.String())
	if !kept {
		return c.dec.SkipValue()
	}
	mark := len(c.pending)
	c.pending = append(c.pending, name.Clone())
	if err := c.value(child, false); err != nil {
		return err
	}
	if len(c.pending) > mark {
		c.pending = c.pending[:mark] // the value was dropped: so is its name
	}
	return nil
}

// closing is the kind of the token that ends a container of kind.
func closing(kind jsontext.Kind) jsontext.Kind {
	if kind == '{' {
		return '}'
	}
	return ']'
}
