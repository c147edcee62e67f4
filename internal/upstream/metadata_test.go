package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// openSearchClusterState is GET /_cluster/state/metadata as OpenSearch 2.19
// answers it for the security corpus fixture (seed.sh), unfiltered (a
// filter_path the node ignored must not matter), plus a closed index and a
// system index. Mappings are abridged.
const openSearchClusterState = `{
  "cluster_name": "docker-cluster",
  "cluster_uuid": "Zq1dW2XnQWmH3k2dFcV0bg",
  "metadata": {
    "cluster_uuid": "Zq1dW2XnQWmH3k2dFcV0bg",
    "cluster_uuid_committed": true,
    "cluster_coordination": {"term": 1, "last_committed_config": ["p2GmH0XJQZ2lUv0s8q3zcg"],
      "last_accepted_config": ["p2GmH0XJQZ2lUv0s8q3zcg"], "voting_config_exclusions": []},
    "templates": {},
    "indices": {
      "logs-acme-2024": {
        "version": 9, "mapping_version": 1, "settings_version": 1, "aliases_version": 4, "routing_num_shards": 1024,
        "state": "open",
        "settings": {"index": {"creation_date": "1718000000000", "number_of_shards": "1", "number_of_replicas": "0",
          "uuid": "mF3sY0l2Tq2W1h6w8o4b6A", "version": {"created": "136387927"}, "provided_name": "logs-acme-2024"}},
        "mappings": {"_doc": {"properties": {"tenant": {"type": "keyword"}}}},
        "aliases": ["everything", "logs-acme-view", "logs-all"],
        "primary_terms": {"0": 1},
        "in_sync_allocations": {"0": ["o2b5mX3gQ1u3Yw8q7Jc6sA"]},
        "rollover_info": {},
        "system": false
      },
      "logs-globex-2024": {"state": "open", "settings": {"index": {"number_of_shards": "1"}},
        "aliases": ["everything", "logs-all"], "system": false},
      "hr-payroll": {"state": "open", "settings": {"index": {"number_of_shards": "1"}},
        "aliases": ["everything", "logs-payroll-alias"], "system": false},
      "logs-alerts": {"state": "open", "settings": {"index": {}}, "aliases": [], "system": false},
      "logs-join-2024": {"state": "open", "settings": {"index": {}}, "aliases": [], "system": false},
      "logs-acme-sandbox": {"state": "open", "settings": {"index": {}}, "aliases": [], "system": false},
      "logs-acme-dbq": {"state": "open", "settings": {"index": {}}, "aliases": [], "system": false},
      ".secret-hidden": {"state": "open", "settings": {"index": {"hidden": "true", "number_of_shards": "1"}},
        "aliases": ["secret-view"], "system": false},
      ".ds-payroll-stream-000001": {"state": "open", "settings": {"index": {"hidden": "true"}}, "aliases": [], "system": false},
      "logs-old-2023": {"state": "close", "settings": {"index": {"verified_before_close": "true"}}, "aliases": [], "system": false},
      ".plugins-ml-config": {"state": "open", "settings": {"index": {"hidden": "true"}}, "aliases": [], "system": true}
    },
    "index-graveyard": {"tombstones": []},
    "data_stream": {
      "data_stream": {
        "payroll-stream": {"name": "payroll-stream", "timestamp_field": {"name": "@timestamp"},
          "indices": [{"index_name": ".ds-payroll-stream-000001", "index_uuid": "c0dD4j6YQ9yv0yJgq8hWkA"}], "generation": 1}
      }
    },
    "repositories": {}
  }
}`

// openSearchAliases is GET /_alias?expand_wildcards=all (OpenSearch 2.19),
// unfiltered.
const openSearchAliases = `{
  "logs-acme-2024": {"aliases": {"everything": {}, "logs-acme-view": {"filter": {"term": {"tenant": "acme"}}}, "logs-all": {}}},
  "logs-globex-2024": {"aliases": {"everything": {}, "logs-all": {}}},
  "hr-payroll": {"aliases": {"everything": {}, "logs-payroll-alias": {"is_write_index": true}}},
  ".secret-hidden": {"aliases": {"secret-view": {"is_hidden": true}}},
  "logs-alerts": {"aliases": {}},
  "unknown-to-cluster-state": {"aliases": {"late-alias": {"is_hidden": true}}}
}`

// elasticsearchClusterState is the same request answered by Elasticsearch
// 8.x, filtered as the cache asks: data streams carry hidden, system and
// failure-store indices, and data stream aliases exist.
const elasticsearchClusterState = `{"metadata":{"indices":{
  "logs-a":{"state":"open","settings":{"index":{}},"aliases":["logs"],"system":false},
  ".ds-metrics-app-2024.03.01-000001":{"state":"open","settings":{"index":{"hidden":"true"}},"aliases":[],"system":false},
  ".ds-metrics-app-2024.03.02-000002":{"state":"open","settings":{"index":{}},"aliases":[],"system":false},
  ".fs-metrics-app-2024.03.02-000003":{"state":"open","settings":{"index":{"hidden":"true"}},"aliases":[],"system":false},
  ".ds-.fleet-actions-results-2024.03.01-000001":{"state":"open","settings":{"index":{"hidden":"true"}},"aliases":[],"system":true},
  ".security-7":{"state":"open","settings":{"index":{"hidden":"true"}},"aliases":[".security"],"system":true}},
 "data_stream":{"data_stream":{
  "metrics-app":{"name":"metrics-app","timestamp_field":{"name":"@timestamp"},
    "indices":[{"index_name":".ds-metrics-app-2024.03.01-000001","index_uuid":"a"},{"index_name":".ds-metrics-app-2024.03.02-000002","index_uuid":"b"}],
    "generation":3,"hidden":false,"replicated":false,"system":false,"allow_custom_routing":false,"failure_store":true,
    "failure_indices":[{"index_name":".fs-metrics-app-2024.03.02-000003","index_uuid":"c"}],"rollover_on_write":false},
  ".fleet-actions-results":{"name":".fleet-actions-results","timestamp_field":{"name":"@timestamp"},
    "indices":[{"index_name":".ds-.fleet-actions-results-2024.03.01-000001","index_uuid":"d"}],
    "generation":1,"hidden":true,"system":true}},
  "data_stream_aliases":{"metrics":{"data_streams":["metrics-app"],"write_data_stream":"metrics-app"}}}}}`

// fakeCluster serves recorded bodies by path.
type fakeCluster struct {
	*httptest.Server
	mu     sync.Mutex
	bodies map[string]string // path -> body; a missing path answers 404
	status int               // when non-zero, every answer has it
	hits   map[string]int
	block  chan struct{} // when set, cluster state requests wait on it
}

func newFakeCluster(t *testing.T, state, aliases string) *fakeCluster {
	t.Helper()
	f := &fakeCluster{bodies: map[string]string{"/_cluster/state/metadata": state, "/_alias": aliases}, hits: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeCluster) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	body, ok := f.bodies[r.URL.Path]
	status, block := f.status, f.block
	f.mu.Unlock()
	if block != nil && r.URL.Path == "/_cluster/state/metadata" {
		<-block
	}
	switch {
	case r.Method != http.MethodGet || (r.URL.RequestURI() != clusterStatePath && r.URL.RequestURI() != aliasFlagsPath && r.URL.RequestURI() != rootPath && r.URL.RequestURI() != mappingVersionsPath):
		http.Error(w, `{"error":"unexpected request"}`, http.StatusBadRequest)
	case status != 0:
		w.WriteHeader(status)
	case !ok:
		http.NotFound(w, r)
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}
}

func (f *fakeCluster) set(fn func(f *fakeCluster)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeCluster) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// fetcher is a MetadataFetchFunc against the fake cluster.
func (f *fakeCluster) fetcher() MetadataFetchFunc {
	return func(ctx context.Context, path string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL+path, nil)
		if err != nil {
			return nil, err
		}
		return f.Client().Do(req)
	}
}

func TestMetadataCacheOpenSearch(t *testing.T) {
	f := newFakeCluster(t, openSearchClusterState, openSearchAliases)
	c := NewMetadataCache(f.fetcher(), MetadataCacheConfig{}, zaptest.NewLogger(t))
	if c.Ready() || c.Snapshot() == nil || c.Snapshot().Len() != 0 || !c.FetchedAt().IsZero() {
		t.Fatal("a new cache must hold an empty snapshot")
	}
	if err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	md := c.Snapshot()
	if !c.Ready() || c.FetchedAt().IsZero() {
		t.Fatal("not ready after a successful refresh")
	}
	want := []string{".ds-payroll-stream-000001", ".plugins-ml-config", ".secret-hidden", "everything", "hr-payroll",
		"logs-acme-2024", "logs-acme-dbq", "logs-acme-sandbox", "logs-acme-view", "logs-alerts", "logs-all", "logs-globex-2024",
		"logs-join-2024", "logs-old-2023", "logs-payroll-alias", "payroll-stream", "secret-view"}
	if got := md.Names(); !slices.Equal(got, want) {
		t.Fatalf("names\n got %q\nwant %q", got, want)
	}
	checkIndex(t, md, "logs-acme-2024", authz.ConcreteIndex{Name: "logs-acme-2024", Aliases: []string{"everything", "logs-acme-view", "logs-all"}})
	checkIndex(t, md, ".secret-hidden", authz.ConcreteIndex{Name: ".secret-hidden", Hidden: true, Aliases: []string{"secret-view"}})
	checkIndex(t, md, "logs-old-2023", authz.ConcreteIndex{Name: "logs-old-2023", Closed: true})
	checkIndex(t, md, ".plugins-ml-config", authz.ConcreteIndex{Name: ".plugins-ml-config", Hidden: true, System: true})
	checkIndex(t, md, ".ds-payroll-stream-000001", authz.ConcreteIndex{Name: ".ds-payroll-stream-000001", Hidden: true, DataStream: "payroll-stream"})
	if a, _ := md.Alias("everything"); !slices.Equal(a.Indices, []string{"hr-payroll", "logs-acme-2024", "logs-globex-2024"}) || a.Hidden {
		t.Fatalf("everything: %+v", a)
	}
	if a, _ := md.Alias("logs-payroll-alias"); a.WriteIndex != "hr-payroll" {
		t.Fatalf("write index: %+v", a)
	}
	if a, _ := md.Alias("secret-view"); !a.Hidden {
		t.Fatalf("hidden alias: %+v", a)
	}
	if _, ok := md.Alias("late-alias"); ok {
		t.Fatal("alias membership must come from the cluster state only")
	}
	if ds, _ := md.DataStream("payroll-stream"); !slices.Equal(ds.Indices, []string{".ds-payroll-stream-000001"}) || ds.Hidden {
		t.Fatalf("data stream: %+v", ds)
	}

	// The snapshot drives authorization: alice (logs-*) searching "*".
	rs, probs := authz.ParseRoles("roles.yml", []byte("acme_reader:\n  indices:\n    - names: ['logs-*']\n      privileges: [read]\n"))
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	d := authz.NewEvaluator(rs).Decide(authz.Request{User: "alice", Roles: []string{"acme_reader"},
		Action: "indices:data/read/search", Indices: []string{"*"}, Metadata: md})
	if wantNames := []string{"logs-acme-2024", "logs-acme-dbq", "logs-acme-sandbox", "logs-acme-view", "logs-alerts", "logs-all",
		"logs-globex-2024", "logs-join-2024", "logs-payroll-alias"}; !d.Allowed || !slices.Equal(d.Indices, wantNames) {
		t.Fatalf("alice *: %v %q (%s)", d.Allowed, d.Indices, d.Reason)
	}
}

func TestMetadataCacheElasticsearch(t *testing.T) {
	f := newFakeCluster(t, elasticsearchClusterState, `{}`)
	c := NewMetadataCache(f.fetcher(), MetadataCacheConfig{}, zaptest.NewLogger(t))
	if err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	md := c.Snapshot()
	checkIndex(t, md, ".ds-metrics-app-2024.03.02-000002",
		authz.ConcreteIndex{Name: ".ds-metrics-app-2024.03.02-000002", Hidden: true, DataStream: "metrics-app"})
	checkIndex(t, md, ".fs-metrics-app-2024.03.02-000003",
		authz.ConcreteIndex{Name: ".fs-metrics-app-2024.03.02-000003", Hidden: true, DataStream: "metrics-app", FailureStore: true})
	ds, _ := md.DataStream(".fleet-actions-results")
	if !ds.Hidden || !ds.System {
		t.Fatalf("system data stream: %+v", ds)
	}
	if a, _ := md.Alias("metrics"); !slices.Equal(a.DataStreams, []string{"metrics-app"}) || a.WriteIndex != "metrics-app" {
		t.Fatalf("data stream alias: %+v", a)
	}
	if got := md.ConcreteIndices("metrics"); !slices.Equal(got, []string{".ds-metrics-app-2024.03.01-000001", ".ds-metrics-app-2024.03.02-000002"}) {
		t.Fatalf("data stream alias reaches %q", got)
	}
	for _, name := range []string{".security", ".security-7", ".fleet-actions-results", ".ds-.fleet-actions-results-2024.03.01-000001"} {
		if !md.IsRestricted(name) {
			t.Errorf("%s is not restricted", name)
		}
	}
}

func checkIndex(t *testing.T, md *authz.Metadata, name string, want authz.ConcreteIndex) {
	t.Helper()
	got, ok := md.Index(name)
	if !ok {
		t.Fatalf("no index %q", name)
	}
	if got.Name != want.Name || got.Hidden != want.Hidden || got.Closed != want.Closed || got.System != want.System ||
		got.DataStream != want.DataStream || got.FailureStore != want.FailureStore || !slices.Equal(got.Aliases, want.Aliases) {
		t.Fatalf("index %s\n got %+v\nwant %+v", name, got, want)
	}
}

func TestMetadataCacheFailures(t *testing.T) {
	f := newFakeCluster(t, openSearchClusterState, openSearchAliases)
	c := NewMetadataCache(f.fetcher(), MetadataCacheConfig{MaxBody: 1 << 20}, zaptest.NewLogger(t))
	if err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	good, at := c.Snapshot(), c.FetchedAt()
	for _, tc := range []struct {
		name string
		set  func(f *fakeCluster)
		err  string
	}{
		{name: "server error", set: func(f *fakeCluster) { f.status = 500 }, err: "GET /_cluster/state/metadata: status 500"},
		{name: "not JSON", set: func(f *fakeCluster) { f.bodies["/_cluster/state/metadata"] = "<html>" }, err: "cluster state: invalid character"},
		{name: "bad state", set: func(f *fakeCluster) {
			f.bodies["/_cluster/state/metadata"] = `{"metadata":{"indices":{"x":{"state":"frozen"}}}}`
		}, err: "cluster state: index [x] has unknown state [frozen]"},
		{name: "bad hidden", set: func(f *fakeCluster) {
			f.bodies["/_cluster/state/metadata"] = `{"metadata":{"indices":{"x":{"settings":{"index":{"hidden":"maybe"}}}}}}`
		}, err: "cluster state: not a boolean"},
		{name: "too large", set: func(f *fakeCluster) {
			f.bodies["/_cluster/state/metadata"] = `{"pad":"` + strings.Repeat("x", 1<<20) + `"}`
		}, err: "response body exceeds the configured limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.set(func(f *fakeCluster) {
				f.status = 0
				f.bodies["/_cluster/state/metadata"] = openSearchClusterState
				tc.set(f)
			})
			err := c.Refresh(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if c.Snapshot() != good || c.FetchedAt() != at {
				t.Fatal("a failed refresh replaced the snapshot")
			}
		})
	}
	f.set(func(f *fakeCluster) { f.status = 0; f.bodies["/_cluster/state/metadata"] = openSearchClusterState })
	if err := c.Refresh(context.Background()); err != nil || c.Snapshot() != good || !c.FetchedAt().After(at) {
		t.Fatalf("recovery: %v (an unchanged namespace keeps its snapshot, fetched anew)", err)
	}
	f.set(func(f *fakeCluster) { f.bodies["/_alias"] = `{}` })
	if err := c.Refresh(context.Background()); err != nil || c.Snapshot() == good {
		t.Fatalf("a changed namespace must give a new snapshot: %v", err)
	}
}

func TestMetadataCacheAliasFlagsAreBestEffort(t *testing.T) {
	f := newFakeCluster(t, openSearchClusterState, "")
	f.set(func(f *fakeCluster) { delete(f.bodies, "/_alias") })
	c := NewMetadataCache(f.fetcher(), MetadataCacheConfig{}, zaptest.NewLogger(t))
	if err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a, ok := c.Snapshot().Alias("secret-view"); !ok || a.Hidden {
		t.Fatalf("without flags the alias is known and visible: %+v", a)
	}
	f.set(func(f *fakeCluster) { f.bodies["/_alias"] = "not json" })
	if err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestMetadataCacheFetchError(t *testing.T) {
	boom := errors.New("no node available")
	c := NewMetadataCache(func(context.Context, string) (*http.Response, error) { return nil, boom }, MetadataCacheConfig{}, zaptest.NewLogger(t))
	if err := c.Refresh(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if c.Ready() || c.Snapshot().Len() != 0 {
		t.Fatal("failed first refresh must leave the empty snapshot")
	}
}

// Refresh after a change must see a fetch that started after the call;
// concurrent callers share fetches.
func TestMetadataCacheRefreshCoalesces(t *testing.T) {
	f := newFakeCluster(t, openSearchClusterState, openSearchAliases)
	c := NewMetadataCache(f.fetcher(), MetadataCacheConfig{}, zaptest.NewLogger(t))
	for range 3 {
		if err := c.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count("/_cluster/state/metadata"); n != 3 {
		t.Fatalf("sequential refreshes fetched %d times, want 3", n)
	}

	block := make(chan struct{})
	f.set(func(f *fakeCluster) { f.block = block })
	first := make(chan error)
	go func() { first <- c.Refresh(context.Background()) }()
	for f.count("/_cluster/state/metadata") < 4 { // the first refresh is in flight
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 8 {
		wg.Go(func() {
			if c.Refresh(context.Background()) != nil {
				failed.Add(1)
			}
		})
	}
	time.Sleep(20 * time.Millisecond) // let the eight queue behind the first
	close(block)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatal("a coalesced refresh failed")
	}
	// The in-flight fetch started before the eight calls: they need one
	// more fetch, and share it.
	if n := f.count("/_cluster/state/metadata"); n != 5 {
		t.Fatalf("fetched %d times, want 5", n)
	}
}

func TestMetadataCacheRefreshHonoursContext(t *testing.T) {
	f := newFakeCluster(t, openSearchClusterState, openSearchAliases)
	block := make(chan struct{})
	f.set(func(f *fakeCluster) { f.block = block })
	defer close(block)
	c := NewMetadataCache(f.fetcher(), MetadataCacheConfig{Timeout: 50 * time.Millisecond}, zaptest.NewLogger(t))
	go func() { _ = c.Refresh(context.Background()) }()
	for f.count("/_cluster/state/metadata") < 1 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := c.Refresh(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting refresh: %v", err)
	}
}

func TestMetadataCacheRun(t *testing.T) {
	f := newFakeCluster(t, openSearchClusterState, openSearchAliases)
	c := NewMetadataCache(f.fetcher(), MetadataCacheConfig{Interval: 5 * time.Millisecond}, zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for f.count("/_cluster/state/metadata") < 3 {
		if time.Now().After(deadline) {
			t.Fatal("no periodic refresh")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if !c.Ready() {
		t.Fatal("not ready")
	}
}

// TestMetadataSearchPipelines: the snapshot says whether searches may run
// through a search pipeline after the proxy: the cluster is an OpenSearch
// 2.9 or later, or an index names a default pipeline ("_none" is none).
func TestMetadataSearchPipelines(t *testing.T) {
	const withDefault = `{"metadata":{"indices":{"emp":{"state":"open","settings":{"index":{"search":{"default_pipeline":"ren"}}}},` +
		`"plain":{"state":"open","settings":{"index":{"search":{"default_pipeline":"_none"}}}}}}}`
	const without = `{"metadata":{"indices":{"plain":{"state":"open"}}}}`
	tests := []struct {
		name, state, root string
		want              bool
		wantEmp           string
	}{
		{"OpenSearch 2.19", without, `{"version":{"distribution":"opensearch","number":"2.19.6"}}`, true, ""},
		{"OpenSearch 3.0", without, `{"version":{"distribution":"opensearch","number":"3.0.0"}}`, true, ""},
		{"OpenSearch 2.8", without, `{"version":{"distribution":"opensearch","number":"2.8.0"}}`, false, ""},
		{"OpenSearch 1.3", without, `{"version":{"distribution":"opensearch","number":"1.3.20"}}`, false, ""},
		{"Elasticsearch", without, `{"version":{"number":"8.15.0"}}`, false, ""},
		{"root unavailable", without, "", false, ""},
		{"an index names a default pipeline", withDefault, "", true, "ren"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCluster(t, tc.state, `{}`)
			if tc.root != "" {
				f.set(func(f *fakeCluster) { f.bodies["/"] = tc.root })
			}
			c := NewMetadataCache(f.fetcher(), MetadataCacheConfig{}, zaptest.NewLogger(t))
			if err := c.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			md := c.Snapshot()
			if got := md.SearchPipelines(); got != tc.want {
				t.Fatalf("SearchPipelines() = %v, want %v", got, tc.want)
			}
			if ix, _ := md.Index("emp"); ix.SearchPipeline != tc.wantEmp {
				t.Fatalf("emp's pipeline = %q, want %q", ix.SearchPipeline, tc.wantEmp)
			}
			if ix, _ := md.Index("plain"); ix.SearchPipeline != "" {
				t.Fatalf("plain's pipeline = %q, want none", ix.SearchPipeline)
			}
		})
	}
}

// TestMetadataCacheMappingVersions: a refresh reads each index's uuid and
// mapping version; when the cluster does not answer them, they are
// unknown (not kept from before).
func TestMetadataCacheMappingVersions(t *testing.T) {
	f := newFakeCluster(t, openSearchClusterState, openSearchAliases)
	f.set(func(f *fakeCluster) {
		f.bodies["/_cluster/state/metadata/_all"] = `{"metadata":{"indices":{"logs-1":{"mapping_version":4,"settings":{"index":{"uuid":"U1"}}}}}}`
	})
	c := NewMetadataCache(f.fetcher(), MetadataCacheConfig{}, zaptest.NewLogger(t))
	if _, ok := c.MappingVersion("logs-1"); ok {
		t.Fatal("a version before the first refresh")
	}
	if err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, ok := c.MappingVersion("logs-1"); !ok || v != "U1/4" {
		t.Fatalf("version %q %v", v, ok)
	}
	if _, ok := c.MappingVersion("other"); ok {
		t.Fatal("a version for an index the cluster did not list")
	}
	f.set(func(f *fakeCluster) { delete(f.bodies, "/_cluster/state/metadata/_all") })
	if err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.MappingVersion("logs-1"); ok {
		t.Fatal("a version kept after a refresh that could not read them")
	}
}

// TestMetadataIngestPipelines: an index whose default or final ingest
// pipeline is set (not "_none") runs one on every write.
func TestMetadataIngestPipelines(t *testing.T) {
	const state = `{"metadata":{"indices":{` +
		`"dflt":{"state":"open","settings":{"index":{"default_pipeline":"p1"}}},` +
		`"final":{"state":"open","settings":{"index":{"final_pipeline":"p2","default_pipeline":"_none"}}},` +
		`"none":{"state":"open","settings":{"index":{"default_pipeline":"_none","final_pipeline":"_none","search":{"default_pipeline":"s"}}}},` +
		`"plain":{"state":"open"}}}}`
	f := newFakeCluster(t, state, `{}`)
	c := NewMetadataCache(f.fetcher(), MetadataCacheConfig{}, zaptest.NewLogger(t))
	if err := c.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	md := c.Snapshot()
	for name, want := range map[string]bool{"dflt": true, "final": true, "none": false, "plain": false} {
		if ix, ok := md.Index(name); !ok || ix.IngestPipeline != want {
			t.Errorf("%s: IngestPipeline = %v (found %v), want %v", name, ix.IngestPipeline, ok, want)
		}
	}
}
