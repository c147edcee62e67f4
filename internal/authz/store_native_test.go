package authz

import (
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
)

type staticNative struct{ doc []byte }

func (s *staticNative) All() []byte { return s.doc }

// TestRoleStoreNative: native roles join the file's; the file wins on a
// name both define; a native change applies at the next reload; a native
// role with a built-in name or a bad privilege is left out.
func TestRoleStoreNative(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roles.yml")
	if err := os.WriteFile(path, []byte("both:\n  cluster: [monitor]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewRoleStore(path, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	native := &staticNative{doc: []byte(`{"api":{"cluster":["manage"]},"both":{"cluster":["all"]},"superuser":{"cluster":["monitor"]},"bad":{"cluster":["nope"]}}`)}
	if err := s.SetNative(native); err != nil {
		t.Fatal(err)
	}
	allowed := func(role, action string) bool {
		return s.Decide(Request{User: "u", Roles: []string{role}, Action: action}).Allowed
	}
	if !allowed("api", "cluster:admin/settings/update") {
		t.Fatal("the native role api does not grant manage")
	}
	if allowed("both", "cluster:admin/settings/update") || !allowed("both", "cluster:monitor/health") {
		t.Fatal("the native role 'both' replaced the file's")
	}
	if !allowed("superuser", "cluster:admin/settings/update") {
		t.Fatal("a native role replaced the built-in superuser")
	}
	if _, ok := s.Evaluator().roles.Get("bad"); ok {
		t.Fatal("a native role with an unknown privilege was loaded")
	}
	native.doc = []byte(`{}`)
	if changed, err := s.Reload(); !changed || err != nil {
		t.Fatalf("reload after a native change: %v %v", changed, err)
	}
	if allowed("api", "cluster:admin/settings/update") {
		t.Fatal("a deleted native role still grants")
	}
}

// TestShadowedNativeRoleStaysShadowed: a native role hidden by a roles.yml
// role of the same name must not take over when that file role breaks
// (a typo) or the file cannot be read; and the store says which names the
// file defines, for the role API to refuse.
func TestShadowedNativeRoleStaysShadowed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roles.yml")
	if err := os.WriteFile(path, []byte("reader:\n  cluster: [monitor]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewRoleStore(path, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetNative(&staticNative{doc: []byte(`{"reader":{"cluster":["all"]},"other":{"cluster":["all"]}}`)}); err != nil {
		t.Fatal(err)
	}
	wide := func(role string) bool {
		return s.Decide(Request{User: "u", Roles: []string{role}, Action: "cluster:admin/settings/update"}).Allowed
	}
	if wide("reader") || !wide("other") || !s.DefinedInFile("reader") || s.DefinedInFile("other") {
		t.Fatal("setup: the file's reader wins, other is native")
	}
	if err := os.WriteFile(path, []byte("reader:\n  cluster: [monitr]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _ = s.Reload()
	if wide("reader") || !s.DefinedInFile("reader") {
		t.Fatal("a typo in the file's reader let the native reader apply")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil { // unreadable as a file, even for root
		t.Fatal(err)
	}
	_, _ = s.Reload()
	if wide("reader") || wide("other") {
		t.Fatal("with the roles file unreadable, native roles apply")
	}
}
