package authn

import (
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// userEntry is one user of a users file. hash is nil when the stored hash is
// malformed: like Elasticsearch, the user then exists but cannot log in.
type userEntry struct {
	raw  string
	hash *StoredHash
	line int
}

// ParseUsers parses a users file ("username:hash" per line) and returns
// username → stored hash. file only labels the problems. Invalid lines are
// skipped with an Error naming file:line; the rest still loads. A later line
// for the same user replaces the earlier one (Elasticsearch's map put), with
// a warning. Weak or unrecognised hash formats produce warnings; a malformed
// hash with a known prefix is an Error, and that user cannot log in. A file
// that is not valid UTF-8 loads no users at all.
func ParseUsers(file string, data []byte) (map[string]string, diag.Problems) {
	entries, problems := parseUsers(file, data)
	out := make(map[string]string, len(entries))
	for name, e := range entries {
		out[name] = e.raw
	}
	return out, problems
}

func parseUsers(file string, data []byte) (map[string]userEntry, diag.Problems) {
	var ps diag.Problems
	if n := firstInvalidUTF8Line(data); n > 0 {
		ps.Errorf(file, n, "file is not valid UTF-8; no users loaded from it")
		return map[string]userEntry{}, ps
	}
	users := make(map[string]userEntry)
	for i, line := range splitLines(string(data)) {
		if name, e, ok := parseUserLine(file, i+1, line, &ps); ok {
			if prev, dup := users[name]; dup {
				ps.Warnf(file, e.line, "user %q is defined again (first on line %d); this later entry replaces it", name, prev.line)
			}
			users[name] = e
		}
	}
	return users, ps
}

// parseUserLine parses one line; ok is false for comments and skipped lines.
// The line is trimmed and split at the first ':' since bcrypt and PBKDF2
// hashes contain no ':' but other formats might.
func parseUserLine(file string, n int, line string, ps *diag.Problems) (string, userEntry, bool) {
	t := trimJava(line)
	if isSkippable(t) {
		return "", userEntry{}, false
	}
	name, raw, found := strings.Cut(t, ":")
	switch {
	case !found:
		ps.Errorf(file, n, "invalid entry: expected username:hash; line skipped")
		return "", userEntry{}, false
	case name == "":
		ps.Errorf(file, n, "invalid entry: empty username; line skipped")
		return "", userEntry{}, false
	case raw == "":
		ps.Errorf(file, n, "invalid entry: empty password hash for user %q; line skipped", name)
		return "", userEntry{}, false
	}
	if err := ValidateName(name); err != nil {
		ps.Errorf(file, n, "invalid username %q: %v; line skipped", name, err)
		return "", userEntry{}, false
	}
	return name, checkUserHash(file, n, name, raw, ps), true
}

// checkUserHash parses the hash and reports problems without quoting it.
func checkUserHash(file string, n int, name, raw string, ps *diag.Problems) userEntry {
	if isReservedUsername(name) {
		ps.Warnf(file, n, "user %q is a reserved user in Elasticsearch, which skips it in the users file", name)
	}
	h, err := ParseHash(raw)
	if err != nil {
		ps.Errorf(file, n, "user %q: %v; this user cannot log in", name, err)
		return userEntry{raw: raw, line: n}
	}
	if w := h.Weakness(); w != "" {
		ps.Warnf(file, n, "user %q: %s", name, w)
	}
	return userEntry{raw: raw, hash: h, line: n}
}
