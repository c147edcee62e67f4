package authn

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/reload"
)

type staticMappings struct{ doc []byte }

func (s *staticMappings) All() []byte { return s.doc }

// TestRoleMapperStoreNative: the API's mappings apply together with the
// file's (roles unioned), a change applies at the next reload, and an
// invalid API mapping is left out.
func TestRoleMapperStoreNative(t *testing.T) {
	path := filepath.Join(t.TempDir(), "role_mapping.yml")
	if err := os.WriteFile(path, []byte("file_m:\n  roles: [from_file]\n  rules: {field: {username: carol}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, ps := NewRoleMapperStore(path)
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	native := &staticMappings{doc: []byte(`{"api_m":{"roles":["from_api"],"rules":{"field":{"username":"carol"}}},"bad":{"roles":["x"],"rules":{"field":{"nope":"x"}}}}`)}
	if ps := s.SetNative(native); !ps.HasErrors() {
		t.Fatal("the invalid API mapping was not reported")
	}
	carol := &Principal{Username: "carol", Realm: "pki1"}
	if got := s.Map(carol); !slices.Equal(got, []string{"from_api", "from_file"}) && !slices.Equal(got, []string{"from_file", "from_api"}) {
		t.Fatalf("roles %v", got)
	}
	native.doc = []byte(`{}`)
	s.Reload()
	if got := s.Map(carol); !slices.Equal(got, []string{"from_file"}) {
		t.Fatalf("roles after the API mapping was deleted: %v", got)
	}
}

// TestRoleMapperStoreFileRemoved: removing the role-mapping file revokes
// its mappings at the next reload, as in Elasticsearch (a missing file:
// "Role mapping will be skipped"); it used to keep them in force for as
// long as the file stayed away, and with them every role they mapped. The
// API's mappings keep applying, and one deleted through the API in the
// meantime stops applying too (the reload used to stop at the missing file
// before reading them).
func TestRoleMapperStoreFileRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "role_mapping.yml")
	if err := os.WriteFile(path, []byte("file_m:\n  roles: [from_file]\n  rules: {field: {username: carol}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, ps := NewRoleMapperStore(path)
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	native := &staticMappings{doc: []byte(`{"api_m":{"roles":["from_api"],"rules":{"field":{"username":"carol"}}},"api_gone":{"roles":["revoked_api"],"rules":{"field":{"username":"carol"}}}}`)}
	if ps := s.SetNative(native); ps.HasErrors() {
		t.Fatal(ps)
	}
	carol := &Principal{Username: "carol", Realm: "oidc1"}
	if got := s.Map(carol); len(got) != 3 {
		t.Fatalf("roles before: %v", got)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	native.doc = []byte(`{"api_m":{"roles":["from_api"],"rules":{"field":{"username":"carol"}}}}`)
	ps = s.Reload()
	if got := s.Map(carol); !slices.Equal(got, []string{"from_api"}) {
		t.Fatalf("roles after the file was removed and api_gone deleted: %v, want [from_api]", got)
	}
	if len(ps) == 0 {
		t.Fatal("the missing file was not reported")
	}
	// The file back: its mappings apply again.
	if err := os.WriteFile(path, []byte("file_m:\n  roles: [from_file]\n  rules: {field: {username: carol}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ps := s.Reload(); ps.HasErrors() {
		t.Fatal(ps)
	}
	if got := s.Map(carol); len(got) != 2 || !slices.Contains(got, "from_file") {
		t.Fatalf("roles once the file is back: %v", got)
	}
}

// TestRoleMapperStorePollWaitsForHalfWrittenFile: a poll does not load a
// role-mapping file modified within reload.SettleTime: an "all" rule cut
// after its first condition (the file being written in place) maps every
// user of the realm. Once settled, the poll loads it.
func TestRoleMapperStorePollWaitsForHalfWrittenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "role_mapping.yml")
	full := "admins:\n  roles: [admin]\n  rules:\n    all:\n      - field: {realm.name: oidc1}\n      - field: {groups: admins}\n"
	if err := os.WriteFile(path, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	s, ps := NewRoleMapperStore(path)
	if ps.HasErrors() {
		t.Fatal(ps)
	}
	mallory := principal("mallory", "oidc1", "", []string{"staff"}, nil)
	if got := s.Map(mallory); len(got) != 0 {
		t.Fatalf("roles %v", got)
	}
	cut := full[:len(full)-len("      - field: {groups: admins}\n")]
	if err := os.WriteFile(path, []byte(cut), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := os.Chtimes(path, now, now); err != nil {
		t.Fatal(err)
	}
	s.Poll()
	if got := s.Map(mallory); len(got) != 0 {
		t.Fatalf("the half-written mapping is in force: mallory gets %v", got)
	}
	old := now.Add(-2 * reload.SettleTime)
	if err := os.WriteFile(path, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if ps := s.Poll(); ps.HasErrors() {
		t.Fatal(ps)
	}
	if got := s.Map(principal("ann", "oidc1", "", []string{"admins"}, nil)); !slices.Equal(got, []string{"admin"}) {
		t.Fatalf("the settled file was not loaded: %v", got)
	}
}
