package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// defaultBulkSpoolThreshold is the size above which a _bulk body leaves
// memory for a spool file when SpoolOptions does not say.
const defaultBulkSpoolThreshold = 4 << 20

// SpoolOptions says where and from which size large _bulk bodies are kept
// on disk while they are parsed, authorized and forwarded.
type SpoolOptions struct {
	// ThresholdBytes: bodies up to this size stay in memory (0: 4 MB).
	ThresholdBytes int64
	// Dir holds the spool files ("": os.TempDir()).
	Dir string
}

func (o SpoolOptions) threshold() int64 {
	if o.ThresholdBytes <= 0 {
		return defaultBulkSpoolThreshold
	}
	return o.ThresholdBytes
}

// errSpoolWrite marks a failure to write the spool (a full disk, an
// unwritable directory): the request is answered 503, nothing forwarded.
var errSpoolWrite = errors.New("cannot spool the request body")

// spool is an append-only byte store that stays in memory up to a
// threshold and then moves to an unlinked temporary file (mode 0600, so
// only the proxy's user could read it, and gone with the process). Once
// written, it is read with ReadAt, concurrently if need be.
type spool struct {
	opts SpoolOptions
	mem  []byte
	f    *os.File
	w    *bufio.Writer
	size int64
}

func newSpool(opts SpoolOptions) *spool { return &spool{opts: opts} }

// Write appends p. Errors wrap errSpoolWrite.
func (s *spool) Write(p []byte) (int, error) {
	if s.f == nil && int64(len(s.mem)+len(p)) > s.opts.threshold() {
		if err := s.toFile(); err != nil {
			return 0, err
		}
	}
	if s.f == nil {
		s.mem = append(s.mem, p...)
		s.size += int64(len(p))
		return len(p), nil
	}
	n, err := s.w.Write(p)
	s.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("%w: %w", errSpoolWrite, err)
	}
	return n, nil
}

// toFile moves what is in memory to a new unlinked file.
func (s *spool) toFile() error {
	f, err := os.CreateTemp(s.opts.Dir, "portcullis-bulk-*")
	if err != nil {
		return fmt.Errorf("%w: %w", errSpoolWrite, err)
	}
	// Unlink at once: the data lives only as long as the descriptor, and
	// no other process can open it by name.
	if err := os.Remove(f.Name()); err != nil {
		_ = f.Close()
		return fmt.Errorf("%w: unlinking %s: %w", errSpoolWrite, f.Name(), err)
	}
	s.f, s.w = f, bufio.NewWriterSize(f, 256<<10)
	if _, err := s.w.Write(s.mem); err != nil {
		return fmt.Errorf("%w: %w", errSpoolWrite, err)
	}
	s.mem = nil
	return nil
}

// finish flushes the buffered writes: call it before reading.
func (s *spool) finish() error {
	if s.w == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("%w: %w", errSpoolWrite, err)
	}
	return nil
}

// Size is the number of bytes written.
func (s *spool) Size() int64 { return s.size }

// onDisk reports whether the spool moved to a file.
func (s *spool) onDisk() bool { return s.f != nil }

// ReadAt reads written bytes (after finish).
func (s *spool) ReadAt(p []byte, off int64) (int, error) {
	if s.f != nil {
		return s.f.ReadAt(p, off)
	}
	if off >= int64(len(s.mem)) {
		return 0, io.EOF
	}
	n := copy(p, s.mem[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Close releases the file (and with it the data on disk). It changes no
// field: the HTTP transport may still be reading the forwarded body in its
// own goroutine when the handler returns, and then gets a read error.
func (s *spool) Close() error {
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}
