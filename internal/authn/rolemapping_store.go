package authn

import (
	"os"
	"sync/atomic"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// RoleMapperStore is a reloadable role-mapping file: Map uses the latest
// successfully read version. It implements PrincipalMapper; the bearer
// authenticator maps roles on every request (cache hits included), so a
// reload takes effect at once (roles memoized for a cached token are reused
// only while the snapshot they were mapped with is in force).
type RoleMapperStore struct {
	path string
	cur  atomic.Pointer[RoleMapper]
}

// NewRoleMapperStore loads path. Problems are reported; entries with errors
// are skipped (see ParseRoleMappings).
func NewRoleMapperStore(path string) (*RoleMapperStore, diag.Problems) {
	s := &RoleMapperStore{path: path}
	m, ps := LoadRoleMappings(path)
	s.cur.Store(m)
	return s, ps
}

// Reload re-reads the file. When the file cannot be read the previous
// mappings stay in force.
func (s *RoleMapperStore) Reload() diag.Problems {
	if _, err := os.Stat(s.path); err != nil {
		var ps diag.Problems
		ps.Errorf(s.path, 0, "cannot read role mapping file: %v; previous mappings kept", err)
		return ps
	}
	m, ps := LoadRoleMappings(s.path)
	s.cur.Store(m)
	return ps
}

// Snapshot returns the mappings in force. Reload replaces them and never
// modifies a snapshot, so roles mapped with one can be reused while it is
// still the one returned.
func (s *RoleMapperStore) Snapshot() *RoleMapper { return s.cur.Load() }

// Snapshot returns m itself: a RoleMapper is never modified once parsed.
func (m *RoleMapper) Snapshot() *RoleMapper { return m }

// Map implements PrincipalMapper.
func (s *RoleMapperStore) Map(p *Principal) []string { return s.cur.Load().Map(p) }
