package authn

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/reload"
)

// RoleMapperStore is a reloadable role-mapping file: Map uses the latest
// successfully read version. It implements PrincipalMapper; the bearer
// authenticator maps roles on every request (cache hits included), so a
// reload takes effect at once (roles memoized for a cached token are reused
// only while the snapshot they were mapped with is in force).
type RoleMapperStore struct {
	path string
	cur  atomic.Pointer[RoleMapper]
	// native are the role-mapping API's mappings (nil: none); they apply
	// with the file's, as Elasticsearch applies every source's.
	native NativeMappings
}

// NativeMappings are role mappings kept outside the file: those of the
// role-mapping API (a jsonfile.Docs).
type NativeMappings interface {
	// All returns every mapping as one JSON object of name to mapping (the
	// API format).
	All() []byte
}

// SetNative adds the API's mappings to the file's and reloads.
func (s *RoleMapperStore) SetNative(n NativeMappings) diag.Problems {
	s.native = n
	return s.Reload()
}

// NewRoleMapperStore loads path. Problems are reported; entries with errors
// are skipped (see ParseRoleMappings).
func NewRoleMapperStore(path string) (*RoleMapperStore, diag.Problems) {
	s := &RoleMapperStore{path: path}
	m, ps := LoadRoleMappings(path)
	s.cur.Store(m)
	return s, ps
}

// Reload re-reads the file and the API's mappings. A file that is missing
// maps nothing, as in Elasticsearch ("Role mapping will be skipped"), and
// one that cannot be read or parsed maps nothing either (fail closed):
// keeping the previous mappings would keep every role they mapped after
// the file that granted them was removed. The API's mappings apply
// regardless (they only add roles).
func (s *RoleMapperStore) Reload() diag.Problems {
	var m *RoleMapper
	var ps diag.Problems
	if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
		m = &RoleMapper{}
		ps.Warnf(s.path, 0, "role mapping file does not exist; its role mappings are skipped")
	} else {
		m, ps = LoadRoleMappings(s.path)
	}
	if s.native != nil {
		n, nps := ParseRoleMappings("role mappings of the API", s.native.All())
		ps = append(ps, nps...)
		m = &RoleMapper{mappings: append(slices.Clip(m.mappings), n.mappings...), classic: m.classic}
	}
	s.cur.Store(m)
	return ps
}

// Poll is the periodic check: Reload, unless the file was modified within
// reload.SettleTime, when it may be half-written (an "all" rule cut after
// its first condition maps more users); the next poll loads it then.
func (s *RoleMapperStore) Poll() diag.Problems {
	if !reload.Settled(time.Now(), s.path) {
		return nil
	}
	return s.Reload()
}

// Snapshot returns the mappings in force. Reload replaces them and never
// modifies a snapshot, so roles mapped with one can be reused while it is
// still the one returned.
func (s *RoleMapperStore) Snapshot() *RoleMapper { return s.cur.Load() }

// Snapshot returns m itself: a RoleMapper is never modified once parsed.
func (m *RoleMapper) Snapshot() *RoleMapper { return m }

// Map implements PrincipalMapper.
func (s *RoleMapperStore) Map(p *Principal) []string { return s.cur.Load().Map(p) }
