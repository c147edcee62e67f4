package audit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
)

// recovered is where the chain stands when a FileLog opens.
type recovered struct {
	head      chainHead
	size      int64     // committed size of the active file
	fileSeq   uint64    // chain.seq of the active file's first record (0: empty)
	fileStart time.Time // timestamp of that record (for age rotation)
}

// recoverState reads the end of the active file to continue its chain,
// after trimming a trailing NUL run (unused preallocated space). A last
// line without its newline is a write that a crash interrupted: its
// Append never returned, so it is cut off. When the active file is missing
// or empty (a crash between rotation steps, or a fresh start after
// rotation) the chain continues from the newest rotated file.
func recoverState(path, dir, stem, ext string, log *zap.Logger) (recovered, error) {
	var r recovered
	// A preallocated file still has its unused zeros after a crash.
	if err := trimNULTail(path, log); err != nil {
		return r, err
	}
	st, err := os.Stat(path)
	switch {
	case err == nil && st.Size() > 0:
		r, ok, err := recoverActive(path, st, log)
		if err != nil || ok {
			return r, err
		}
	case err != nil && !os.IsNotExist(err):
		return r, fmt.Errorf("audit: %w", err)
	}
	r.head = genesis()
	files, err := listRotated(dir, stem, ext)
	if err != nil {
		return r, err
	}
	if len(files) == 0 {
		return r, nil
	}
	last := files[len(files)-1]
	line, err := lastLineOfFile(last)
	if err != nil {
		return r, fmt.Errorf("audit: reading the last record of %s: %w", last.path, err)
	}
	rec, err := parseSealed(line)
	if err != nil {
		return r, fmt.Errorf("audit: cannot continue the chain from %s: its last record: %w (check it with `proxy audit verify`)", last.path, err)
	}
	r.head = chainHead{seq: rec.seq, hash: rec.hash}
	return r, nil
}

// recoverActive handles a non-empty active file; ok is false when it held
// nothing but a torn line (now removed).
func recoverActive(path string, st os.FileInfo, log *zap.Logger) (recovered, bool, error) {
	var r recovered
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return r, false, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	line, end, err := lastLine(f, st.Size())
	if err != nil {
		return r, false, fmt.Errorf("audit: reading the end of %s: %w", path, err)
	}
	if end < st.Size() {
		log.Warn("audit file ends with an incomplete record (interrupted write, never acknowledged); removing it",
			zap.String("file", path), zap.Int64("bytes", st.Size()-end))
		if err := f.Truncate(end); err != nil {
			return r, false, fmt.Errorf("audit: truncating the incomplete record of %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			return r, false, fmt.Errorf("audit: %w", err)
		}
	}
	if end == 0 {
		return r, false, nil
	}
	rec, err := parseSealed(line)
	if err != nil {
		return r, false, fmt.Errorf("audit: cannot continue the chain of %s: its last record: %w (check it with `proxy audit verify` and move the file aside)", path, err)
	}
	r.head = chainHead{seq: rec.seq, hash: rec.hash}
	r.size = end
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return r, false, fmt.Errorf("audit: %w", err)
	}
	first, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil {
		return r, false, fmt.Errorf("audit: reading the first record of %s: %w", path, err)
	}
	first = bytes.TrimSuffix(first, []byte("\n"))
	frec, err := parseSealed(first)
	if err != nil {
		return r, false, fmt.Errorf("audit: %s: line 1: %w", path, err)
	}
	r.fileSeq = frec.seq
	r.fileStart = recordTime(first)
	if r.fileStart.IsZero() {
		r.fileStart = st.ModTime()
	}
	return r, true, nil
}

// lastLine returns the last complete line of f (without its newline) and
// the offset just after it. Bytes after that offset are an incomplete line.
func lastLine(f io.ReaderAt, size int64) (line []byte, end int64, err error) {
	window := int64(64 << 10)
	for {
		off := max(size-window, 0)
		buf := make([]byte, size-off)
		if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
			return nil, 0, err
		}
		nl := bytes.LastIndexByte(buf, '\n')
		if nl < 0 {
			if off == 0 {
				return nil, 0, nil
			}
			window *= 2
			continue
		}
		prev := bytes.LastIndexByte(buf[:nl], '\n')
		if prev < 0 && off > 0 {
			window *= 2
			continue
		}
		return buf[prev+1 : nl], off + int64(nl) + 1, nil
	}
}

// lastLineOfFile reads a rotated file to its end and returns its last line.
func lastLineOfFile(rf rotatedFile) ([]byte, error) {
	f, err := os.Open(rf.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if !rf.gz {
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		line, end, err := lastLine(f, st.Size())
		if err == nil && end != st.Size() {
			err = errors.New("incomplete last record")
		}
		return line, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(zr, 64<<10)
	var last []byte
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			if len(line) > 0 {
				return nil, errors.New("incomplete last record")
			}
			return bytes.TrimSuffix(last, []byte("\n")), nil
		}
		if err != nil {
			return nil, err
		}
		last = line
	}
}

// recordTime reads the timestamp of a record line; zero if absent.
func recordTime(line []byte) time.Time {
	const prefix = `{"type":"audit","timestamp":"`
	if !bytes.HasPrefix(line, []byte(prefix)) {
		return time.Time{}
	}
	rest := line[len(prefix):]
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return time.Time{}
	}
	t, err := ParseTimestamp(string(rest[:i]))
	if err != nil {
		return time.Time{}
	}
	return t
}
