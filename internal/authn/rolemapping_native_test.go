package authn

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
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
