package authn

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

func TestParseUsersRoles(t *testing.T) {
	lines := []string{
		"# comment",                    // 1
		"admin:alice,bob",              // 2
		"viewer: alice , carol\t,dave", // 3
		"admin:carol",                  // 4 role repeated
		"noroles:",                     // 5 no users
		":alice",                       // 6 empty role
		"r\u00f4le:alice",              // 7 invalid role
		"justtext",                     // 8 no colon
		"dup:alice,,bob",               // 9 empty user name
		"ops:   ,  ",                   // 10 only empty names
		"viewer:alice",                 // 11 duplicate assignment
		"  spaced role  :  zed  ",      // 12 role and users trimmed
		"",                             // 13
		"   # indented comment",        // 14
	}
	got, ps := ParseUsersRoles("users_roles", []byte(strings.Join(lines, "\n")))
	want := map[string][]string{
		"alice": {"admin", "dup", "viewer"},
		"bob":   {"admin", "dup"},
		"carol": {"admin", "viewer"},
		"dave":  {"viewer"},
		"zed":   {"spaced role"},
	}
	if !maps.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Errorf("roles = %v\nwant %v", got, want)
	}
	checkProblems(t, "users_roles", ps, []wantProblem{
		{5, diag.Error, `role "noroles" lists no users`},
		{6, diag.Error, "empty role name"},
		{7, diag.Error, "invalid role name"},
		{8, diag.Error, "expected role:user1,user2"},
		{9, diag.Warning, "empty user name"},
		{10, diag.Error, `role "ops" lists no users`},
	})
}

func TestParseUsersRolesInvalidUTF8(t *testing.T) {
	got, ps := ParseUsersRoles("ur", []byte("admin:alice\nviewer:b\xc0b\n"))
	if len(got) != 0 {
		t.Fatalf("roles = %v, want none", got)
	}
	checkProblems(t, "ur", ps, []wantProblem{{2, diag.Error, "not valid UTF-8"}})
}
