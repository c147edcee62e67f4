package authn

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/diag"
)

func TestValidateFileRealm(t *testing.T) {
	dir := t.TempDir()
	users := writeFile(t, dir, "users", "alice:"+strongBcrypt+"\nbroken\n")
	roles := writeFile(t, dir, "users_roles", "admin:alice\nviewer:alice,bobby\n")
	missing := filepath.Join(dir, "nope")
	unreadable := filepath.Join(dir, "adir")
	if err := os.Mkdir(unreadable, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Run("both files", func(t *testing.T) {
		ps := ValidateFileRealm(users, roles)
		checkProblems(t, users, ps[:1], []wantProblem{{2, diag.Error, "expected username:hash"}})
		checkProblems(t, roles, ps[1:], []wantProblem{{2, diag.Warning, `user "bobby" is not defined in the users file`}})
	})
	t.Run("missing files warn", func(t *testing.T) {
		ps := ValidateFileRealm(missing, missing)
		if len(ps) != 2 || ps.HasErrors() || ps[0].Line != 0 || ps[0].File != missing {
			t.Fatalf("problems:\n%s", problemList(ps))
		}
	})
	t.Run("unreadable file is an error", func(t *testing.T) {
		ps := ValidateFileRealm(unreadable, roles)
		if !ps.HasErrors() || ps[0].File != unreadable || ps[0].Severity != diag.Error {
			t.Fatalf("problems:\n%s", problemList(ps))
		}
	})
	t.Run("paths required", func(t *testing.T) {
		if ps := ValidateFileRealm("", roles); !ps.HasErrors() {
			t.Fatal("empty path accepted")
		}
	})
}
