package server

import (
	"net/url"
	"testing"
)

// The shard-listing APIs get filter_path exclusions of the nodes'
// transport addresses, appended to the client's own filter_path.
func TestWithoutTransportAddresses(t *testing.T) {
	for _, tc := range []struct {
		name, action, query string
		params              map[string]string
		want                string
	}{
		{"search_shards, no filter_path", "indices:admin/shards/search_shards", "routing=a", map[string]string{"routing": "a"},
			"routing=a&filter_path=-nodes.%2A.transport_address"},
		{"search_shards asking for the address", "indices:admin/shards/search_shards", "filter_path=nodes.*.transport_address",
			map[string]string{"filter_path": "nodes.*.transport_address"}, "filter_path=nodes.%2A.transport_address%2C-nodes.%2A.transport_address"},
		{"recovery", "indices:monitor/recovery", "", nil,
			"filter_path=-%2A.shards.source.transport_address%2C-%2A.shards.target.transport_address"},
		{"shard stores", "indices:monitor/shard_stores", "status=green", map[string]string{"status": "green"},
			"status=green&filter_path=-indices.%2A.shards.%2A.stores.%2A.transport_address"},
		{"allocation explain", "cluster:monitor/allocation/explain", "", nil,
			"filter_path=-current_node.transport_address%2C-node_allocation_decisions.transport_address"},
		{"search is untouched", "indices:data/read/search", "q=x", map[string]string{"q": "x"}, "q=x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := &url.URL{Path: "/x", RawQuery: tc.query}
			if !withoutTransportAddresses(u, tc.action, tc.params) {
				t.Fatal("not rewritten")
			}
			if u.RawQuery != tc.want {
				t.Errorf("query %q, want %q", u.RawQuery, tc.want)
			}
		})
	}
}
