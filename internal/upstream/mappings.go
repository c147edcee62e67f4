package upstream

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults of MappingCache.
const (
	DefaultMappingTTL     = 30 * time.Second
	DefaultMappingMaxBody = 64 << 20
	// mappingBatch bounds the indices named in one GET _mapping, keeping
	// its URL well under the cluster's 4 KB initial-line limit for typical
	// names.
	mappingBatch = 64
)

// MappingParseFunc turns the body of GET /<indices>/_mapping into one
// value per concrete index.
type MappingParseFunc[T any] func(body []byte) (map[string]T, error)

// MappingCache loads index mappings on demand, for field-level security
// (which needs to know multi-fields, aliases and copy_to targets), and
// keeps them for a TTL. Entries are per concrete index; a request for
// indices the cache lacks, or holds for longer than the caller accepts,
// fetches only those.
type MappingCache[T any] struct {
	fetch   MetadataFetchFunc
	parse   MappingParseFunc[T]
	ttl     time.Duration
	maxBody int64

	mu      sync.Mutex
	entries map[string]mappingEntry[T]
	// gen counts Invalidate calls: a fetch that an Invalidate overtook
	// may hold the mapping from before the change, and is not kept.
	gen uint64
	// version gives an index's current mapping version (nil, or false:
	// unknown); see SetVersions.
	version func(index string) (string, bool)
}

type mappingEntry[T any] struct {
	value     T
	fetchedAt time.Time
	// version is the index's mapping version when the fetch began ("":
	// unknown).
	version string
}

// SetVersions gives the cache the indices' current mapping versions
// (MetadataCache.MappingVersion): an entry fetched under another version
// than the current one is fetched again, TTL or not. Call it before the
// cache is used.
func (c *MappingCache[T]) SetVersions(version func(index string) (string, bool)) {
	c.version = version
}

// currentVersion is index's mapping version, "" when unknown.
func (c *MappingCache[T]) currentVersion(index string) string {
	if c.version == nil {
		return ""
	}
	v, _ := c.version(index)
	return v
}

// NewMappingCache returns an empty cache; ttl <= 0 selects DefaultMappingTTL.
func NewMappingCache[T any](fetch MetadataFetchFunc, parse MappingParseFunc[T], ttl time.Duration) *MappingCache[T] {
	if ttl <= 0 {
		ttl = DefaultMappingTTL
	}
	return &MappingCache[T]{fetch: fetch, parse: parse, ttl: ttl, maxBody: DefaultMappingMaxBody, entries: map[string]mappingEntry[T]{}}
}

// Get returns the mappings of the given concrete indices, fetching those
// missing, older than the TTL, or fetched before notBefore (the zero time
// accepts any age within the TTL). An index the cluster does not have is
// absent from the result.
func (c *MappingCache[T]) Get(ctx context.Context, indices []string, notBefore time.Time) (map[string]T, error) {
	out := make(map[string]T, len(indices))
	var stale []string
	now := time.Now()
	c.mu.Lock()
	versions := make(map[string]string, len(indices))
	for _, idx := range indices {
		v := c.currentVersion(idx)
		versions[idx] = v
		e, ok := c.entries[idx]
		if ok && now.Sub(e.fetchedAt) < c.ttl && !e.fetchedAt.Before(notBefore) && (v == "" || e.version == v) {
			out[idx] = e.value
			continue
		}
		stale = append(stale, idx)
	}
	gen := c.gen
	c.mu.Unlock()
	for start := 0; start < len(stale); start += mappingBatch {
		batch := stale[start:min(start+mappingBatch, len(stale))]
		got, err := c.load(ctx, batch)
		if err != nil {
			return nil, err
		}
		fetchedAt := time.Now()
		c.mu.Lock()
		keep := c.gen == gen
		for idx, v := range got {
			if keep {
				c.entries[idx] = mappingEntry[T]{value: v, fetchedAt: fetchedAt, version: versions[idx]}
			}
			out[idx] = v
		}
		c.mu.Unlock()
	}
	return out, nil
}

// Invalidate drops every cached mapping (after a request that may have
// changed mappings: put mapping, index creation, templates).
func (c *MappingCache[T]) Invalidate() {
	c.mu.Lock()
	clear(c.entries)
	c.gen++
	c.mu.Unlock()
}

func (c *MappingCache[T]) load(ctx context.Context, indices []string) (map[string]T, error) {
	names := make([]string, len(indices))
	for i, idx := range indices {
		names[i] = url.PathEscape(idx)
	}
	path := "/" + strings.Join(names, ",") + "/_mapping?expand_wildcards=all&ignore_unavailable=true&allow_no_indices=true"
	resp, err := c.fetch(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("load mappings: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("load mappings: %w", err)
	}
	if int64(len(body)) > c.maxBody {
		return nil, fmt.Errorf("load mappings: response larger than %d bytes", c.maxBody)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("load mappings: cluster answered %d", resp.StatusCode)
	}
	return c.parse(body)
}
