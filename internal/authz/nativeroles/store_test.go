package nativeroles

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
)

// TestStore: put, get, delete, and a replica on the same file.
func TestStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roles.json")
	a, err := Open(path, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(path, zap.NewNop())
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
	if got := string(a.Descriptors()); got != `{"r":{"cluster":["all"]}}` {
		t.Fatalf("descriptors %s", got)
	}
	if found, err := b.Delete("r"); !found || err != nil {
		t.Fatalf("delete: %v %v", found, err)
	}
	if found, _ := b.Delete("r"); found {
		t.Fatal("deleted twice")
	}
}
