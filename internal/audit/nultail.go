package audit

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
)

// A preallocated active file (prealloc.go) ends with a run of NUL bytes
// while it is open, and still does after a crash. No record contains a
// NUL byte (records are JSON, and JSON escapes control characters), so a
// NUL run at the very end of a file is unused space, not data. A NUL
// before the last other byte is something else (corruption, a hole) and
// stays an error everywhere.

// trimNULTail cuts a trailing run of NUL bytes off the file at path and
// makes that durable. A missing file is not an error.
func trimNULTail(path string, log *zap.Logger) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	end, err := endBeforeNULs(f, st.Size())
	if err != nil {
		return fmt.Errorf("audit: reading the end of %s: %w", path, err)
	}
	kept, err := endBeforeTornBatch(f, end)
	if err != nil {
		return fmt.Errorf("audit: reading the end of %s: %w", path, err)
	}
	if kept < end {
		log.Warn("the audit file's last batch was torn by a power loss (NUL bytes inside it); cutting it back to its last complete record (it was never acknowledged)",
			zap.String("file", path), zap.Int64("bytes", end-kept))
		end = kept
	}
	if end == st.Size() {
		return nil
	}
	log.Info("removing the unused preallocated space at the end of the audit file",
		zap.String("file", path), zap.Int64("bytes", st.Size()-end))
	if err := f.Truncate(end); err != nil {
		return fmt.Errorf("audit: trimming %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("audit: fsync of %s: %w", path, err)
	}
	return nil
}

// maxTornBatch bounds how far from the end a power loss can leave a gap:
// one group commit (FileLogOptions.MaxBatchBytes, 8 MiB by default) is
// written and fdatasync'ed before any of its records is acknowledged, so
// only the last, unacknowledged batch can be partly on disk, with zero
// blocks where its data did not reach the device.
const maxTornBatch = 8 << 20

// endBeforeTornBatch returns end, or, when a NUL byte lies within the last
// maxTornBatch bytes before end, the offset just after the last complete
// record (newline) before the first such NUL. A gap further back is not a
// torn batch: it is left for recovery and verify to report.
func endBeforeTornBatch(f io.ReaderAt, end int64) (int64, error) {
	off := max(end-maxTornBatch, 0)
	b := make([]byte, end-off)
	if _, err := f.ReadAt(b, off); err != nil && err != io.EOF {
		return 0, err
	}
	gap := bytes.IndexByte(b, 0)
	if gap < 0 {
		return end, nil
	}
	if nl := bytes.LastIndexByte(b[:gap], '\n'); nl >= 0 {
		return off + int64(nl) + 1, nil
	}
	if off == 0 {
		return 0, nil
	}
	return end, nil
}

// endBeforeNULs returns the offset just after the last byte of f (of
// size bytes) that is not NUL; 0 when every byte is NUL.
func endBeforeNULs(f io.ReaderAt, size int64) (int64, error) {
	const window = 1 << 20
	buf := make([]byte, min(size, window))
	for end := size; end > 0; {
		off := max(end-window, 0)
		b := buf[:end-off]
		if _, err := f.ReadAt(b, off); err != nil && err != io.EOF {
			return 0, err
		}
		if i := lastNonNUL(b); i >= 0 {
			return off + int64(i) + 1, nil
		}
		end = off
	}
	return 0, nil
}

// lastNonNUL is the index of the last byte of b that is not NUL, or -1.
func lastNonNUL(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0 {
			return i
		}
	}
	return -1
}

// isNULRun reports whether b is non-empty and holds only NUL bytes.
func isNULRun(b []byte) bool {
	return len(b) > 0 && lastNonNUL(b) < 0
}
