package server

import (
	"net/http"
	"strings"

	"go.uber.org/zap"
)

// Kibana's version check. At startup, and then every
// elasticsearch.healthCheck.delay, Kibana asks every node's version
// (pollEsNodesVersion: GET /_nodes?filter_path=nodes.*.version,
// nodes.*.http.publish_address,nodes.*.ip) and stays "not ready" until the
// answer lists compatible nodes: refusing it, as every nodes-info request
// is refused (withSniffingGuard), keeps Kibana from ever starting behind
// the proxy. The addresses in that answer only decorate Kibana's messages
// about incompatible nodes, so the proxy lets the request through with the
// address entries taken out of its filter_path: the cluster then answers
// each node's version and nothing else. Any other filter_path entry
// (another field, a wildcard, an exclusion) keeps the request refused.

// nodesVersionKept are the filter_path entries the version check may keep:
// each selects one string per node that is not an address.
var nodesVersionKept = map[string]bool{"nodes.*.version": true}

// nodesVersionDropped are the address entries Kibana adds to its version
// check; they are removed from the forwarded filter_path.
var nodesVersionDropped = map[string]bool{"nodes.*.http.publish_address": true, "nodes.*.ip": true}

// nodesVersionOnly reports whether r is a nodes-info request that can be
// answered without any node's address, and if so rewrites its filter_path
// to the version entries alone (the audit keeps the query as received).
func nodesVersionOnly(r *http.Request, st *requestState) bool {
	if st.Class.API != "nodes.info" {
		return false
	}
	fp, ok := st.Class.Params.Values["filter_path"]
	if !ok {
		return false
	}
	var kept []string
	for _, e := range strings.Split(fp, ",") {
		switch {
		case nodesVersionKept[e]:
			kept = append(kept, e)
		case nodesVersionDropped[e]:
		default:
			return false
		}
	}
	if len(kept) == 0 {
		return false
	}
	q, err := replaceQueryParam(r.URL.RawQuery, "filter_path", strings.Join(kept, ","))
	if err != nil { // the classifier refuses repeated parameters; fail closed anyway
		return false
	}
	r.URL.RawQuery = q
	if fp != strings.Join(kept, ",") {
		st.Log().Info("nodes info narrowed to the nodes' versions (Kibana's version check)",
			zap.String("filter_path", fp), zap.Strings("forwarded", kept))
	}
	return true
}
