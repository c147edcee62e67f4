package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// LoadCursor reads a shipper's persisted cursor; ok is false when there is
// none yet.
func LoadCursor(path string) (c Cursor, ok bool, err error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return Cursor{}, false, nil
	}
	if err != nil {
		return Cursor{}, false, fmt.Errorf("audit: reading cursor: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return Cursor{}, false, fmt.Errorf("audit: cursor %s: %w", path, err)
	}
	return c, true, nil
}

// SaveCursor persists a cursor atomically and durably: a temporary file,
// fsync, rename, fsync of the folder. A crash leaves the old or the new
// cursor, never a torn one.
func SaveCursor(path string, c Cursor) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("audit: encoding cursor: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("audit: saving cursor: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("audit: saving cursor %s: %w", path, err)
	}
	return nil
}
