package jsonfile

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

// TestDocsUpdate: Update creates, changes and removes one document under
// the lock, a failing change writes nothing, and Generation moves with
// every change (this process's and, on refresh, a replica's).
func TestDocsUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	a, err := OpenDocs(path, "users", func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenDocs(path, "users", func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	g0 := a.Generation()
	set := func(doc string) func(json.RawMessage) (json.RawMessage, error) {
		return func(json.RawMessage) (json.RawMessage, error) {
			if doc == "" {
				return nil, nil
			}
			return json.RawMessage(doc), nil
		}
	}
	if err := a.Update("u", set(`{ "enabled": true }`)); err != nil {
		t.Fatal(err)
	}
	g1 := a.Generation()
	if g1 == g0 {
		t.Fatal("the generation did not change with a put")
	}
	boom := errors.New("refused")
	var seen string
	err = a.Update("u", func(cur json.RawMessage) (json.RawMessage, error) {
		seen = string(cur)
		return nil, boom
	})
	if !errors.Is(err, boom) || seen != `{"enabled":true}` {
		t.Fatalf("a failing change: %v, saw %q", err, seen)
	}
	if got := string(a.Get([]string{"u"})["u"]); got != `{"enabled":true}` || a.Generation() != g1 {
		t.Fatalf("a failing change wrote %q (generation %d, was %d)", got, a.Generation(), g1)
	}
	if err := a.Update("u", set(`{"enabled":false}`)); err != nil {
		t.Fatal(err)
	}
	gb := b.Generation()
	b.cache.Refresh(0)
	if b.Generation() == gb || string(b.Get([]string{"u"})["u"]) != `{"enabled":false}` {
		t.Fatalf("the replica did not see the change: %s", b.Get(nil))
	}
	if err := a.Update("u", set("")); err != nil {
		t.Fatal(err)
	}
	if len(a.Get(nil)) != 0 {
		t.Fatalf("the document was not removed: %s", a.All())
	}
	if err := a.Update("v", set(`{`)); err == nil {
		t.Fatal("invalid JSON stored")
	}
}
