package audit

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// Entry-level comparison of security files, for the added/removed/modified
// lists of a reload_file event. Each file kind is parsed the way the proxy's
// stores parse it (the users files with the realm's own parsers) into
// entry name → fingerprint. The fingerprint is a SHA-256 of the entry's
// definition: it only tells "changed" from "unchanged", and never leaves
// the process, so a password hash cannot reach the audit trail.

// fileEntries maps an entry name (user, role, mapping) to the fingerprint
// of its definition.
type fileEntries map[string][32]byte

// comparableKind reports whether files of this kind are compared entry by
// entry.
func comparableKind(kind string) bool {
	switch kind {
	case "users", "users_roles", "roles", "role_mapping", "service_tokens":
		return true
	}
	return false
}

// parseEntries returns the entries of a security file of the given kind.
// ok is false when the content cannot be compared entry by entry: an
// unknown kind, or YAML that does not parse as a mapping.
func parseEntries(kind string, data []byte) (fileEntries, bool) {
	switch kind {
	case "users", "service_tokens": // both name:hash per line
		users, _ := authn.ParseUsers(kind, data) // invalid lines are skipped, as the realm skips them
		out := make(fileEntries, len(users))
		for name, hash := range users {
			out[name] = sha256.Sum256([]byte(hash))
		}
		return out, true
	case "users_roles":
		roles, _ := authn.ParseUsersRoles(kind, data)
		out := make(fileEntries, len(roles))
		for user, rs := range roles { // sorted and deduplicated by the parser
			out[user] = sha256.Sum256([]byte(strings.Join(rs, "\n")))
		}
		return out, true
	case "roles", "role_mapping":
		return parseYAMLEntries(data)
	}
	return nil, false
}

// parseYAMLEntries fingerprints each top-level key of a YAML mapping by the
// canonical re-encoding of its value, so that comments, quoting, key order
// and indentation are not reported as changes.
func parseYAMLEntries(data []byte) (fileEntries, bool) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, false
	}
	out := make(fileEntries, len(doc))
	for name, v := range doc {
		canon, err := yaml.Marshal(v) // map keys come out sorted
		if err != nil {
			canon = fmt.Appendf(nil, "%#v", v)
		}
		out[name] = sha256.Sum256(canon)
	}
	return out, true
}

// entryDiff is what changed between two versions of a file, by entry name,
// each list sorted.
type entryDiff struct {
	added, removed, modified []string
}

// diffEntries compares the previous and the new entries.
func diffEntries(prev, next fileEntries) entryDiff {
	var d entryDiff
	for _, name := range slices.Sorted(maps.Keys(next)) {
		old, existed := prev[name]
		switch {
		case !existed:
			d.added = append(d.added, name)
		case old != next[name]:
			d.modified = append(d.modified, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(prev)) {
		if _, kept := next[name]; !kept {
			d.removed = append(d.removed, name)
		}
	}
	return d
}
