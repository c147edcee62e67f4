package fls

import "io"

// flushThreshold is the buffered output size past which the writer hands
// its bytes to the destination.
const flushThreshold = 32 << 10

// writer produces compact JSON from verbatim tokens. A container can be
// opened lazily: its name and opening bracket are only written when
// something is written inside it, so a container whose content is all
// hidden leaves no trace. Buffered bytes are always complete tokens of
// filtered output; what lazily opened containers still hold back is their
// names, kept in an arena until they are written or dropped.
type writer struct {
	dst    io.Writer
	buf    []byte
	frames []frame
	// names holds the raw (quoted, escaped as received) names of members
	// being written, in stack order.
	names []byte
	err   error
}

// frame is one open container.
type frame struct {
	name   nameRef
	open   bool // its name and opening bracket are written
	empty  bool // nothing is written inside it yet
	closer byte
}

// nameRef locates a raw member name in writer.names; start < 0 means no
// name (an array element or the top-level value).
type nameRef struct{ start, end int }

// noName is the nameRef of array elements and the top-level value.
var noName = nameRef{start: -1}

func newWriter(dst io.Writer) *writer {
	return &writer{dst: dst, buf: make([]byte, 0, flushThreshold+4096)}
}

// pushName stores a raw member name until the member is written.
func (w *writer) pushName(raw []byte) nameRef {
	start := len(w.names)
	w.names = append(w.names, raw...)
	return nameRef{start, len(w.names)}
}

// popName releases the names from ref on (stack discipline).
func (w *writer) popName(ref nameRef) {
	if ref.start >= 0 {
		w.names = w.names[:ref.start]
	}
}

// openObject starts an object, as a member named by ref or as an element;
// a lazy object is written only if something is written inside it.
func (w *writer) openObject(ref nameRef, lazy bool) { w.open(ref, '}', lazy) }

// openArray is openObject for an array.
func (w *writer) openArray(ref nameRef, lazy bool) { w.open(ref, ']', lazy) }

func (w *writer) open(ref nameRef, closer byte, lazy bool) {
	w.frames = append(w.frames, frame{name: ref, empty: true, closer: closer})
	if !lazy {
		w.materialize()
	}
}

// close ends the innermost container; it reports whether the container
// was written. The caller releases the container's name.
func (w *writer) close() bool {
	f := w.frames[len(w.frames)-1]
	w.frames = w.frames[:len(w.frames)-1]
	if f.open {
		w.buf = append(w.buf, f.closer)
		w.maybeFlush()
	}
	return f.open
}

// member writes a member whose value is complete raw JSON.
func (w *writer) member(ref nameRef, value []byte) {
	w.memberNamed(w.names[ref.start:ref.end], value)
}

// memberNamed writes a member given its raw name.
func (w *writer) memberNamed(name, value []byte) {
	f := &w.frames[len(w.frames)-1]
	if !f.open {
		w.materialize()
	}
	if !f.empty {
		w.buf = append(w.buf, ',')
	}
	f.empty = false
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, ':')
	w.buf = append(w.buf, value...)
	if len(w.buf) >= flushThreshold {
		w.flush()
	}
}

// element writes an array element (or the top-level value) that is
// complete raw JSON, or raw members of an object (names, values and the
// separators between them, as received).
func (w *writer) element(value []byte) {
	w.materialize()
	w.separate()
	w.buf = append(w.buf, value...)
	w.maybeFlush()
}

// separate writes the comma a new entry of the innermost container needs.
func (w *writer) separate() {
	if len(w.frames) == 0 {
		return
	}
	f := &w.frames[len(w.frames)-1]
	if !f.empty {
		w.buf = append(w.buf, ',')
	}
	f.empty = false
}

// materialize writes the pending openings of lazily opened containers.
func (w *writer) materialize() {
	n := len(w.frames)
	if n == 0 || w.frames[n-1].open {
		return
	}
	first := n - 1
	for first > 0 && !w.frames[first-1].open {
		first--
	}
	for i := first; i < n; i++ {
		f := &w.frames[i]
		if i > 0 {
			parent := &w.frames[i-1]
			if !parent.empty {
				w.buf = append(w.buf, ',')
			}
			parent.empty = false
		}
		if f.name.start >= 0 {
			w.buf = append(w.buf, w.names[f.name.start:f.name.end]...)
			w.buf = append(w.buf, ':')
		}
		if f.closer == '}' {
			w.buf = append(w.buf, '{')
		} else {
			w.buf = append(w.buf, '[')
		}
		f.open = true
	}
}

func (w *writer) maybeFlush() {
	if len(w.buf) >= flushThreshold {
		w.flush()
	}
}

// flush hands the buffered bytes to the destination.
// After a write error the output is dropped (the caller stops at its next
// check of w.err).
func (w *writer) flush() error {
	if w.err == nil && len(w.buf) > 0 {
		_, w.err = w.dst.Write(w.buf)
	}
	w.buf = w.buf[:0]
	return w.err
}
