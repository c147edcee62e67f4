package upstream

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// Defaults of MetadataCacheConfig.
const (
	DefaultMetadataInterval = 5 * time.Second
	DefaultMetadataTimeout  = 10 * time.Second
	DefaultMetadataMaxBody  = 256 << 20
)

// MetadataFetchFunc sends GET path (a path with its query string, such as
// "/_alias?expand_wildcards=all") to a node of the cluster and returns the
// response; the cache closes its body. The caller of NewMetadataCache wires
// it to the node pool, with the proxy's own credentials.
type MetadataFetchFunc func(ctx context.Context, path string) (*http.Response, error)

// MetadataCacheConfig tunes a MetadataCache. Zero fields select the
// defaults.
type MetadataCacheConfig struct {
	// Interval is the time between periodic refreshes (Run).
	Interval time.Duration
	// Timeout bounds one refresh (all its requests).
	Timeout time.Duration
	// MaxBody bounds each response body read, in bytes.
	MaxBody int64
}

// MetadataCache holds the cluster's index namespace (indices, aliases, data
// streams: authz.Metadata) for index name resolution, refreshed
// periodically and on demand.
//
// The cluster has no security, so the cache asks it directly. It uses
// endpoints that Elasticsearch 7.17/8.x/9.x and OpenSearch 1.x/2.x answer
// alike:
//
//   - GET /_cluster/state/metadata, filtered to each index's state, hidden
//     setting, system flag and alias names, and to the data stream metadata
//     (backing and failure-store indices, hidden and system flags, data
//     stream aliases). One consistent snapshot of the namespace.
//   - GET /_alias?expand_wildcards=all, filtered to is_write_index and
//     is_hidden: the cluster state API lists alias names only. This part is
//     best effort; without it aliases count as visible and write indices
//     are unknown.
//   - GET /, filtered to the distribution and version: whether the cluster
//     runs search pipelines (OpenSearch 2.9+). Best effort too.
//
// Snapshots are immutable; a refresh that finds the namespace unchanged
// keeps the same *authz.Metadata, so that what evaluators cache per
// snapshot stays valid. A failed refresh keeps the previous snapshot (stale is safe: wildcards
// never expand to names the snapshot lacks, and names it lacks are judged
// by name only) and is reported by Refresh and in the log.
type MetadataCache struct {
	fetch MetadataFetchFunc
	cfg   MetadataCacheConfig
	log   *zap.Logger

	current atomic.Pointer[metadataState]

	// sem serialises refreshes (a channel, so that waiting honours ctx).
	sem chan struct{}
	// requested counts Refresh calls; served is the count a finished
	// refresh covered (guarded by sem): calls numbered up to served were
	// all made before a refresh that has completed started.
	requested atomic.Uint64
	served    uint64
	lastErr   error
	// versions are the indices' mapping versions (mappingversions.go).
	versions atomic.Pointer[mappingVersions]
}

// metadataState is one snapshot, when it was fetched, and a digest of the
// responses it was built from.
type metadataState struct {
	md        *authz.Metadata
	fetchedAt time.Time
	digest    [sha256.Size]byte
}

// NewMetadataCache returns a cache that fetches through fetch. It holds an
// empty snapshot until the first refresh succeeds.
func NewMetadataCache(fetch MetadataFetchFunc, cfg MetadataCacheConfig, log *zap.Logger) *MetadataCache {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultMetadataInterval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultMetadataTimeout
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMetadataMaxBody
	}
	if log == nil {
		log = zap.NewNop()
	}
	c := &MetadataCache{fetch: fetch, cfg: cfg, log: log, sem: make(chan struct{}, 1)}
	c.current.Store(&metadataState{md: authz.NewMetadata(nil, nil, nil)})
	return c
}

// Snapshot returns the current snapshot, never nil.
func (c *MetadataCache) Snapshot() *authz.Metadata { return c.current.Load().md }

// Ready reports whether a refresh has succeeded yet.
func (c *MetadataCache) Ready() bool { return !c.current.Load().fetchedAt.IsZero() }

// FetchedAt returns when the current snapshot was fetched (zero before the
// first success).
func (c *MetadataCache) FetchedAt() time.Time { return c.current.Load().fetchedAt }

// Refresh fetches a new snapshot and installs it. Call it after a request
// that changed the namespace (index created or deleted, alias changed,
// rollover): when it returns nil, the snapshot was fetched after the call
// began. Concurrent calls share a fetch whenever that holds.
func (c *MetadataCache) Refresh(ctx context.Context) error {
	ticket := c.requested.Add(1)
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.sem }()
	if c.served >= ticket {
		return c.lastErr // a refresh that started after this call has finished
	}
	covers := c.requested.Load()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	prev := c.current.Load()
	md, digest, err := c.load(ctx, prev)
	c.served, c.lastErr = covers, err
	if err != nil {
		c.log.Warn("cluster metadata refresh failed; keeping the previous snapshot", zap.Error(err),
			zap.Time("snapshot_fetched_at", prev.fetchedAt))
		return err
	}
	// An unchanged namespace keeps its snapshot, so that what decisions
	// cache per snapshot stays warm.
	c.current.Store(&metadataState{md: md, fetchedAt: time.Now(), digest: digest})
	c.refreshMappingVersions(ctx)
	return nil
}

// Run refreshes at once, then every Interval, until ctx is done.
func (c *MetadataCache) Run(ctx context.Context) {
	_ = c.Refresh(ctx) // failures are logged by Refresh
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = c.Refresh(ctx)
		}
	}
}

// The requests a refresh sends.
const (
	clusterStatePath = "/_cluster/state/metadata?filter_path=" +
		"metadata.indices.*.state,metadata.indices.*.settings.index.hidden,metadata.indices.*.system," +
		"metadata.indices.*.settings.index.search.default_pipeline," +
		"metadata.indices.*.settings.index.default_pipeline,metadata.indices.*.settings.index.final_pipeline," +
		"metadata.indices.*.aliases,metadata.data_stream"
	aliasFlagsPath = "/_alias?expand_wildcards=all&filter_path=*.aliases.*.is_write_index,*.aliases.*.is_hidden"
	rootPath       = "/?filter_path=version.distribution,version.number"
)

// load fetches and parses one snapshot; when the responses are those prev
// was built from, it returns prev's snapshot.
func (c *MetadataCache) load(ctx context.Context, prev *metadataState) (*authz.Metadata, [sha256.Size]byte, error) {
	var digest [sha256.Size]byte
	body, err := c.get(ctx, clusterStatePath)
	if err != nil {
		return nil, digest, err
	}
	ns, err := parseClusterState(body)
	if err != nil {
		return nil, digest, fmt.Errorf("cluster state: %w", err)
	}
	h := sha256.New()
	h.Write(body)
	h.Write([]byte{0})
	if flags, err := c.get(ctx, aliasFlagsPath); err != nil {
		c.log.Debug("alias flags unavailable; aliases count as visible", zap.Error(err))
	} else if err := ns.applyAliasFlags(flags); err != nil {
		c.log.Debug("alias flags unreadable; aliases count as visible", zap.Error(err))
	} else {
		h.Write(flags)
	}
	// Whether the cluster runs search pipelines (which act after the
	// proxy). Unknown counts as no: an index that names a default pipeline
	// still says so (authz.Metadata.SearchPipelines).
	pipelines := false
	h.Write([]byte{0})
	if root, err := c.get(ctx, rootPath); err != nil {
		c.log.Debug("cluster version unavailable", zap.Error(err))
	} else if pipelines, err = runsSearchPipelines(root); err != nil {
		c.log.Debug("cluster version unreadable", zap.Error(err))
	} else {
		h.Write(root)
	}
	h.Sum(digest[:0])
	if !prev.fetchedAt.IsZero() && digest == prev.digest {
		return prev.md, digest, nil
	}
	return ns.metadata().WithSearchPipelines(pipelines), digest, nil
}

// errBodyTooLarge: a response exceeded MaxBody.
var errBodyTooLarge = errors.New("response body exceeds the configured limit")

// get sends one request and returns the body of its 200 response.
func (c *MetadataCache) get(ctx context.Context, path string) ([]byte, error) {
	resp, err := c.fetch(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", trimQuery(path), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("GET %s: status %d", trimQuery(path), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the body: %w", trimQuery(path), err)
	}
	if int64(len(body)) > c.cfg.MaxBody {
		return nil, fmt.Errorf("GET %s: %w (%d bytes)", trimQuery(path), errBodyTooLarge, c.cfg.MaxBody)
	}
	return body, nil
}

// trimQuery drops the query string, for error messages.
func trimQuery(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}
