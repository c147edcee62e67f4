package appprivs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestStore: put, get, delete, and a second store on the same file (a
// replica) sees the changes once its refresh interval has passed.
func TestStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "privs.json")
	a, err := Open(path, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(path, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	created, err := a.Put([]Privilege{
		{Application: "kibana-.kibana", Name: "read", Actions: []string{"ui:*/show"}},
		{Application: "kibana-.kibana", Name: "all", Actions: []string{"*"}},
		{Application: "other", Name: "x", Actions: []string{"a:b"}},
	})
	if err != nil || !created["kibana-.kibana"]["read"] {
		t.Fatalf("put: %v %v", created, err)
	}
	if again, _ := a.Put([]Privilege{{Application: "kibana-.kibana", Name: "read", Actions: []string{"ui:*/show", "login:"}}}); again["kibana-.kibana"]["read"] {
		t.Fatal("an update reported as created")
	}
	if got, ok := a.Actions("kibana-.kibana", "read"); !ok || !slices.Equal(got, []string{"ui:*/show", "login:"}) {
		t.Fatalf("actions %v %v", got, ok)
	}
	if got := a.Get([]string{"kibana-.kibana"}, nil); len(got) != 2 || got[0].Name != "all" {
		t.Fatalf("get: %+v", got)
	}
	b.cache.Refresh(0)
	if _, ok := b.Actions("other", "x"); !ok {
		t.Fatal("the replica does not see the other's privileges")
	}
	found, err := b.Delete("other", []string{"x", "nope"})
	if err != nil || !found["x"] || found["nope"] {
		t.Fatalf("delete: %v %v", found, err)
	}
	time.Sleep(time.Millisecond)
	a.cache.Refresh(0)
	if _, ok := a.Actions("other", "x"); ok {
		t.Fatal("a deleted privilege is still resolved")
	}
	if err := os.WriteFile(path, []byte(`{"applications":{"app":{"n":{"application":"other","name":"n","actions":["a:b"],"metadata":null}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, zap.NewNop()); err == nil {
		t.Fatal("a privilege filed under another application was accepted")
	}
}
