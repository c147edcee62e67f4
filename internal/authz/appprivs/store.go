// Package appprivs keeps the application privileges applications register
// with PUT /_security/privilege (Kibana registers its feature privileges at
// startup): per application, privilege names and their actions. The
// cluster behind the proxy has no security index, so the proxy keeps them
// in one JSON file, which replicas may share (internal/jsonfile).
package appprivs

import (
	"cmp"
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

// Privilege is one registered application privilege.
type Privilege struct {
	Application string         `json:"application"`
	Name        string         `json:"name"`
	Actions     []string       `json:"actions"`
	Metadata    map[string]any `json:"metadata"`
}

type fileFormat struct {
	Applications apps `json:"applications"`
}

// apps is one reading of the file: application to name to privilege.
// It is never modified once published.
type apps map[string]map[string]*Privilege

// FileStore is the application privileges in one JSON file. It implements
// authz.AppPrivileges and is safe for concurrent use.
type FileStore struct {
	path  string
	cache *jsonfile.Cached[apps]
	write sync.Mutex
}

// Open reads the store at path (missing: empty; unparsable: an error).
func Open(path string, log *zap.Logger) (*FileStore, error) {
	s := &FileStore{path: path}
	cache, err := jsonfile.NewCached(path, s.read, time.Now, apps{}, func(err error) {
		log.Error("application privileges unreadable: none is resolved until the file is repaired", zap.String("file", path), zap.Error(err))
	})
	if err != nil {
		return nil, err
	}
	s.cache = cache
	return s, nil
}

// Actions implements authz.AppPrivileges.
func (s *FileStore) Actions(application, name string) ([]string, bool) {
	s.cache.Refresh(refreshEvery)
	p, ok := s.cache.Load()[application][name]
	if !ok {
		return nil, false
	}
	return p.Actions, true
}

// Get returns the privileges of the applications named (all when none is)
// and, when names is not empty, only those names; sorted.
func (s *FileStore) Get(applications, names []string) []Privilege {
	s.cache.Refresh(refreshEvery)
	var out []Privilege
	for app, privs := range s.cache.Load() {
		if len(applications) > 0 && !slices.Contains(applications, app) {
			continue
		}
		for name, p := range privs {
			if len(names) == 0 || slices.Contains(names, name) {
				out = append(out, *p)
			}
		}
	}
	slices.SortFunc(out, func(a, b Privilege) int {
		return cmp.Or(cmp.Compare(a.Application, b.Application), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Put stores privileges (replacing those of the same application and
// name) durably and reports, per application and name, whether each was
// created (false: updated).
func (s *FileStore) Put(privs []Privilege) (map[string]map[string]bool, error) {
	created := map[string]map[string]bool{}
	err := s.update(func(apps apps) {
		for _, p := range privs {
			if apps[p.Application] == nil {
				apps[p.Application] = map[string]*Privilege{}
			}
			if created[p.Application] == nil {
				created[p.Application] = map[string]bool{}
			}
			_, existed := apps[p.Application][p.Name]
			created[p.Application][p.Name] = !existed
			c := p
			apps[p.Application][p.Name] = &c
		}
	})
	return created, err
}

// Delete removes the named privileges of an application durably and
// reports which were found.
func (s *FileStore) Delete(application string, names []string) (map[string]bool, error) {
	found := map[string]bool{}
	err := s.update(func(apps apps) {
		for _, n := range names {
			_, ok := apps[application][n]
			found[n] = ok
			delete(apps[application], n)
		}
		if len(apps[application]) == 0 {
			delete(apps, application)
		}
	})
	return found, err
}

// update changes the file's current content under the lock.
func (s *FileStore) update(change func(apps)) error {
	s.write.Lock()
	defer s.write.Unlock()
	unlock, err := jsonfile.Lock(s.path)
	if err != nil {
		return fmt.Errorf("appprivs: %w", err)
	}
	defer unlock()
	cur, _, err := s.read() // another replica may have written since
	if err != nil {
		return err
	}
	next := make(apps, len(cur))
	for app, privs := range cur {
		next[app] = maps.Clone(privs)
	}
	change(next)
	if err := jsonfile.Write(s.path, fileFormat{Applications: next}); err != nil {
		return fmt.Errorf("appprivs: %w", err)
	}
	written, st, err := s.read()
	if err != nil {
		return err
	}
	s.cache.Store(written, st)
	return nil
}

func (s *FileStore) read() (apps, jsonfile.Stamp, error) {
	var ff fileFormat
	st, _, err := jsonfile.Read(s.path, &ff)
	if err != nil {
		return nil, st, fmt.Errorf("appprivs: %w", err)
	}
	if ff.Applications == nil {
		ff.Applications = apps{}
	}
	for app, privs := range ff.Applications {
		for name, p := range privs {
			if p == nil || p.Application != app || p.Name != name {
				return nil, st, fmt.Errorf("appprivs: %s: privilege %s/%s is not filed under its own application and name", s.path, app, name)
			}
		}
	}
	return ff.Applications, st, nil
}
