package upstream

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fakeMappings answers GET /<indices>/_mapping with one entry per named
// index (except "gone"), recording the paths asked for.
type fakeMappings struct{ paths []string }

func (f *fakeMappings) fetch(_ context.Context, path string) (*http.Response, error) {
	f.paths = append(f.paths, path)
	names := strings.Split(strings.TrimPrefix(path[:strings.Index(path, "/_mapping")], "/"), ",")
	out := map[string]any{}
	for _, n := range names {
		if n != "gone" {
			out[n] = map[string]any{"mappings": map[string]any{}}
		}
	}
	b, _ := json.Marshal(out)
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(string(b)))}, nil
}

func parseNames(body []byte) (map[string]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k := range m {
		out[k] = "mapping of " + k
	}
	return out, nil
}

func TestMappingCacheFetchesOnlyWhatItLacks(t *testing.T) {
	f := &fakeMappings{}
	c := NewMappingCache(f.fetch, parseNames, time.Hour)
	ctx := context.Background()

	got, err := c.Get(ctx, []string{"a", "b", "gone"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got["a"] != "mapping of a" || got["b"] != "mapping of b" || len(got) != 2 {
		t.Fatalf("first Get = %v", got)
	}
	if _, err := c.Get(ctx, []string{"a", "c"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if len(f.paths) != 2 || !strings.HasPrefix(f.paths[1], "/c/_mapping?") {
		t.Fatalf("second Get should fetch only c; paths = %v", f.paths)
	}
	// A caller that needs mappings newer than now refetches.
	if _, err := c.Get(ctx, []string{"a"}, time.Now().Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if len(f.paths) != 3 || !strings.HasPrefix(f.paths[2], "/a/_mapping?") {
		t.Fatalf("notBefore should force a refetch; paths = %v", f.paths)
	}
	c.Invalidate()
	if _, err := c.Get(ctx, []string{"b"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if len(f.paths) != 4 {
		t.Fatalf("Invalidate should force a refetch; paths = %v", f.paths)
	}
}

func TestMappingCacheBatchesAndEscapes(t *testing.T) {
	f := &fakeMappings{}
	c := NewMappingCache(f.fetch, parseNames, time.Hour)
	var names []string
	for i := 0; i < mappingBatch+3; i++ {
		names = append(names, "idx-"+strings.Repeat("x", i%3)+string(rune('a'+i%26)))
	}
	names = append(names, "odd name")
	if _, err := c.Get(context.Background(), names, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if len(f.paths) != 2 {
		t.Fatalf("want 2 batched fetches, got %d", len(f.paths))
	}
	if !strings.Contains(f.paths[1], "odd%20name") {
		t.Fatalf("index names must be escaped: %s", f.paths[1])
	}
}

func TestMappingCacheFailsOnClusterError(t *testing.T) {
	c := NewMappingCache(func(context.Context, string) (*http.Response, error) {
		return &http.Response{StatusCode: 503, Body: io.NopCloser(strings.NewReader("{}"))}, nil
	}, parseNames, time.Hour)
	if _, err := c.Get(context.Background(), []string{"a"}, time.Time{}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("want an error naming the status, got %v", err)
	}
}

// TestMappingCacheInvalidateDuringFetch: a mapping fetched before an
// Invalidate (a put mapping answered while the fetch was under way) is
// returned to its caller but not kept: the next Get fetches again, instead
// of serving the old mapping for the whole TTL.
func TestMappingCacheInvalidateDuringFetch(t *testing.T) {
	f := &fakeMappings{}
	var c *MappingCache[string]
	fetch := func(ctx context.Context, path string) (*http.Response, error) {
		if len(f.paths) == 0 {
			c.Invalidate() // the mapping changes while the first fetch is answered
		}
		return f.fetch(ctx, path)
	}
	c = NewMappingCache(fetch, parseNames, time.Hour)
	ctx := context.Background()
	if _, err := c.Get(ctx, []string{"a"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, []string{"a"}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if len(f.paths) != 2 {
		t.Fatalf("a mapping fetched across an Invalidate was kept; paths = %v", f.paths)
	}
}

// TestMappingCacheFollowsMappingVersions: a cached mapping is used only
// while the index's mapping version (uuid and mapping_version, as the
// periodic metadata refresh last saw them) is the one it was fetched
// under: a field alias added through another replica, or an index
// deleted and created again there, is seen at the next metadata refresh
// instead of when the TTL ends.
func TestMappingCacheFollowsMappingVersions(t *testing.T) {
	f := &fakeMappings{}
	version := "uuid-a/1"
	c := NewMappingCache(f.fetch, parseNames, time.Hour)
	c.SetVersions(func(index string) (string, bool) {
		if index != "a" {
			return "", false
		}
		return version, true
	})
	ctx := context.Background()
	get := func(names ...string) {
		t.Helper()
		if _, err := c.Get(ctx, names, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	get("a", "b")
	get("a", "b")
	if len(f.paths) != 1 {
		t.Fatalf("unchanged versions refetched; paths = %v", f.paths)
	}
	version = "uuid-a/2" // a mapping change another replica made
	get("a", "b")
	if len(f.paths) != 2 || !strings.HasPrefix(f.paths[1], "/a/_mapping?") {
		t.Fatalf("a new mapping version did not refetch the index (only); paths = %v", f.paths)
	}
	version = "uuid-c/1" // deleted and created again
	get("a")
	if len(f.paths) != 3 {
		t.Fatalf("a new index uuid did not refetch; paths = %v", f.paths)
	}
}

// TestParseMappingVersions: the cluster state's uuid and mapping_version
// of each index.
func TestParseMappingVersions(t *testing.T) {
	v, err := parseMappingVersions([]byte(`{"metadata":{"indices":{"a":{"mapping_version":3,"settings":{"index":{"uuid":"U1"}}},"b":{"mapping_version":1}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if v["a"] != "U1/3" || v["b"] != "/1" || len(v) != 2 {
		t.Fatalf("versions %v", v)
	}
	if v, err := parseMappingVersions([]byte(`{}`)); err != nil || len(v) != 0 {
		t.Fatalf("empty cluster: %v %v", v, err)
	}
}
