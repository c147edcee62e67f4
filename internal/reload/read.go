package reload

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// ErrNotRegular is ReadFile's error for a path that is not a regular file
// (a named pipe, a device, a directory).
var ErrNotRegular = errors.New("not a regular file")

// ReadFile reads a security file the way the reloads must: symlinks
// followed, and only a regular file. os.ReadFile blocks for ever opening a
// named pipe nobody writes to (and reads a device such as /dev/zero
// without end): a reload stuck there holds its lock, and no later poll or
// SIGHUP would apply any change, revocations included. The file is opened
// without blocking and refused unless it is regular; the callers treat the
// error as an unreadable file and fail closed. A missing file's error
// wraps fs.ErrNotExist, as os.ReadFile's does.
func ReadFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", path, ErrNotRegular)
	}
	return io.ReadAll(f)
}
