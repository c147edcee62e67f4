package authn

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

// wantProblem is a problem's location, severity and a substring of its
// message.
type wantProblem struct {
	line int
	sev  diag.Severity
	msg  string
}

func checkProblems(t *testing.T, file string, got diag.Problems, want []wantProblem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), problemList(got))
	}
	for i, w := range want {
		g := got[i]
		if g.File != file || g.Line != w.line || g.Severity != w.sev || !strings.Contains(g.Message, w.msg) {
			t.Errorf("problem %d = %s (severity %d), want %s:%d %q (severity %d)", i, g, g.Severity, file, w.line, w.msg, w.sev)
		}
	}
}

func problemList(ps diag.Problems) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintln(&b, p.String())
	}
	return b.String()
}

const (
	sha1Hunter   = "{SHA}nipRCJj4yRYN5yIDIUAGXoxmMMk="
	md5Hunter    = "{MD5}TvsbTkhZD0/vvnNGy+eN4g=="
	ssha256Hunt  = "{SSHA256}AQIDBAUGBwg=BQWz3RbE6fo6YcAPhhfehfQH0/0lkloTEPeugT9ftmg="
	badPBKDF2    = "{PBKDF2}abc$c2FsdHNhbHQ=$AAAA"
	strongBcrypt = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
)

func TestParseUsers(t *testing.T) {
	lines := []string{
		"# comment",                      // 1
		"alice:" + pyBcrypt2a,            // 2 weak cost
		"",                               // 3
		"bob",                            // 4 no colon
		":" + strongBcrypt,               // 5 empty username
		"carol:",                         // 6 empty hash
		"dave :" + strongBcrypt,          // 7 trailing space in name
		"   eve:" + md5Hunter + "  \t",   // 8 trimmed; weak
		"frank:plaintextpw",              // 9 plain text
		"grace:" + badPBKDF2,             // 10 malformed
		"alice:" + ssha256Hunt,           // 11 duplicate; weak
		"h\u00e9:" + sha1Hunter,          // 12 non-ASCII name
		"   # indented comment",          // 13
		"elastic:" + strongBcrypt,        // 14 reserved
		"heidi:pass:with:colons",         // 15 split at first ':'
		"ivan:" + strongBcrypt,           // 16 fine
		strings.Repeat("n", 1025) + ":x", // 17 too long
		"tab\tname:" + strongBcrypt,      // 18 control char
	}
	got, ps := ParseUsers("users", []byte(strings.Join(lines, "\n")+"\n"))
	want := map[string]string{
		"alice": ssha256Hunt, "eve": md5Hunter, "frank": "plaintextpw", "grace": badPBKDF2,
		"elastic": strongBcrypt, "heidi": "pass:with:colons", "ivan": strongBcrypt,
	}
	if !maps.Equal(got, want) {
		t.Errorf("users = %v\nwant %v", got, want)
	}
	checkProblems(t, "users", ps, []wantProblem{
		{2, diag.Warning, `user "alice": bcrypt cost 4 is below 10`},
		{4, diag.Error, "expected username:hash"},
		{5, diag.Error, "empty username"},
		{6, diag.Error, `empty password hash for user "carol"`},
		{7, diag.Error, `invalid username "dave "`},
		{8, diag.Warning, `user "eve": password uses the fast MD5 digest`},
		{9, diag.Warning, `user "frank": password is stored in plain text`},
		{10, diag.Error, `user "grace": invalid PBKDF2 hash: iteration count`},
		{11, diag.Warning, `user "alice": password uses the fast SSHA256 digest`},
		{11, diag.Warning, `user "alice" is defined again (first on line 2)`},
		{12, diag.Error, "invalid username"},
		{14, diag.Warning, `"elastic" is a reserved user`},
		{15, diag.Warning, `user "heidi": password is stored in plain text`},
		{17, diag.Error, "must be 1 to 1024 characters"},
		{18, diag.Error, "printable Basic Latin"},
	})
	for _, p := range ps {
		for _, secret := range []string{"plaintextpw", "pass:with", "c2FsdHNhbHQ", "nipRCJ", "TvsbTk", "BQWz3Rb", pyBcrypt2a[7:]} {
			if strings.Contains(p.Message, secret) {
				t.Errorf("problem quotes a hash or password: %s", p)
			}
		}
	}
}

func TestParseUsersLineEndings(t *testing.T) {
	data := "a:" + sha1Hunter + "\r\nbroken\rc:" + sha1Hunter + "\r\n\nbroken2"
	got, ps := ParseUsers("u", []byte(data))
	if len(got) != 2 || got["a"] != sha1Hunter || got["c"] != sha1Hunter {
		t.Fatalf("users = %v", got)
	}
	checkProblems(t, "u", ps, []wantProblem{
		{1, diag.Warning, "SHA"}, {2, diag.Error, "expected username:hash"},
		{3, diag.Warning, "SHA"}, {5, diag.Error, "expected username:hash"},
	})
}

func TestParseUsersInvalidUTF8DropsFile(t *testing.T) {
	data := "a:" + strongBcrypt + "\nb:" + strongBcrypt + "\nc:\xff\xfe\n"
	got, ps := ParseUsers("users", []byte(data))
	if len(got) != 0 {
		t.Fatalf("users = %v, want none (fail closed)", got)
	}
	checkProblems(t, "users", ps, []wantProblem{{3, diag.Error, "not valid UTF-8"}})
}

func TestParseUsersEmpty(t *testing.T) {
	for _, data := range []string{"", "\n\n", "# only comments\n"} {
		got, ps := ParseUsers("users", []byte(data))
		if len(got) != 0 || len(ps) != 0 {
			t.Errorf("%q: users %v problems %v", data, got, ps)
		}
	}
}
