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
