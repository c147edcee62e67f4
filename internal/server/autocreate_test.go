package server

import (
	"context"
	"testing"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
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

// TestDeletesThatCreateIndices: a delete with external versioning makes
// the cluster create a missing index (to keep the version), so it is
// decided as a write that may create one; other deletes create nothing.
func TestDeletesThatCreateIndices(t *testing.T) {
	d := authz.Decision{Indices: []string{"logs-new"}}
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"a plain delete", nil, ""},
		{"internal versioning", map[string]string{"version": "3", "version_type": "internal"}, ""},
		{"external", map[string]string{"version": "3", "version_type": "external"}, "logs-new"},
		{"external_gte", map[string]string{"version": "3", "version_type": "external_gte"}, "logs-new"},
		{"external_gt", map[string]string{"version": "3", "version_type": "external_gt"}, "logs-new"},
		{"a value the cluster refuses is judged as creating", map[string]string{"version_type": "EXTERNAL"}, "logs-new"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &esapi.Classification{API: "delete", Params: esapi.Params{Values: tc.params}}
			if !writesDocuments(c) {
				t.Error("a delete must be checked as a write that may create its index")
			}
			if got := singleDocWriteIndex(c, d); got != tc.want {
				t.Errorf("singleDocWriteIndex = %q, want %q", got, tc.want)
			}
		})
	}
	items, err := esbody.ParseBulk([]byte(`{"delete":{"_index":"a","_id":"1"}}` + "\n" +
		`{"delete":{"_index":"a","_id":"1","version":3,"version_type":"external"}}` + "\n" +
		`{"delete":{"_index":"a","_id":"1","version":3,"version_type":"external_gte"}}` + "\n" +
		`{"delete":{"_index":"a","_id":"1","version_type":"internal"}}` + "\n" +
		`{"delete":{"_index":"a","_id":"1","version_type":null}}` + "\n" +
		`{"index":{"_index":"a","_id":"1"}}` + "\n{}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{false, true, true, false, false, true}
	for i, it := range items {
		if got := bulkItemCreates(it); got != want[i] {
			t.Errorf("item %d (%s %v): bulkItemCreates = %v, want %v", i, it.Op, it.Meta, got, want[i])
		}
	}
}
