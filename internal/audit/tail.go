package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// Cursor is a position in the audit log: a byte offset in the file whose
// first record has chain.seq FileSeq. Files are named by that seq once
// rotated, so a cursor survives rotation, compression and restarts.
type Cursor struct {
	// FileSeq identifies the file; 0 means "the oldest file available".
	FileSeq uint64 `json:"file_seq"`
	// Offset is just after the last consumed line, in the uncompressed
	// content.
	Offset int64 `json:"offset"`
	// Seq is the chain.seq of the last consumed record.
	Seq uint64 `json:"seq"`
}

// committedSource tells a tailer how far the active file is durable; a
// FileLog is one. Without it, the tailer reads complete lines up to EOF.
type committedSource interface {
	Watermark() Watermark
	Changed() <-chan struct{}
}

// tailLine is one record read by a tailer and the cursor just after it.
type tailLine struct {
	data []byte // the line without its newline
	seq  uint64
	next Cursor
}

// tailer reads committed records in chain order, from a cursor, across
// rotated (and compressed) files into the active one.
type tailer struct {
	path, dir, stem, ext string
	src                  committedSource
	cur                  Cursor
	onGap                func(from, to uint64) // records from..to-1 are gone

	f      *os.File
	gz     *bufio.Reader // set for compressed files
	active bool          // f was opened through the active path
	buf    []byte        // bytes read past the cursor; buf[r:] not yet returned
	r      int
}

func newTailer(path string, src committedSource, cur Cursor) *tailer {
	t := &tailer{path: path, src: src, cur: cur}
	t.dir, t.stem, t.ext = splitLogPath(path)
	return t
}

func (t *tailer) close() {
	if t.f != nil {
		_ = t.f.Close()
	}
	t.f, t.gz = nil, nil
	t.buf, t.r = t.buf[:0], 0
}

// read returns up to max committed records (and at most about maxBytes),
// without waiting. It returns nothing when it has caught up.
func (t *tailer) read(max, maxBytes int) ([]tailLine, error) {
	var out []tailLine
	size := 0
	for len(out) < max && size < maxBytes {
		if t.f == nil {
			ok, err := t.open()
			if err != nil || !ok {
				return out, err
			}
		}
		line, err := t.nextLine()
		if err != nil {
			return out, err
		}
		if line == nil {
			// End of what is readable in this file: move on if it is complete.
			done, more, err := t.fileComplete()
			if more {
				continue
			}
			if err != nil || !done {
				return out, err
			}
			t.close()
			t.cur = Cursor{FileSeq: t.cur.Seq + 1, Offset: 0, Seq: t.cur.Seq}
			continue
		}
		t.cur.Offset += int64(len(line)) + 1
		data := append([]byte(nil), line...)
		if rec, err := parseSealed(data); err == nil {
			t.cur.Seq = rec.seq
		}
		out = append(out, tailLine{data: data, seq: t.cur.Seq, next: t.cur})
		size += len(data)
	}
	return out, nil
}

// nextLine returns the next complete committed line, or nil at the
// readable end of the file. The line is valid until the next call.
func (t *tailer) nextLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(t.buf[t.r:], '\n'); i >= 0 {
			line := t.buf[t.r : t.r+i]
			t.r += i + 1
			return line, nil
		}
		n, err := t.fill()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, nil
		}
	}
}

// pending is the number of bytes read but not yet returned as lines.
func (t *tailer) pending() int { return len(t.buf) - t.r }

// fill reads more bytes after those buffered; for the active file only up
// to the committed size, so a batch that fails and is truncated away is
// never shipped.
func (t *tailer) fill() (int, error) {
	// Make room: drop consumed bytes, keep at least 64 KiB free.
	if t.r > 0 {
		n := copy(t.buf, t.buf[t.r:])
		t.buf, t.r = t.buf[:n], 0
	}
	if cap(t.buf)-len(t.buf) < 64<<10 {
		nb := make([]byte, len(t.buf), 2*cap(t.buf)+256<<10)
		copy(nb, t.buf)
		t.buf = nb
	}
	chunk := t.buf[len(t.buf):cap(t.buf)]
	var n int
	var err error
	if t.gz != nil {
		n, err = t.gz.Read(chunk)
	} else {
		pos := t.cur.Offset + int64(t.pending())
		limit, limited := t.limit()
		if limited {
			if pos >= limit {
				return 0, nil
			}
			if int64(len(chunk)) > limit-pos {
				chunk = chunk[:limit-pos]
			}
		}
		n, err = t.f.ReadAt(chunk, pos)
		if t.active && !limited {
			n = beforeNUL(chunk[:n])
		}
	}
	if err == io.EOF {
		err = nil
	}
	t.buf = t.buf[:len(t.buf)+n]
	return n, err
}

// beforeNUL is how many bytes of b come before its first NUL. Read from
// the active file beyond what a watermark vouches for, the bytes stop at
// the first NUL: the file's preallocated space, which the writer will
// overwrite with records (a read racing a write may see zeros there first).
func beforeNUL(b []byte) int {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return i
	}
	return len(b)
}

// limit is how far the open file may be read, when it is the active file
// of a FileLog: its committed size, or nothing while its first batch is not
// committed. A rotated file is complete (no limit).
func (t *tailer) limit() (int64, bool) {
	if !t.active || t.src == nil {
		return 0, false
	}
	wm := t.src.Watermark()
	switch {
	case wm.FileSeq == t.cur.FileSeq:
		return wm.Size, true
	case wm.Seq < t.cur.FileSeq:
		return 0, true
	}
	return 0, false
}

// fileComplete is called at the readable end of the open file. It reports
// whether the file is finished (rotated away and read to its end), or
// whether more bytes were just read.
func (t *tailer) fileComplete() (complete, more bool, err error) {
	if t.active {
		rotated := false
		if t.src != nil {
			wm := t.src.Watermark()
			rotated = wm.FileSeq != t.cur.FileSeq && wm.Seq >= t.cur.FileSeq
		} else {
			seq, err := firstSeqOfPath(t.path)
			if err != nil {
				return false, false, err
			}
			rotated = seq != t.cur.FileSeq
		}
		if !rotated {
			return false, false, nil
		}
		// The renamed file is complete: read what is left of it.
		t.active = false
	}
	n, err := t.fill()
	if err != nil || n > 0 {
		return false, n > 0, err
	}
	if t.pending() > 0 {
		return false, false, fmt.Errorf("audit: %s: incomplete last record", t.f.Name())
	}
	return true, false, nil
}

// open opens the file holding the cursor. It returns false when that file
// does not exist yet (the next record is not written).
func (t *tailer) open() (bool, error) {
	for attempt := 0; attempt < 2; attempt++ {
		rotated, err := listRotated(t.dir, t.stem, t.ext)
		if err != nil {
			return false, err
		}
		f, err := os.Open(t.path)
		if err != nil && !os.IsNotExist(err) {
			return false, fmt.Errorf("audit: %w", err)
		}
		var activeSeq uint64
		if f != nil {
			if activeSeq, err = firstSeq(f); err != nil {
				f.Close()
				return false, err
			}
		}
		want := t.cur.FileSeq
		if want == 0 && len(rotated) > 0 {
			want = rotated[0].seq
		} else if want == 0 {
			want = activeSeq
		}
		if want != 0 && activeSeq == want {
			t.f, t.active = f, true
			t.setFile(want)
			return true, nil
		}
		if f != nil {
			f.Close()
		}
		for _, rf := range rotated {
			if rf.seq == want {
				t.setFile(want)
				return true, t.openRotated(rf)
			}
		}
		if attempt == 0 {
			continue // a rotation may have happened between the two looks
		}
		// Not there: gone (retention) if a later file exists, else not yet written.
		next := uint64(0)
		for _, rf := range rotated {
			if rf.seq > want {
				next = rf.seq
				break
			}
		}
		if next == 0 && activeSeq > want {
			next = activeSeq
		}
		if next == 0 {
			return false, nil
		}
		if t.onGap != nil {
			t.onGap(want, next)
		}
		t.cur = Cursor{FileSeq: next, Seq: next - 1}
		attempt = -1 // look again for the new cursor
	}
	return false, nil
}

// setFile points the cursor at a file it did not name yet (a fresh start).
func (t *tailer) setFile(seq uint64) {
	if t.cur.FileSeq != seq {
		t.cur = Cursor{FileSeq: seq, Seq: seq - 1}
	}
}

func (t *tailer) openRotated(rf rotatedFile) error {
	f, err := os.Open(rf.path)
	if errors.Is(err, os.ErrNotExist) && !rf.gz {
		// Compressed meanwhile.
		rf.path, rf.gz = rf.path+".gz", true
		f, err = os.Open(rf.path)
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	t.f, t.active = f, false
	if !rf.gz {
		return nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.close()
		return fmt.Errorf("audit: %s: %w", rf.path, err)
	}
	t.gz = bufio.NewReaderSize(zr, 256<<10)
	if _, err := io.CopyN(io.Discard, t.gz, t.cur.Offset); err != nil {
		t.close()
		return fmt.Errorf("audit: %s: seeking to the cursor: %w", rf.path, err)
	}
	return nil
}

// firstSeq reads the chain.seq of f's first record; 0 when f has no
// complete record.
func firstSeq(f *os.File) (uint64, error) {
	br := bufio.NewReader(io.NewSectionReader(f, 0, 1<<62))
	line, err := br.ReadSlice('\n')
	if err == io.EOF || (len(line) > 0 && line[0] == 0) {
		return 0, nil // empty, or nothing but preallocated space yet
	}
	if errors.Is(err, bufio.ErrBufferFull) {
		line, err = readLongLine(br, line)
	}
	if err == io.EOF {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit: %s: %w", f.Name(), err)
	}
	rec, err := parseSealed(line[:len(line)-1])
	if err != nil {
		return 0, fmt.Errorf("audit: %s: line 1: %w", f.Name(), err)
	}
	return rec.seq, nil
}

func readLongLine(br *bufio.Reader, head []byte) ([]byte, error) {
	line := append([]byte(nil), head...)
	rest, err := br.ReadBytes('\n')
	if err == io.EOF {
		return nil, io.EOF
	}
	return append(line, rest...), err
}

func firstSeqOfPath(path string) (uint64, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	return firstSeq(f)
}
