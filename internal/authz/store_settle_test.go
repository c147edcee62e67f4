package authz

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/reload"
)

// TestRoleStorePollWaitsForHalfWrittenFile: a poll does not load a roles
// file modified within reload.SettleTime: one being written in place is a
// prefix of its final content, and a role cut before its "query:" or
// "except:" line grants its indices without document- or field-level
// security. Once settled, the poll loads it; Reload (SIGHUP) does not wait.
func TestRoleStorePollWaitsForHalfWrittenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roles.yml")
	full := "r:\n  indices:\n    - names: [\"logs-*\"]\n      privileges: [read]\n      query: '{\"term\":{\"owner\":\"u\"}}'\n"
	if err := os.WriteFile(path, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewRoleStore(path, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	md := NewMetadata([]ConcreteIndex{{Name: "logs-1"}}, nil, nil)
	filtered := func() bool {
		d := s.Decide(Request{User: "u", Roles: []string{"r"}, Action: "indices:data/read/search", Indices: []string{"logs-1"}, Metadata: md})
		if !d.Allowed {
			t.Fatalf("search refused: %+v", d)
		}
		return len(d.Access) == 1 && d.Access[0].Filtered()
	}
	if !filtered() {
		t.Fatal("the role's query does not apply")
	}
	touch := func(at time.Time) {
		t.Helper()
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	// The file rewritten in place, read before its last line is.
	if err := os.WriteFile(path, []byte(full[:len(full)-len("      query: '{\"term\":{\"owner\":\"u\"}}'\n")]), 0o600); err != nil {
		t.Fatal(err)
	}
	touch(time.Now())
	if changed, err := s.Poll(); changed || err != nil {
		t.Fatalf("a roles file being written was loaded: changed=%v err=%v", changed, err)
	}
	if !filtered() {
		t.Fatal("the half-written role, without its query, is in force")
	}
	if err := os.WriteFile(path, []byte(full+"other:\n  cluster: [monitor]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	touch(time.Now().Add(-2 * reload.SettleTime))
	if changed, err := s.Poll(); !changed || err != nil {
		t.Fatalf("a settled roles file was not loaded: changed=%v err=%v", changed, err)
	}
	if !filtered() {
		t.Fatal("the role's query does not apply")
	}
	touch(time.Now())
	if err := os.WriteFile(path, []byte("r:\n  cluster: [monitor]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if changed, err := s.Reload(); !changed || err != nil {
		t.Fatalf("an explicit reload waited: changed=%v err=%v", changed, err)
	}
}
