package authn

import (
	"slices"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// javaSpace is the set Java's regex \s matches; Elasticsearch splits the user
// list on \s*,\s*.
const javaSpace = " \t\n\x0b\f\r"

// ParseUsersRoles parses a users_roles file ("role:user1,user2" per line) and
// returns username → roles, each list sorted without duplicates. A role may
// appear on several lines; a user's roles are the union. Lines with no ':',
// an invalid role name or no users are skipped with an Error naming
// file:line. A file that is not valid UTF-8 assigns no roles at all.
func ParseUsersRoles(file string, data []byte) (map[string][]string, diag.Problems) {
	roles, _, ps := parseUsersRoles(file, data)
	return roles, ps
}

// parseUsersRoles also returns the first line naming each user, for the
// cross-check against the users file.
func parseUsersRoles(file string, data []byte) (map[string][]string, map[string]int, diag.Problems) {
	var ps diag.Problems
	roles, firstLine := make(map[string][]string), make(map[string]int)
	if n := firstInvalidUTF8Line(data); n > 0 {
		ps.Errorf(file, n, "file is not valid UTF-8; no roles assigned from it")
		return roles, firstLine, ps
	}
	for i, line := range splitLines(string(data)) {
		role, users := parseRoleLine(file, i+1, line, &ps)
		for _, u := range users {
			roles[u] = append(roles[u], role)
			if _, seen := firstLine[u]; !seen {
				firstLine[u] = i + 1
			}
		}
	}
	for u, rs := range roles {
		slices.Sort(rs)
		roles[u] = slices.Compact(rs)
	}
	return roles, firstLine, ps
}

// parseRoleLine returns the role and its users, or no users when the line
// is a comment or invalid.
func parseRoleLine(file string, n int, line string, ps *diag.Problems) (string, []string) {
	t := trimJava(line)
	if isSkippable(t) {
		return "", nil
	}
	roleText, usersText, found := strings.Cut(t, ":")
	role := trimJava(roleText)
	switch {
	case !found:
		ps.Errorf(file, n, "invalid entry: expected role:user1,user2; line skipped")
		return "", nil
	case role == "":
		ps.Errorf(file, n, "invalid entry: empty role name; line skipped")
		return "", nil
	}
	if err := ValidateName(role); err != nil {
		ps.Errorf(file, n, "invalid role name %q: %v; line skipped", role, err)
		return "", nil
	}
	users := splitUsers(file, n, trimJava(usersText), ps)
	if len(users) == 0 {
		ps.Errorf(file, n, "role %q lists no users; line skipped", role)
	}
	return role, users
}

// splitUsers splits the comma-separated list, dropping empty names (with a
// warning unless the list is empty altogether).
func splitUsers(file string, n int, list string, ps *diag.Problems) []string {
	if list == "" {
		return nil
	}
	var users []string
	empty := 0
	for _, u := range strings.Split(list, ",") {
		if u = strings.Trim(u, javaSpace); u == "" {
			empty++
			continue
		}
		users = append(users, u)
	}
	if empty > 0 && len(users) > 0 {
		ps.Warnf(file, n, "empty user name in the list ignored")
	}
	return users
}
