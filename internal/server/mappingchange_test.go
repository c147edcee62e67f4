package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
)

type countingMappings struct{ invalidated int }

func (m *countingMappings) Get(context.Context, []string, time.Time) (map[string]*fls.Mapping, error) {
	return nil, nil
}

func (m *countingMappings) Invalidate() { m.invalidated++ }

// TestForgetMappingsAfter: the requests that can change an existing
// index's mapping, or replace the index under its name, drop the cached
// mappings; reads and document writes keep them.
func TestForgetMappingsAfter(t *testing.T) {
	for action, want := range map[string]bool{
		"indices:admin/mapping/put":        true,
		"indices:admin/delete":             true,
		"indices:admin/create":             true,
		"indices:admin/resize":             true,
		"indices:admin/data_stream/delete": true,
		"cluster:admin/snapshot/restore":   true,
		"indices:data/read/search":         false,
		"indices:data/write/bulk":          false,
		"indices:admin/mappings/get":       false,
	} {
		m := &countingMappings{}
		w := httptest.NewRecorder()
		fw := forgettingMappings(&Restrictions{Mappings: m}, action, w)
		if m.invalidated != 0 {
			t.Fatalf("%s: invalidated before the answer", action)
		}
		fw.WriteHeader(http.StatusOK)
		_, _ = fw.Write([]byte("{}"))
		if got := m.invalidated == 1; got != want {
			t.Errorf("%s: invalidated %d times, want %v", action, m.invalidated, want)
		}
	}
	w := httptest.NewRecorder() // no restriction stage: nothing to forget
	if got := forgettingMappings(nil, "indices:admin/mapping/put", w); got != http.ResponseWriter(w) {
		t.Fatal("a writer without a restriction stage was wrapped")
	}
}
