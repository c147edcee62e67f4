package upstream

import (
	"io"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// balancer is the http.RoundTripper given to ReverseProxy. Per attempt it
// picks a node, points the request at it, records passive health and
// reports to the Observer. ReverseProxy never retries; the balancer retries
// only what is provably safe (see retryable).
type balancer struct {
	pool *pool
	next http.RoundTripper
	obs  Observer
	log  *zap.Logger
}

// RoundTrip implements http.RoundTripper. req.URL holds only the path and
// query; the node supplies scheme, host and path prefix.
func (b *balancer) RoundTrip(req *http.Request) (*http.Response, error) {
	nd, noNode := b.pool.pick(nil), false
	if nd == nil {
		nd, noNode = b.pool.fallback(), true
	}
	rp := newReplay(req)
	var tried []bool
	for attempt := 1; ; attempt++ {
		resp, err := b.attempt(req, nd, rp)
		if err == nil {
			return resp, nil
		}
		kind := classify(err)
		var next *node
		if !noNode && attempt < len(b.pool.nodes) && rp.retryable(kind) && req.Context().Err() == nil {
			if tried == nil {
				tried = make([]bool, len(b.pool.nodes))
			}
			tried[b.pool.index(nd)] = true
			next = b.pool.pick(tried)
		}
		if next == nil {
			rp.release()
			return nil, &upstreamError{node: nd.name, kind: kind, noNode: noNode, err: err}
		}
		b.log.Debug("retrying on another upstream node",
			zap.String("failed_node", nd.name), zap.String("kind", kind), zap.String("node", next.name))
		nd = next
	}
}

// attempt sends req to nd once.
func (b *balancer) attempt(req *http.Request, nd *node, rp *replay) (*http.Response, error) {
	out := new(http.Request)
	*out = *req // shallow copy: RoundTrippers must not modify their request
	out.URL = nd.target(req.URL)
	out.Host = nd.host
	body, err := rp.body(req)
	if err != nil {
		return nil, err
	}
	out.Body = body

	start, evidence := time.Now(), b.pool.now()
	resp, err := b.next.RoundTrip(out)
	if err != nil {
		b.failed(req, nd, err)
		return nil, err
	}
	b.obs.UpstreamRequest(nd.name, resp.StatusCode, time.Since(start))
	if resp.StatusCode == http.StatusSwitchingProtocols {
		_ = resp.Body.Close()
		b.obs.UpstreamError(nd.name, KindProtocol)
		return nil, errUpgradeRefused
	}
	b.pool.success(nd, evidence)
	return resp, nil
}

// failed records a failed attempt, unless the client gave up first (then
// the failure says nothing about the node).
func (b *balancer) failed(req *http.Request, nd *node, err error) {
	if req.Context().Err() != nil {
		return
	}
	kind := classify(err)
	b.obs.UpstreamError(nd.name, kind)
	if countsAsNodeFailure(kind) {
		b.pool.failure(nd)
	}
}

// replay decides whether a request may be sent again and provides its body
// for each attempt. A nil *replay means "never retry".
type replay struct {
	getBody func() (io.ReadCloser, error)
	tracked *trackedBody
	used    bool // an attempt has consumed req.Body already
}

// newReplay returns a replay for requests with a safe method (GET, HEAD,
// OPTIONS) whose body is absent, can be recreated (GetBody), or is tracked
// so that a retry happens only if no byte of it was read. Other requests
// get nil: a POST is never retried, even though a dial error proves it
// never left, to keep the rule simple to audit.
func newReplay(req *http.Request) *replay {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		return nil
	}
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		return &replay{}
	case req.GetBody != nil:
		return &replay{getBody: req.GetBody}
	default:
		return &replay{tracked: &trackedBody{rc: req.Body}}
	}
}

// body returns the body for the next attempt.
func (r *replay) body(req *http.Request) (io.ReadCloser, error) {
	switch {
	case r == nil:
		return req.Body, nil
	case r.tracked != nil:
		return r.tracked, nil
	case r.getBody != nil && r.used:
		return r.getBody()
	}
	r.used = true
	return req.Body, nil
}

// retryable reports whether a failure of this kind may be retried: only
// connection failures (nothing was sent) and only if the body is intact.
func (r *replay) retryable(kind string) bool {
	if r == nil || (kind != KindDial && kind != KindTLS) {
		return false
	}
	return r.tracked == nil || !r.tracked.touched.Load()
}

// release closes a tracked body once no further attempt will use it.
func (r *replay) release() {
	if r != nil && r.tracked != nil {
		_ = r.tracked.rc.Close()
	}
}
