package server

import (
	"context"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// fakeMetadata is a MetadataSource whose Refresh loads next.
type fakeMetadata struct {
	cur, next *authz.Metadata
	fetchedAt time.Time
	refreshes int
}

func (f *fakeMetadata) Snapshot() *authz.Metadata { return f.cur }
func (f *fakeMetadata) FetchedAt() time.Time      { return f.fetchedAt }
func (f *fakeMetadata) Refresh(context.Context) error {
	f.refreshes++
	f.cur, f.fetchedAt = f.next, time.Now()
	return nil
}

func TestExistence(t *testing.T) {
	old := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-1", Aliases: []string{"logs"}}}, []authz.Alias{{Name: "logs", Indices: []string{"logs-1"}}}, nil)
	fresh := authz.NewMetadata([]authz.ConcreteIndex{{Name: "logs-1"}, {Name: "logs-2"}}, nil, []authz.DataStream{{Name: "ds", Indices: []string{".ds-ds-1"}}})
	for _, tc := range []struct {
		name       string
		age        time.Duration // of the snapshot at hand
		ask        string
		want       bool
		refreshes  int
		wantCreate bool
	}{
		{"an index the snapshot has", time.Minute, "logs-1", true, 0, false},
		{"an alias the snapshot has", time.Minute, "logs", true, 0, false},
		{"an index created since: read again", time.Minute, "logs-2", true, 1, false},
		{"a data stream created since", time.Minute, "ds", true, 1, false},
		{"missing even after a refresh: the write creates it", time.Minute, "new", false, 1, true},
		{"a recent snapshot is not read again", time.Millisecond, "logs-2", false, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md := &fakeMetadata{cur: old, next: fresh, fetchedAt: time.Now().Add(-tc.age)}
			e := newExistence(context.Background(), md, md.Snapshot())
			if got := e.has(tc.ask); got != tc.want {
				t.Errorf("has(%q) = %v, want %v", tc.ask, got, tc.want)
			}
			e.has(tc.ask) // asking again never fetches again
			if md.refreshes != tc.refreshes || e.creates != tc.wantCreate {
				t.Errorf("%d refreshes, creates=%v; want %d, %v", md.refreshes, e.creates, tc.refreshes, tc.wantCreate)
			}
			before := md.refreshes
			e.afterWrite()
			if got := md.refreshes - before; (got == 1) != tc.wantCreate {
				t.Errorf("afterWrite fetched %d times; want a fetch only when the write may create an index", got)
			}
		})
	}
	var none *existence
	if !none.has("anything") || !newExistence(context.Background(), nil, nil).has("anything") {
		t.Error("without metadata every name must count as existing (names judged by name)")
	}
}
