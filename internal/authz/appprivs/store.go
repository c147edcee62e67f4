// Package appprivs keeps the application privileges applications register
// with PUT /_security/privilege (Kibana registers its feature privileges at
// startup): per application, privilege names and their actions. The
// cluster behind the proxy has no security index, so the proxy keeps them
// in one JSON file, which replicas may share (internal/jsonfile).
package appprivs

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
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
	Applications map[string]map[string]*Privilege `json:"applications"`
}

type snapshot struct {
	apps  map[string]map[string]*Privilege
	stamp jsonfile.Stamp
}

// FileStore is the application privileges in one JSON file. It implements
// authz.AppPrivileges and is safe for concurrent use.
type FileStore struct {
	path string
	log  *zap.Logger
	now  func() time.Time

	current   atomic.Pointer[snapshot]
	refresh   sync.Mutex
	lastCheck atomic.Int64
	write     sync.Mutex
}

// Open reads the store at path (missing: empty; unparsable: an error).
func Open(path string, log *zap.Logger) (*FileStore, error) {
	s := &FileStore{path: path, log: log, now: time.Now}
	snap, err := s.read()
	if err != nil {
		return nil, err
	}
	s.current.Store(snap)
	s.lastCheck.Store(s.now().UnixNano())
	return s, nil
}

// Actions implements authz.AppPrivileges.
func (s *FileStore) Actions(application, name string) ([]string, bool) {
	s.maybeRefresh()
	p, ok := s.current.Load().apps[application][name]
	if !ok {
		return nil, false
	}
	return p.Actions, true
}

// Get returns the privileges of the applications named (all when none is)
// and, when names is not empty, only those names; sorted.
func (s *FileStore) Get(applications, names []string) []Privilege {
	s.maybeRefresh()
	var out []Privilege
	for app, privs := range s.current.Load().apps {
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
		if a.Application != b.Application {
			return compare(a.Application, b.Application)
		}
		return compare(a.Name, b.Name)
	})
	return out
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Put stores privileges (replacing those of the same application and
// name) durably and reports, per application and name, whether each was
// created (false: updated).
func (s *FileStore) Put(privs []Privilege) (map[string]map[string]bool, error) {
	created := map[string]map[string]bool{}
	err := s.update(func(apps map[string]map[string]*Privilege) {
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
	err := s.update(func(apps map[string]map[string]*Privilege) {
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
func (s *FileStore) update(change func(map[string]map[string]*Privilege)) error {
	s.write.Lock()
	defer s.write.Unlock()
	unlock, err := jsonfile.Lock(s.path)
	if err != nil {
		return fmt.Errorf("appprivs: %w", err)
	}
	defer unlock()
	snap, err := s.read()
	if err != nil {
		return err
	}
	apps := make(map[string]map[string]*Privilege, len(snap.apps))
	for app, privs := range snap.apps {
		apps[app] = make(map[string]*Privilege, len(privs))
		for n, p := range privs {
			apps[app][n] = p
		}
	}
	change(apps)
	if err := jsonfile.Write(s.path, fileFormat{Applications: apps}); err != nil {
		return fmt.Errorf("appprivs: %w", err)
	}
	snap, err = s.read()
	if err != nil {
		return err
	}
	s.current.Store(snap)
	return nil
}

func (s *FileStore) maybeRefresh() {
	now := s.now().UnixNano()
	if now-s.lastCheck.Load() < int64(refreshEvery) {
		return
	}
	s.refresh.Lock()
	defer s.refresh.Unlock()
	if now-s.lastCheck.Load() < int64(refreshEvery) {
		return
	}
	s.lastCheck.Store(now)
	if st, err := jsonfile.StampOf(s.path); err == nil && st == s.current.Load().stamp {
		return
	}
	snap, err := s.read()
	if err != nil {
		s.log.Error("application privileges unreadable; keeping those last read", zap.String("file", s.path), zap.Error(err))
		return
	}
	s.current.Store(snap)
}

func (s *FileStore) read() (*snapshot, error) {
	var ff fileFormat
	st, _, err := jsonfile.Read(s.path, &ff)
	if err != nil {
		return nil, fmt.Errorf("appprivs: %w", err)
	}
	if ff.Applications == nil {
		ff.Applications = map[string]map[string]*Privilege{}
	}
	for app, privs := range ff.Applications {
		for name, p := range privs {
			if p == nil || p.Application != app || p.Name != name {
				return nil, fmt.Errorf("appprivs: %s: privilege %s/%s is not filed under its own application and name", s.path, app, name)
			}
		}
	}
	return &snapshot{apps: ff.Applications, stamp: st}, nil
}
