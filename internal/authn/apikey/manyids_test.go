package apikey

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestStoreManyIDs: the invalidate, get and bulk update APIs may list a
// great many ids (a 100 MB body holds millions); the store selects keys
// through a set of them, with the same answers: only the listed keys,
// unknown ids not found, a key listed twice updated once.
func TestStoreManyIDs(t *testing.T) {
	s := newStore(t, filepath.Join(t.TempDir(), "keys.json"))
	now := time.Now()
	var ids []string
	for i := range 20 {
		ids = append(ids, mustCreate(t, s, fmt.Sprintf("k%d", i), 0, now).Key.ID)
	}
	listed := []string{ids[3], ids[7]}
	for i := range 200000 {
		listed = append(listed, fmt.Sprintf("nope-%d", i))
	}
	if got := s.Find(Filter{IDs: listed}); len(got) != 2 || got[0].ID != ids[3] || got[1].ID != ids[7] {
		t.Fatalf("find by %d ids: %v", len(listed), got)
	}
	done, already, err := s.Invalidate(Filter{IDs: listed}, func(*Key) bool { return true })
	if err != nil || !slices.Equal(done, []string{ids[3], ids[7]}) || already != nil {
		t.Fatalf("invalidate: %v %v %v", done, already, err)
	}
	upd := append([]string{ids[1], ids[3], "nope-1"}, listed[2:]...)
	res, err := s.Update(append(upd, ids[1]), func(*Key) bool { return true }, func(k *Key) { k.Metadata = map[string]any{"v": "two"} })
	if err != nil || !slices.Equal(res.Updated, []string{ids[1]}) || res.Errors[ids[3]] == nil || res.Errors["nope-1"] != ErrKeyNotFound || res.Errors[ids[1]] != nil {
		t.Fatalf("update: %+v %v", res, err)
	}
	if k := s.Find(Filter{IDs: []string{ids[1]}}); len(k) != 1 || k[0].Metadata["v"] != "two" {
		t.Fatalf("updated key: %v", k)
	}
}
