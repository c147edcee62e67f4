package audit

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// Preallocation. Appending to a file changes its size, so every fdatasync
// of an append is also a journal commit (ext4: ~0.4–0.6 ms per commit on
// the reference VM). Overwriting blocks that are already allocated and
// written, inside the file's size, needs only the data blocks (~0.2 ms).
// The preallocated file therefore extends itself ahead of the writes by a
// chunk of real zero bytes (not fallocate: unwritten extents need a
// journal commit on their first write too), fsyncs that extension once,
// and then overwrites the zeros record by record.
//
// The price: while the file is open (and after a crash) it ends with a run
// of NUL bytes. Readers stop at the first NUL (tail.go, verify.go), the
// startup trims a NUL tail before recovering (trimNULTail), and rotation
// and Close cut the file back to its logical end (Finish), so closed and
// rotated files are byte for byte what an appending writer leaves.

// MinPreallocateBytes is the smallest chunk worth preallocating.
const MinPreallocateBytes = 64 << 10

// retryChunkAfter is how long a file whose chunked extension failed (a
// full disk, a file size limit) extends only by what each write needs,
// exactly as an appending writer would.
const retryChunkAfter = time.Minute

// zeroBlock is the size of the zero buffer extensions are written from.
const zeroBlock = 64 << 10

// OpenPreallocated returns an OpenFunc whose files extend themselves by
// chunk bytes of zeros ahead of the writes; chunk <= 0 returns OpenAppend.
func OpenPreallocated(chunk int64) OpenFunc {
	if chunk <= 0 {
		return OpenAppend
	}
	return func(path string) (File, error) {
		return openPreallocated(path, chunk, nil)
	}
}

// preallocFile is a File that writes at its logical end inside a region
// it has extended with zeros beforehand. It is used by one goroutine (the
// FileLog writer) and is not safe for concurrent use.
type preallocFile struct {
	f     *os.File
	raw   syscall.RawConn // f's descriptor, for fdatasync
	chunk int64
	// end is the logical end: [0, end) holds what was written.
	end int64
	// alloc is the physical size: [end, alloc) holds zeros.
	alloc int64
	// exactUntil: until then, extensions are not attempted (see
	// retryChunkAfter).
	exactUntil time.Time
	zeros      []byte
	// extend writes and syncs n zero bytes at off; tests inject failures.
	extend func(off, n int64) error
	now    func() time.Time
}

// openPreallocated opens path for writing at its current end. extend, when
// not nil, replaces the real extension (tests).
func openPreallocated(path string, chunk int64, extend func(off, n int64) error) (*preallocFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	raw, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	pf := &preallocFile{f: f, raw: raw, chunk: chunk, end: st.Size(), alloc: st.Size(), now: time.Now}
	pf.extend = extend
	if pf.extend == nil {
		pf.extend = pf.writeZeros
	}
	return pf, nil
}

// Write writes p at the logical end, extending the file first when p
// would pass its allocated end.
func (pf *preallocFile) Write(p []byte) (int, error) {
	if need := pf.end + int64(len(p)); need > pf.alloc {
		pf.grow(need)
	}
	n, err := pf.f.WriteAt(p, pf.end)
	pf.end += int64(n)
	pf.alloc = max(pf.alloc, pf.end)
	return n, err
}

// grow extends the file to cover need, by whole chunks. On failure it
// removes what the extension wrote and leaves the write to extend the file
// by exactly its own bytes, as an append would: near a full disk the
// behaviour is the appending writer's.
func (pf *preallocFile) grow(need int64) {
	if pf.now().Before(pf.exactUntil) {
		return
	}
	target := pf.alloc + pf.chunk
	for target < need {
		target += pf.chunk
	}
	if err := pf.extend(pf.alloc, target-pf.alloc); err != nil {
		pf.exactUntil = pf.now().Add(retryChunkAfter)
		// Give the space back for the records; if this fails too the
		// zeros stay beyond the logical end, which Finish and the
		// startup trim remove.
		_ = pf.f.Truncate(pf.alloc)
		return
	}
	pf.alloc = target
}

// writeZeros is the real extension: zeros written at off, then fdatasync
// (the size change is metadata fdatasync makes durable).
func (pf *preallocFile) writeZeros(off, n int64) error {
	if pf.zeros == nil {
		pf.zeros = make([]byte, zeroBlock)
	}
	for n > 0 {
		b := pf.zeros[:min(n, int64(len(pf.zeros)))]
		w, err := pf.f.WriteAt(b, off)
		if err != nil {
			return fmt.Errorf("preallocating: %w", err)
		}
		off, n = off+int64(w), n-int64(w)
	}
	return pf.Sync()
}

// Sync makes the written bytes durable. Inside the allocated region only
// the data blocks change, so fdatasync is enough; it also carries a size
// change when a write extended the file.
func (pf *preallocFile) Sync() error {
	var serr error
	err := pf.raw.Control(func(fd uintptr) {
		for {
			if serr = syscall.Fdatasync(int(fd)); serr != syscall.EINTR {
				return
			}
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return &os.PathError{Op: "fdatasync", Path: pf.f.Name(), Err: err}
	}
	return nil
}

// Truncate cuts the file to size (what follows is removed, not kept as
// preallocated space: a failed write's bytes must not survive beyond the
// logical end, where a crash recovery would find them).
func (pf *preallocFile) Truncate(size int64) error {
	if err := pf.f.Truncate(size); err != nil {
		return err
	}
	pf.end, pf.alloc = size, size
	return nil
}

// Stat describes the file with its logical size.
func (pf *preallocFile) Stat() (fs.FileInfo, error) {
	st, err := pf.f.Stat()
	if err != nil {
		return nil, err
	}
	return logicalInfo{FileInfo: st, size: pf.end}, nil
}

// Finish cuts the preallocated zeros off and makes that durable, leaving
// the file as an appending writer would have: rotation calls it before
// renaming the file, whose compression may start at once.
func (pf *preallocFile) Finish() error {
	// The physical size, not alloc: a failed extension may have left zeros
	// that could not be removed then.
	st, err := pf.f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == pf.end {
		return nil
	}
	if err := pf.f.Truncate(pf.end); err != nil {
		return err
	}
	pf.alloc = pf.end
	return pf.f.Sync()
}

// Close finishes and closes the file.
func (pf *preallocFile) Close() error {
	err := pf.Finish()
	if cerr := pf.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// logicalInfo is a FileInfo whose size is the logical end.
type logicalInfo struct {
	fs.FileInfo
	size int64
}

// Size implements fs.FileInfo.
func (i logicalInfo) Size() int64 { return i.size }
