package server

import (
	"net/url"
	"strings"
)

// Index-level APIs that say which node holds which shard name the nodes by
// their transport address (ip:port): _search_shards, _shard_stores,
// _recovery and _cluster/allocation/explain (and the cluster state a
// _cluster/reroute answers). The cluster's transport port
// has no security either, and a client that learns it can talk to the
// nodes around the proxy, as a sniffing client would over HTTP
// (withSniffingGuard). These APIs are needed by clients (Spark and Hadoop
// connectors plan their reads with _search_shards), so instead of being
// refused they are forwarded with filter_path exclusions that take the
// transport addresses out of the answer, whatever filter_path the client
// sent (an exclusion wins over an inclusion of the same field).

// transportAddressExclusions are the filter_path entries added per action.
var transportAddressExclusions = map[string][]string{
	"indices:admin/shards/search_shards": {"-nodes.*.transport_address"},
	"indices:monitor/shard_stores":       {"-indices.*.shards.*.stores.*.transport_address"},
	"indices:monitor/recovery":           {"-*.shards.source.transport_address", "-*.shards.target.transport_address"},
	"cluster:monitor/allocation/explain": {"-current_node.transport_address", "-node_allocation_decisions.transport_address"},
	// The cluster state a reroute answers (dry_run or not) lists the
	// nodes; a node always has a name, so no object empties.
	"cluster:admin/reroute": {"-state.nodes.*.transport_address"},
}

// withoutTransportAddresses adds the transport-address exclusions of the
// request's action to its filter_path, and reports false when the query
// string cannot be rewritten (the request must then be refused).
func withoutTransportAddresses(u *url.URL, action string, params map[string]string) bool {
	ex, ok := transportAddressExclusions[action]
	if !ok {
		return true
	}
	value := strings.Join(ex, ",")
	fp, has := params["filter_path"]
	if !has {
		q := u.RawQuery
		if q != "" {
			q += "&"
		}
		u.RawQuery = q + "filter_path=" + url.QueryEscape(value)
		return true
	}
	if strings.TrimSpace(fp) != "" {
		value = fp + "," + value
	}
	q, err := replaceQueryParam(u.RawQuery, "filter_path", url.QueryEscape(value))
	if err != nil {
		return false
	}
	u.RawQuery = q
	return true
}
