package audit

import (
	"errors"
	"fmt"
	"syscall"
)

// A deleted file (its name removed, or its whole folder) still accepts
// writes and fsyncs through an open descriptor: the records land in an
// inode no name reaches and are lost when it is closed. Without a check,
// the log would acknowledge them as durable and the proxy would forward
// the requests they describe. linkCheckedFile makes the fsync of such a
// file fail, so those requests are refused (503) instead, and the writer's
// repair starts a new file at the path (replaceDeleted): the chain goes on
// from the last committed record and shows the gap. A renamed file keeps
// its records (the chain goes on in it under its new name) and is not an
// error.

// ErrFileDeleted is the fsync error of an active audit file that was
// deleted while it was open.
var ErrFileDeleted = errors.New("the active audit file was deleted while open: its records would be lost")

// linkCheckedFile is a File whose Sync fails once the file has no name
// left (link count 0).
type linkCheckedFile struct {
	File
}

// linkChecked wraps the files open opens in linkCheckedFile.
func linkChecked(open OpenFunc) OpenFunc {
	return func(path string) (File, error) {
		f, err := open(path)
		if err != nil {
			return nil, err
		}
		return linkCheckedFile{f}, nil
	}
}

// Sync makes the writes durable, then checks that the file still has a
// name: a record in a deleted file is not durable in any useful sense.
func (f linkCheckedFile) Sync() error {
	if err := f.File.Sync(); err != nil {
		return err
	}
	st, err := f.File.Stat()
	if err != nil {
		return fmt.Errorf("checking the audit file after fsync: %w", err)
	}
	if s, ok := st.Sys().(*syscall.Stat_t); ok && s.Nlink == 0 {
		return ErrFileDeleted
	}
	return nil
}

// Finish trims a preallocated file before rotation (finisher); other
// files have nothing to trim.
func (f linkCheckedFile) Finish() error {
	if fin, ok := f.File.(finisher); ok {
		return fin.Finish()
	}
	return nil
}
