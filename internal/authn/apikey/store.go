package apikey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
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
	byID map[string]*Key
	keys []*Key
}

// FileStore keeps API keys in one JSON file. It is safe for concurrent
// use, and several processes (proxy replicas) may share the file.
type FileStore struct {
	path  string
	log   *zap.Logger
	now   func() time.Time
	cache *jsonfile.Cached[*snapshot]
	// write serialises this process's writers (the file lock serialises
	// the processes).
	write sync.Mutex
}

// OpenFileStore reads the store at path; a missing file is an empty store
// (it is created by the first key). A file that cannot be parsed is an
// error: the keys it holds must not silently disappear.
func OpenFileStore(path string, log *zap.Logger) (*FileStore, error) {
	s := &FileStore{path: path, log: log, now: time.Now}
	cache, err := jsonfile.NewCached(path, s.read, func() time.Time { return s.now() }, &snapshot{byID: map[string]*Key{}}, func(err error) {
		log.Error("API key store unreadable: no API key authenticates until it is repaired", zap.String("file", path), zap.Error(err))
	})
	if err != nil {
		return nil, err
	}
	s.cache = cache
	return s, nil
}

// Lookup returns the key with that id (a copy), re-reading the file first
// when another process may have changed it.
func (s *FileStore) Lookup(id string) (Key, bool) {
	s.cache.Refresh(refreshEvery)
	k, ok := s.cache.Load().byID[id]
	if !ok && s.cache.Refresh(missRefreshEvery) {
		k, ok = s.cache.Load().byID[id]
	}
	if !ok {
		return Key{}, false
	}
	return *k, true
}

// Find returns copies of the keys the filter selects, oldest first.
func (s *FileStore) Find(f Filter) []Key {
	s.cache.Refresh(0)
	var out []Key
	match := f.matcher()
	for _, k := range s.cache.Load().keys {
		if match(k) {
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
	match := f.matcher()
	err = s.update(func(keys []*Key) ([]*Key, error) {
		done, already = nil, nil
		out := make([]*Key, len(keys))
		for i, k := range keys {
			out[i] = k
			if !match(k) || !keep(k) {
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
	unlock, err := jsonfile.Lock(s.path)
	if err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	defer unlock()
	snap, _, err := s.read() // another replica may have written since our snapshot
	if err != nil {
		return err
	}
	keys, err := change(append([]*Key(nil), snap.keys...))
	if err != nil {
		return err
	}
	if err := jsonfile.Write(s.path, fileFormat{APIKeys: keys}); err != nil {
		return fmt.Errorf("apikey: %w", err)
	}
	snap, st, err := s.read()
	if err != nil {
		return err
	}
	s.cache.Store(snap, st)
	return nil
}

// read parses the file (strictly: unknown fields are errors).
func (s *FileStore) read() (*snapshot, jsonfile.Stamp, error) {
	var ff fileFormat
	st, _, err := jsonfile.Read(s.path, &ff)
	if err != nil {
		return nil, st, fmt.Errorf("apikey: %w", err)
	}
	snap := &snapshot{byID: map[string]*Key{}}
	for i, k := range ff.APIKeys {
		if k == nil || k.ID == "" || k.Hash == "" || k.Username == "" {
			return nil, st, fmt.Errorf("apikey: parsing %s: key %d lacks its id, hash or owner", s.path, i)
		}
		if _, dup := snap.byID[k.ID]; dup {
			return nil, st, fmt.Errorf("apikey: parsing %s: key id %s appears twice", s.path, k.ID)
		}
		snap.byID[k.ID] = k
	}
	snap.keys = ff.APIKeys
	return snap, st, nil
}

// ErrKeyNotFound is an update's answer for an id that names no key the
// caller may update (missing, or another user's).
var ErrKeyNotFound = errors.New("not found")

// UpdateResult is what Update did to each id.
type UpdateResult struct {
	Updated, Noops []string
	// Errors holds the ids that were not updated: ErrKeyNotFound, or why
	// the key cannot be updated (invalidated, expired).
	Errors map[string]error
}

// Update applies edit to each key of ids that mine selects, durably and
// under the store's lock, as Elasticsearch's update API does: a key
// mine does not select is not found; an invalidated or expired key is
// refused; a key edit leaves as it was is a noop.
func (s *FileStore) Update(ids []string, mine func(*Key) bool, edit func(*Key)) (UpdateResult, error) {
	now := s.now()
	var res UpdateResult
	err := s.update(func(keys []*Key) ([]*Key, error) {
		res = UpdateResult{Errors: map[string]error{}}
		out := append([]*Key(nil), keys...)
		at := make(map[string]int, len(out)) // ids can be many: no scan per id
		for i, k := range out {
			if _, dup := at[k.ID]; !dup {
				at[k.ID] = i
			}
		}
		for _, id := range ids {
			i, found := at[id]
			if !found {
				i = -1
			}
			switch {
			case i < 0 || !mine(out[i]):
				res.Errors[id] = ErrKeyNotFound
				continue
			case out[i].Invalidated:
				res.Errors[id] = fmt.Errorf("cannot update invalidated API key [%s]", id)
				continue
			case out[i].Expired(now):
				res.Errors[id] = fmt.Errorf("cannot update expired API key [%s]", id)
				continue
			}
			c := *out[i]
			edit(&c)
			before, err1 := json.Marshal(out[i])
			after, err2 := json.Marshal(&c)
			if err1 == nil && err2 == nil && bytes.Equal(before, after) {
				res.Noops = append(res.Noops, id)
				continue
			}
			out[i] = &c
			res.Updated = append(res.Updated, id)
		}
		return out, nil
	})
	return res, err
}
