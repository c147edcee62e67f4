package upstream

import "time"

// Error kinds passed to Observer.UpstreamError.
const (
	// KindDial: the TCP connection could not be established (refused,
	// unreachable, DNS failure, dial timeout). Nothing reached the node.
	KindDial = "dial"
	// KindTLS: the TLS handshake with the node failed. Nothing of the
	// request reached the node.
	KindTLS = "tls"
	// KindTimeout: the node did not send response headers in time.
	KindTimeout = "timeout"
	// KindReset: the connection broke before a response arrived.
	KindReset = "reset"
	// KindProtocol: the node answered something the proxy refuses to relay
	// (such as a protocol switch).
	KindProtocol = "protocol"
	// KindOther: any other transport failure.
	KindOther = "other"
)

// Observer receives upstream measurements, typically to export metrics.
// Implementations must be safe for concurrent use and fast: they are called
// on the request path. Node names are URLs without credentials.
type Observer interface {
	// UpstreamRequest reports one attempt that got a response: the node,
	// the status and the time from the start of the attempt to the
	// response headers (the upstream part of the request's latency).
	UpstreamRequest(node string, status int, d time.Duration)
	// NodeHealth reports whether a node is available for routing. It is
	// called after every active health check and whenever passive ejection
	// changes a node's availability, so it may repeat the same value.
	NodeHealth(node string, healthy bool)
	// UpstreamError reports one failed attempt with one of the Kind*
	// constants. Requests abandoned by the client are not reported.
	UpstreamError(node string, kind string)
}

// NopObserver is an Observer that ignores everything.
type NopObserver struct{}

// UpstreamRequest implements Observer.
func (NopObserver) UpstreamRequest(string, int, time.Duration) {}

// NodeHealth implements Observer.
func (NopObserver) NodeHealth(string, bool) {}

// UpstreamError implements Observer.
func (NopObserver) UpstreamError(string, string) {}
