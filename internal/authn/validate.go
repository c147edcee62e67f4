package authn

import (
	"cmp"
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// ValidateFileRealm loads both files as the realm would and returns every
// problem found, for `proxy check`. A missing file is a warning; an
// unreadable one, an invalid line or a malformed hash is an error.
func ValidateFileRealm(usersPath, usersRolesPath string) diag.Problems {
	var ps diag.Problems
	if usersPath == "" || usersRolesPath == "" {
		ps.Errorf("file realm", 0, "both the users and the users_roles file paths must be set")
		return ps
	}
	return loadSnapshot(usersPath, usersRolesPath).problems
}

// sortProblems orders problems by file then line (stable), so that reports
// read top to bottom whatever order map iteration produced them in.
func sortProblems(ps diag.Problems) {
	slices.SortStableFunc(ps, func(a, b diag.Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
}
