// Package upstream forwards authorized requests to the nodes of an
// Elasticsearch or OpenSearch cluster.
//
// The cluster behind Portcullis has no security of its own, so this package is
// written to fail closed:
//
//   - every request header that could carry an identity or a privilege to the
//     cluster is removed before forwarding (see the table in headers.go), and
//     only the credentials configured for the proxy itself are injected;
//   - request trailers and protocol upgrades are never forwarded;
//   - a request is retried on another node only when its method is GET,
//     HEAD or OPTIONS, it provably never reached a node (the TCP connection
//     or TLS handshake failed) and its body can be replayed untouched; at
//     most one attempt per node (on a kept-alive connection the node closed
//     without answering, a bodiless GET, HEAD or OPTIONS is sent once more
//     on a new connection to the same node, as net/http's Transport does);
//   - error responses are Elasticsearch-shaped JSON with generic reasons: they
//     never contain node addresses, Go error strings or request data.
//
// Node selection is round robin over the nodes that are available: not marked
// down by the active health checks and not ejected by the passive checks
// (consecutive connection failures). When no node is available the proxy
// still makes a single attempt to the node that failed least recently, since
// health information may be stale (for example after a full cluster restart);
// if that attempt fails too, the client receives 503
// no_node_available_exception.
//
// Bodies are streamed in both directions; nothing is buffered whole.
//
// Proxied requests travel over h1Transport, which does the HTTP/1.1
// exchange on the request's own goroutine with net/http's wire code, and
// hands a connection back to its pool only when the response was read to
// its end; health checks use net/http's Transport.
package upstream
