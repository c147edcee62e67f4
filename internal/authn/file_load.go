package authn

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"

	"github.com/portcullis-proxy/portcullis/internal/diag"
	"github.com/portcullis-proxy/portcullis/internal/reload"
)

// fileRead is one read of a security file: its content, or why there is none.
type fileRead struct {
	data    []byte
	missing bool
	err     error
	// sum fingerprints the outcome (content, missing, or the error), so that
	// a poll can tell whether anything changed without parsing.
	sum [sha256.Size]byte
}

// readSecurityFile reads path, following symlinks each time, so that a
// Kubernetes ConfigMap update (an atomic swap of the "..data" symlink) is
// seen like any other content change.
func readSecurityFile(path string) fileRead {
	data, err := reload.ReadFile(path)
	switch {
	case err == nil:
		return fileRead{data: data, sum: sha256.Sum256(append([]byte("ok\x00"), data...))}
	case errors.Is(err, fs.ErrNotExist):
		return fileRead{missing: true, sum: sha256.Sum256([]byte("missing"))}
	default:
		return fileRead{err: err, sum: sha256.Sum256([]byte("error\x00" + err.Error()))}
	}
}

// snapshot is an immutable view of the file realm: what both files held at
// one load. Requests read it through an atomic pointer, never locking.
type snapshot struct {
	gen      uint64
	usersSum [sha256.Size]byte
	rolesSum [sha256.Size]byte
	// users maps a username to its hash; a nil hash never matches.
	users    map[string]*StoredHash
	roles    map[string][]string
	problems diag.Problems
	// err is set when a file could not be read (fail closed).
	err error
	// dummy is verified for unknown users (see FileRealm.attachDummy).
	dummy *StoredHash
}

// loadSnapshot reads and parses both files. An unreadable users file yields
// no users and an unreadable users_roles file no roles, as in Elasticsearch:
// fail closed, file by file.
func loadSnapshot(usersPath, rolesPath string) *snapshot {
	return buildSnapshot(usersPath, rolesPath, readSecurityFile(usersPath), readSecurityFile(rolesPath))
}

// buildSnapshot parses what readSecurityFile returned for both files.
func buildSnapshot(usersPath, rolesPath string, u, r fileRead) *snapshot {
	s := &snapshot{usersSum: u.sum, rolesSum: r.sum, users: map[string]*StoredHash{}, roles: map[string][]string{}}
	entries := s.loadUsers(usersPath, u)
	roleLines := s.loadRoles(rolesPath, r)
	for name, e := range entries {
		s.users[name] = e.hash
	}
	s.crossCheck(rolesPath, roleLines)
	sortProblems(s.problems)
	return s
}

func (s *snapshot) loadUsers(path string, f fileRead) map[string]userEntry {
	switch {
	case f.missing:
		s.problems.Warnf(path, 0, "users file does not exist; no users can log in through the file realm")
		return nil
	case f.err != nil:
		s.problems.Errorf(path, 0, "cannot read users file (%v); all file realm users removed", f.err)
		s.err = fmt.Errorf("read users file: %w", f.err)
		return nil
	}
	entries, ps := parseUsers(path, f.data)
	s.problems = append(s.problems, ps...)
	return entries
}

func (s *snapshot) loadRoles(path string, f fileRead) map[string]int {
	switch {
	case f.missing:
		s.problems.Warnf(path, 0, "users_roles file does not exist; file realm users have no roles")
		return nil
	case f.err != nil:
		s.problems.Errorf(path, 0, "cannot read users_roles file (%v); file realm users have no roles", f.err)
		s.err = errors.Join(s.err, fmt.Errorf("read users_roles file: %w", f.err))
		return nil
	}
	roles, lines, ps := parseUsersRoles(path, f.data)
	s.roles = roles
	s.problems = append(s.problems, ps...)
	return lines
}

// crossCheck warns about role assignments to users the users file does not
// define: usually a typo. Skipped when the users file could not be read, as
// every assignment would then be reported.
func (s *snapshot) crossCheck(rolesPath string, firstLine map[string]int) {
	if s.err != nil || len(s.users) == 0 {
		return
	}
	for user, line := range firstLine {
		if _, ok := s.users[user]; !ok {
			s.problems.Warnf(rolesPath, line, "user %q is not defined in the users file", user)
		}
	}
}

// roleList returns a copy of user's roles, empty but not nil for a user with
// none (still authenticated, as in Elasticsearch).
func (s *snapshot) roleList(user string) []string {
	return append([]string{}, s.roles[user]...)
}
