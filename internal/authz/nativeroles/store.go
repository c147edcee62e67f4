// Package nativeroles keeps the roles created through the role API (PUT
// /_security/role/{name}), which Elasticsearch calls native roles and
// keeps in its security index. The cluster behind the proxy has none, so
// the proxy keeps them in one JSON file, shareable by replicas
// (internal/jsonfile). A role of roles.yml with the same name wins, as in
// Elasticsearch.
package nativeroles

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/jsonfile"
)

// refreshEvery is how often a read checks the file for other replicas'
// changes.
const refreshEvery = time.Second

// roles is one reading of the file: role name to descriptor (JSON). It is
// never modified once published.
type roles map[string]json.RawMessage

type fileFormat struct {
	Roles roles `json:"roles"`
}

// FileStore is the native roles in one JSON file. It is safe for
// concurrent use.
type FileStore struct {
	path  string
	cache *jsonfile.Cached[roles]
	write sync.Mutex
}

// Open reads the store at path (missing: empty; unparsable: an error).
func Open(path string, log *zap.Logger) (*FileStore, error) {
	s := &FileStore{path: path}
	cache, err := jsonfile.NewCached(path, s.read, time.Now, func(err error) {
		log.Error("native roles unreadable; keeping those last read", zap.String("file", path), zap.Error(err))
	})
	if err != nil {
		return nil, err
	}
	s.cache = cache
	return s, nil
}

// Descriptors returns every native role as one JSON object of name to
// descriptor (the shape of roles.yml, which authz parses), re-reading the
// file when another replica changed it.
func (s *FileStore) Descriptors() []byte {
	s.cache.Refresh(refreshEvery)
	out, err := json.Marshal(s.cache.Load())
	if err != nil { // the values were valid JSON when read
		return []byte("{}")
	}
	return out
}

// Get returns the named roles' descriptors (every role when names is
// empty).
func (s *FileStore) Get(names []string) map[string]json.RawMessage {
	s.cache.Refresh(refreshEvery)
	out := map[string]json.RawMessage{}
	for name, d := range s.cache.Load() {
		if len(names) == 0 || slices.Contains(names, name) {
			out[name] = d
		}
	}
	return out
}

// Put stores a role's descriptor durably; created is false when it
// replaced one.
func (s *FileStore) Put(name string, descriptor json.RawMessage) (created bool, err error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, descriptor); err != nil {
		return false, fmt.Errorf("nativeroles: role %s: %w", name, err)
	}
	err = s.update(func(r roles) {
		_, existed := r[name]
		created = !existed
		r[name] = json.RawMessage(compact.Bytes())
	})
	return created, err
}

// Delete removes a role durably and reports whether it existed.
func (s *FileStore) Delete(name string) (found bool, err error) {
	err = s.update(func(r roles) {
		_, found = r[name]
		delete(r, name)
	})
	return found, err
}

func (s *FileStore) update(change func(roles)) error {
	s.write.Lock()
	defer s.write.Unlock()
	unlock, err := jsonfile.Lock(s.path)
	if err != nil {
		return fmt.Errorf("nativeroles: %w", err)
	}
	defer unlock()
	cur, _, err := s.read() // another replica may have written since
	if err != nil {
		return err
	}
	next := maps.Clone(cur)
	change(next)
	if err := jsonfile.Write(s.path, fileFormat{Roles: next}); err != nil {
		return fmt.Errorf("nativeroles: %w", err)
	}
	written, st, err := s.read()
	if err != nil {
		return err
	}
	s.cache.Store(written, st)
	return nil
}

func (s *FileStore) read() (roles, jsonfile.Stamp, error) {
	var ff fileFormat
	st, _, err := jsonfile.Read(s.path, &ff)
	if err != nil {
		return nil, st, fmt.Errorf("nativeroles: %w", err)
	}
	out := make(roles, len(ff.Roles))
	for name, d := range ff.Roles { // the file is indented; callers see compact JSON
		var b bytes.Buffer
		if err := json.Compact(&b, d); err != nil {
			return nil, st, fmt.Errorf("nativeroles: %s: role %s: %w", s.path, name, err)
		}
		out[name] = b.Bytes()
	}
	return out, st, nil
}
