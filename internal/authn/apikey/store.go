package apikey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// How often a lookup checks the file for changes made by other replicas:
// at most every refreshEvery, or every missRefreshEvery when the id asked
// for is unknown (a key just created elsewhere).
const (
	refreshEvery     = time.Second
	missRefreshEvery = 50 * time.Millisecond
)

// fileFormat is the store file's content.
type fileFormat struct {
	APIKeys []*Key `json:"api_keys"`
}

// snapshot is one reading of the file. It is never modified once published.
type snapshot struct {
	byID  map[string]*Key
	keys  []*Key
	stamp fileStamp
}

// fileStamp tells whether the file changed since it was read.
type fileStamp struct {
	ino   uint64
	size  int64
	mtime time.Time
}

// FileStore keeps API keys in one JSON file. It is safe for concurrent
// use, and several processes (proxy replicas) may share the file.
type FileStore struct {
	path string
	log  *zap.Logger
	now  func() time.Time

	current atomic.Pointer[snapshot]
	// refresh serialises re-reading the file; lastCheck is when it was
	// last compared with the snapshot (unix nanoseconds).
	refresh   sync.Mutex
	lastCheck atomic.Int64
	// write serialises this process's writers (the file lock serialises
	// the processes).
	write sync.Mutex
}

// OpenFileStore reads the store at path; a missing file is an empty store
// (it is created by the first key). A file that cannot be parsed is an
// error: the keys it holds must not silently disappear.
func OpenFileStore(path string, log *zap.Logger) (*FileStore, error) {
	s := &FileStore{path: path, log: log, now: time.Now}
	snap, err := s.read()
	if err != nil {
		return nil, err
	}
	s.current.Store(snap)
	s.lastCheck.Store(s.now().UnixNano())
	return s, nil
}

// Path is the store's file.
func (s *FileStore) Path() string { return s.path }

// Lookup returns the key with that id (a copy), re-reading the file first
// when another process may have changed it.
func (s *FileStore) Lookup(id string) (Key, bool) {
	s.maybeRefresh(refreshEvery)
	k, ok := s.current.Load().byID[id]
	if !ok && s.maybeRefresh(missRefreshEvery) {
		k, ok = s.current.Load().byID[id]
	}
	if !ok {
		return Key{}, false
	}
	return *k, true
}

// Find returns copies of the keys the filter selects, oldest first.
func (s *FileStore) Find(f Filter) []Key {
	s.maybeRefresh(0)
	var out []Key
	for _, k := range s.current.Load().keys {
		if f.Matches(k) {
			out = append(out, *k)
		}
	}
	return out
}

// Create adds k to the store durably.
func (s *FileStore) Create(k Key) error {
	return s.update(func(keys []*Key) ([]*Key, error) {
		for _, old := range keys {
			if old.ID == k.ID {
				return nil, fmt.Errorf("apikey: id %s exists", k.ID)
			}
		}
		return append(keys, &k), nil
	})
}

// Invalidate marks the keys the filter selects (and that keep returns
// true for) invalidated, durably. It returns the ids it invalidated and
// those that already were.
func (s *FileStore) Invalidate(f Filter, keep func(*Key) bool) (done, already []string, err error) {
	now := s.now().UnixMilli()
	err = s.update(func(keys []*Key) ([]*Key, error) {
		done, already = nil, nil
		out := make([]*Key, len(keys))
		for i, k := range keys {
			out[i] = k
			if !f.Matches(k) || !keep(k) {
				continue
			}
			if k.Invalidated {
				already = append(already, k.ID)
				continue
			}
			c := *k
			c.Invalidated, c.Invalidation = true, now
			out[i] = &c
			done = append(done, k.ID)
		}
		return out, nil
	})
	return done, already, err
}

// update applies change to the file's current keys under the lock and
// replaces the file atomically.
func (s *FileStore) update(change func([]*Key) ([]*Key, error)) error {
	s.write.Lock()
	defer s.write.Unlock()
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	snap, err := s.read() // another replica may have written since our snapshot
	if err != nil {
		return err
	}
	keys, err := change(append([]*Key(nil), snap.keys...))
	if err != nil {
		return err
	}
	if err := s.writeFile(keys); err != nil {
		return err
	}
	snap, err = s.read()
	if err != nil {
		return err
	}
	s.current.Store(snap)
	return nil
}

// lock takes the exclusive lock shared by every process using the file.
func (s *FileStore) lock() (func(), error) {
	f, err := os.OpenFile(s.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("apikey: opening the lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("apikey: locking %s: %w", s.path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

// writeFile replaces the file with keys: a temporary file, fsync'ed, then
// renamed over it, then the directory fsync'ed, so that a crash leaves the
// old or the new file, never a torn one.
func (s *FileStore) writeFile(keys []*Key) error {
	data, err := json.MarshalIndent(fileFormat{APIKeys: keys}, "", "  ")
	if err != nil {
		return fmt.Errorf("apikey: encoding the store: %w", err)
	}
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("apikey: writing the store: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("apikey: writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("apikey: syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("apikey: closing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("apikey: replacing %s: %w", s.path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("apikey: syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("apikey: syncing %s: %w", dir, err)
	}
	return nil
}

// maybeRefresh re-reads the file when it changed and the last check is
// older than every; it reports whether it checked.
func (s *FileStore) maybeRefresh(every time.Duration) bool {
	now := s.now().UnixNano()
	if now-s.lastCheck.Load() < int64(every) {
		return false
	}
	s.refresh.Lock()
	defer s.refresh.Unlock()
	if now-s.lastCheck.Load() < int64(every) { // another goroutine just did
		return false
	}
	s.lastCheck.Store(now)
	st, err := statOf(s.path)
	if err == nil && st == s.current.Load().stamp {
		return true
	}
	snap, err := s.read()
	if err != nil {
		s.log.Error("API key store unreadable; keeping the keys last read", zap.String("file", s.path), zap.Error(err))
		return true
	}
	s.current.Store(snap)
	return true
}

// read parses the file (strictly: unknown fields are errors).
func (s *FileStore) read() (*snapshot, error) {
	snap := &snapshot{byID: map[string]*Key{}}
	st, err := statOf(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return snap, nil
	}
	if err != nil {
		return nil, fmt.Errorf("apikey: %w", err)
	}
	data, err := os.ReadFile(s.path)
	if err != nil {
		return nil, fmt.Errorf("apikey: %w", err)
	}
	var ff fileFormat
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ff); err != nil {
		return nil, fmt.Errorf("apikey: parsing %s: %w", s.path, err)
	}
	for i, k := range ff.APIKeys {
		if k == nil || k.ID == "" || k.Hash == "" || k.Username == "" {
			return nil, fmt.Errorf("apikey: parsing %s: key %d lacks its id, hash or owner", s.path, i)
		}
		if _, dup := snap.byID[k.ID]; dup {
			return nil, fmt.Errorf("apikey: parsing %s: key id %s appears twice", s.path, k.ID)
		}
		snap.byID[k.ID] = k
	}
	snap.keys, snap.stamp = ff.APIKeys, st
	return snap, nil
}

func statOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	st := fileStamp{size: fi.Size(), mtime: fi.ModTime()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = sys.Ino
	}
	return st, nil
}
