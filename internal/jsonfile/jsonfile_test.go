package jsonfile

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

type doc struct {
	N []int `json:"n"`
}

// TestLockedUpdates: concurrent read-modify-write cycles under Lock lose
// nothing, and every change shows in the stamp.
func TestLockedUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.json")
	if _, exists, err := Read(path, &doc{}); exists || err != nil {
		t.Fatalf("missing file: %v %v", exists, err)
	}
	before, _ := StampOf(path)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := Lock(path)
			if err != nil {
				t.Error(err)
				return
			}
			defer unlock()
			var d doc
			if _, _, err := Read(path, &d); err != nil {
				t.Error(err)
				return
			}
			d.N = append(d.N, i)
			if err := Write(path, d); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var d doc
	if _, _, err := Read(path, &d); err != nil || len(d.N) != 20 {
		t.Fatalf("%d of 20 updates kept: %v", len(d.N), err)
	}
	if after, _ := StampOf(path); after == before {
		t.Fatal("the stamp did not change")
	}
	if err := os.WriteFile(path, []byte(`{"n":[],"x":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Read(path, &d); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Fatalf("unknown field: %v", err)
	}
}
