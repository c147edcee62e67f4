package jsonfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestDocs: put, get, delete, a replica on the same file, and a file of
// another kind refused.
func TestDocs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roles.json")
	a, err := OpenDocs(path, "roles", func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenDocs(path, "roles", func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	if created, err := a.Put("r", json.RawMessage(`{ "cluster": ["monitor"] }`)); !created || err != nil {
		t.Fatalf("put: %v %v", created, err)
	}
	if created, _ := a.Put("r", json.RawMessage(`{"cluster":["all"]}`)); created {
		t.Fatal("an update reported as created")
	}
	if _, err := a.Put("x", json.RawMessage(`{`)); err == nil {
		t.Fatal("invalid JSON stored")
	}
	b.cache.Refresh(0)
	if got := string(b.Get([]string{"r"})["r"]); got != `{"cluster":["all"]}` {
		t.Fatalf("the replica reads %q", got)
	}
	if got := string(a.All()); got != `{"r":{"cluster":["all"]}}` {
		t.Fatalf("all: %s", got)
	}
	if found, err := b.Delete("r"); !found || err != nil {
		t.Fatalf("delete: %v %v", found, err)
	}
	if found, _ := b.Delete("r"); found {
		t.Fatal("deleted twice")
	}
	if _, err := OpenDocs(path, "role_mappings", func(error) {}); err == nil {
		t.Fatal("a roles file opened as role mappings")
	}
	if err := os.WriteFile(path, []byte(`{"roles":{"r":[1,2}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDocs(path, "roles", func(error) {}); err == nil {
		t.Fatal("a broken file opened")
	}
}
