package e2e

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// _search_shards, _shard_stores, _recovery and _cluster/allocation/explain
// named each node by its transport address (ip:port): the cluster's
// transport port has no security, and a client that learns it can reach
// the nodes around the proxy. The answers keep their shards and node ids,
// without the addresses, whatever filter_path the client sends.
func TestShardListingsHideTransportAddresses(t *testing.T) {
	f := newOneRoleProxy(t, "shardreader", "  cluster: [monitor]\n  indices:\n    - names: [\"e2e-shards-*\"]\n      privileges: [read, monitor, view_index_metadata]\n")
	index := fmt.Sprintf("e2e-shards-%d", time.Now().UnixNano())
	f.cleanup(nil, index)
	f.setup("seed", "PUT", "/"+index+"/_doc/1?refresh=true", `{"a":1}`)
	u, err := url.Parse(f.cluster)
	if err != nil {
		t.Fatal(err)
	}
	// The node's transport address: its host and any port (the transport
	// port differs from the HTTP one).
	address := regexp.MustCompile(regexp.QuoteMeta(u.Hostname()) + `:\d+`)
	for _, tc := range []struct{ method, path, body, keep string }{
		{"GET", "/" + index + "/_search_shards", "", `"shards"`},
		{"GET", "/" + index + "/_search_shards?filter_path=nodes.*.transport_address,shards", "", `"shards"`},
		{"GET", "/" + index + "/_search_shards?filter_path=**.transport_address", "", ""},
		{"GET", "/" + index + "/_shard_stores?status=green,yellow", "", `"stores"`},
		{"GET", "/" + index + "/_recovery", "", `"shards"`},
		{"POST", "/_cluster/allocation/explain", `{"index":"` + index + `","shard":0,"primary":false}`, `"can_allocate"`},
	} {
		r := f.asUser(tc.method, tc.path, tc.body)
		if r.Status != 200 || address.MatchString(r.Body) || strings.Contains(r.Body, "transport_address") || !strings.Contains(r.Body, tc.keep) {
			t.Errorf("%s %s: want 200 with %s and no transport address: %d %.600s", tc.method, tc.path, tc.keep, r.Status, r.Body)
		}
	}
	// Control: the cluster itself answers with the address.
	r := do(t, f.c, "GET", f.cluster+"/"+index+"/_search_shards", "", "", nil, nil)
	if !strings.Contains(r.Body, "transport_address") {
		t.Fatalf("control: the cluster's own answer has no transport address: %s", r.Body)
	}
}
