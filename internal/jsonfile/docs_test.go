package jsonfile

import (
	"encoding/json"
	"fmt"
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

// TestDocsPutAllDeleteAll: a bulk change is one write of the file (the
// generation moves once, however many documents), all or nothing.
func TestDocsPutAllDeleteAll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roles.json")
	d, err := OpenDocs(path, "roles", func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put("old", json.RawMessage(`{"cluster":[]}`)); err != nil {
		t.Fatal(err)
	}
	puts := map[string]json.RawMessage{"old": json.RawMessage(`{"cluster":["all"]}`)}
	for i := range 50 {
		puts[fmt.Sprintf("r%02d", i)] = json.RawMessage(`{ "cluster": ["monitor"] }`)
	}
	gen := d.Generation()
	created, err := d.PutAll(puts)
	if err != nil {
		t.Fatal(err)
	}
	if g := d.Generation(); g != gen+1 {
		t.Fatalf("51 documents moved the generation from %d to %d: want one write", gen, g)
	}
	if len(created) != 50 || created["old"] || !created["r07"] {
		t.Fatalf("created: %v", created)
	}
	if got := string(d.Get([]string{"old"})["old"]); got != `{"cluster":["all"]}` {
		t.Fatalf("old reads %q", got)
	}
	if _, err := d.PutAll(map[string]json.RawMessage{"new": json.RawMessage(`{}`), "bad": json.RawMessage(`{`)}); err == nil {
		t.Fatal("invalid JSON stored")
	}
	if got := d.Get([]string{"new"}); len(got) != 0 {
		t.Fatalf("a failed bulk stored part of itself: %v", got)
	}
	gen = d.Generation()
	found, err := d.DeleteAll([]string{"r01", "r02", "nope", "r01"})
	if err != nil {
		t.Fatal(err)
	}
	if g := d.Generation(); g != gen+1 {
		t.Fatalf("a bulk delete moved the generation from %d to %d", gen, g)
	}
	if len(found) != 2 || !found["r01"] || !found["r02"] {
		t.Fatalf("found: %v", found)
	}
	if got := d.Get([]string{"r01", "r02", "r03"}); len(got) != 1 {
		t.Fatalf("after the delete: %v", got)
	}
	reread, err := OpenDocs(path, "roles", func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(reread.Get(nil)); n != 49 {
		t.Fatalf("the file holds %d documents, want 49", n)
	}
}
