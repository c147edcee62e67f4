package authz

import (
	"context"
	"crypto/sha256"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/reload"
)

// RoleStore holds the evaluator for the current roles.yml and replaces it
// when the file changes. Decisions always use one consistent role set.
type RoleStore struct {
	path string
	log  *zap.Logger
	// native are the role API's roles (nil: none); roles.yml wins on a
	// name both define.
	native NativeRoles

	current atomic.Pointer[Evaluator]
	mu      sync.Mutex // serialises reloads
	// fileNames are the names the roles file defines (see DefinedInFile).
	fileNames atomic.Pointer[map[string]bool]
	digest    [sha256.Size]byte
	loaded    bool
}

// NewRoleStore loads path (a missing file means built-in roles only, with a
// warning) and returns the store. Problems are logged with file:line.
func NewRoleStore(path string, log *zap.Logger) (*RoleStore, error) {
	s := &RoleStore{path: path, log: log}
	if _, err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// NativeRoles are roles kept outside roles.yml: those of the role API
// (a jsonfile.Docs).
type NativeRoles interface {
	// All returns every native role as one JSON object of role name to
	// role descriptor.
	All() []byte
}

// SetNative adds the native roles to the store's roles and reloads.
func (s *RoleStore) SetNative(n NativeRoles) error {
	s.mu.Lock()
	s.native, s.loaded = n, false
	s.mu.Unlock()
	_, err := s.Reload()
	return err
}

// Decide decides req against the current roles (req carries the cluster
// metadata and the indices options; see Request).
func (s *RoleStore) Decide(req Request) Decision { return s.current.Load().Decide(req) }

// Subject resolves a user's roles against the current roles, to decide the
// items of one composite request against one consistent role set.
func (s *RoleStore) Subject(user string, roles []string) *Subject {
	return s.current.Load().Subject(user, roles)
}

// Evaluator returns the evaluator of the current roles.
func (s *RoleStore) Evaluator() *Evaluator { return s.current.Load() }

// Reload re-reads the file and swaps in its roles if its content changed.
// A file that cannot be read or parsed leaves only its valid roles (none,
// when it is unreadable): failing closed, as Elasticsearch does for a
// broken roles file. The error reports why.
func (s *RoleStore) Reload() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, readErr := reload.ReadFile(s.path)
	if readErr != nil && !os.IsNotExist(readErr) {
		data = nil
	}
	var native []byte
	if s.native != nil {
		native = s.native.All()
	}
	h := sha256.New()
	h.Write(data)
	h.Write([]byte{boolByte(readErr != nil), 0})
	h.Write(native)
	var digest [sha256.Size]byte
	h.Sum(digest[:0])
	if s.loaded && digest == s.digest {
		return false, nil
	}
	var rs *RoleSet
	var probs diag.Problems
	if readErr == nil {
		rs, probs = ParseRoles(s.path, data)
	} else {
		rs, probs = LoadRolesFile(s.path) // reports missing/unreadable files
	}
	fileNames, namesKnown := fileDefinedNames(data)
	switch {
	case s.native == nil:
	case readErr != nil && !os.IsNotExist(readErr), !namesKnown:
		// The file cannot be read or parsed: which names it defines is
		// unknown, and a native role must never stand in for a file role.
		s.log.Error("roles file unreadable or not YAML: the API's roles are not loaded either", zap.String("file", s.path))
	default:
		nativeSet, nativeProbs := ParseRoles("native roles", native)
		probs = append(probs, nativeProbs...)
		rs = mergeRoleSets(nativeSet, rs, fileNames, s.log)
	}
	s.fileNames.Store(&fileNames)
	for _, p := range probs {
		if p.Severity == diag.Error {
			s.log.Error("roles file problem; the role is skipped", zap.String("problem", p.String()))
		} else {
			s.log.Warn("roles file", zap.String("problem", p.String()))
		}
	}
	s.current.Store(NewEvaluator(rs))
	s.digest, s.loaded = digest, true
	s.log.Info("roles loaded", zap.String("file", s.path), zap.Int("roles", len(rs.Names())))
	if readErr != nil && !os.IsNotExist(readErr) {
		return true, readErr
	}
	return true, nil
}

// Poll is Watch's check: Reload, unless the roles file was modified
// within reload.SettleTime, when it may be half-written (a role cut before
// its "query:" line grants its indices without it); the next poll loads
// it then.
func (s *RoleStore) Poll() (bool, error) {
	if !reload.Settled(time.Now(), s.path) {
		return false, nil
	}
	return s.Reload()
}

// Watch polls the file every interval until ctx is done.
func (s *RoleStore) Watch(ctx context.Context, interval time.Duration) {
	reload.Poll(ctx, interval, func() { _, _ = s.Poll() }) // problems are logged by Reload
}

// mergeRoleSets is the built-in roles, then the native roles, then the
// file's: a file role replaces a native one of the same name, as in
// Elasticsearch (built-in names are refused in both). A name the file
// defines, even by an invalid role that was skipped, is never a native
// role's: fixing a typo in the file must not hand the name to the API.
func mergeRoleSets(native, file *RoleSet, fileNames map[string]bool, log *zap.Logger) *RoleSet {
	rs := newRoleSet(nil)
	for name, r := range native.roles {
		if fileNames[name] && file.roles[name] == nil {
			log.Warn("the native role is shadowed by an invalid role of the roles file, which is skipped", zap.String("role", name))
			continue
		}
		if !r.reserved {
			rs.roles[name] = r
		}
	}
	for name, r := range file.roles {
		if r.reserved {
			continue
		}
		if n, ok := rs.roles[name]; ok && !n.reserved {
			log.Warn("a role of the roles file replaces the native role of the same name", zap.String("role", name))
		}
		rs.roles[name] = r
	}
	return rs
}

// fileDefinedNames are the top-level keys of a roles file, valid roles or
// not; ok is false when the file is not a YAML mapping (an empty file
// defines nothing).
func fileDefinedNames(data []byte) (names map[string]bool, ok bool) {
	names = map[string]bool{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return names, false
	}
	if len(doc.Content) == 0 {
		return names, true
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return names, false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		names[root.Content[i].Value] = true
	}
	return names, true
}

// DefinedInFile reports whether the roles file defines name (a valid role
// or not): the role API must not create a role the file would shadow.
func (s *RoleStore) DefinedInFile(name string) bool {
	names := s.fileNames.Load()
	return names != nil && (*names)[name]
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
