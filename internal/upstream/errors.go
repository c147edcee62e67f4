package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// StatusClientClosedRequest is written (for the access log's sake) when the
// client went away before the node answered, as nginx does.
const StatusClientClosedRequest = 499

// errUpgradeRefused is returned when a node answers 101 Switching
// Protocols: a tunnel to the cluster would bypass authorization.
var errUpgradeRefused = errors.New("node switched protocols; upgrades are not relayed")

// upstreamError is the balancer's error when no attempt produced a
// response. Its message is for logs only, never for clients.
type upstreamError struct {
	node   string
	kind   string
	noNode bool // no node was available; the fallback attempt failed
	err    error
}

func (e *upstreamError) Error() string {
	return "upstream " + e.node + ": " + e.kind + ": " + e.err.Error()
}

func (e *upstreamError) Unwrap() error { return e.err }

// classify maps a transport error to one of the Kind* constants.
func classify(err error) string {
	var ce *connectError
	switch {
	case errors.As(err, &ce):
		return ce.kind
	case errors.Is(err, errUpgradeRefused):
		return KindProtocol
	case isTimeout(err):
		return KindTimeout
	case isReset(err):
		return KindReset
	}
	return KindOther
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isReset(err error) bool {
	for _, target := range []error{syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED, io.EOF, io.ErrUnexpectedEOF, net.ErrClosed} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// countsAsNodeFailure reports whether an error of this kind counts toward
// passive ejection: only connection-level failures, which are the node's
// fault whatever the request was.
func countsAsNodeFailure(kind string) bool {
	return kind == KindDial || kind == KindTLS || kind == KindReset
}

// clientError returns the Elasticsearch-shaped response for a failure.
// Reasons are fixed strings: no node address, Go error text or request data.
func clientError(kind string, noNode bool) *eserr.Error {
	switch {
	case kind == KindTimeout:
		return &eserr.Error{Status: http.StatusGatewayTimeout, Type: "timeout_exception", Reason: "upstream node did not respond in time"}
	case noNode:
		return &eserr.Error{Status: http.StatusServiceUnavailable, Type: "no_node_available_exception", Reason: "no upstream node is available"}
	case kind == KindDial || kind == KindTLS:
		return &eserr.Error{Status: http.StatusBadGateway, Type: "connect_exception", Reason: "upstream node unavailable"}
	case kind == KindReset:
		return &eserr.Error{Status: http.StatusBadGateway, Type: "node_disconnected_exception", Reason: "upstream node closed the connection"}
	}
	return &eserr.Error{Status: http.StatusBadGateway, Type: "upstream_exception", Reason: "error communicating with upstream node"}
}

// handleError is the ReverseProxy ErrorHandler.
func (p *Proxy) handleError(w http.ResponseWriter, r *http.Request, err error) {
	if cerr := r.Context().Err(); cerr != nil && !errors.Is(cerr, context.DeadlineExceeded) {
		p.log.Debug("client went away before the upstream response", zap.String("method", r.Method))
		(&eserr.Error{Status: StatusClientClosedRequest, Type: "task_cancelled_exception", Reason: "request cancelled by the client"}).Write(w)
		return
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) { // the server's body limit cut a chunked body off
		(&eserr.Error{Status: http.StatusRequestEntityTooLarge, Type: "content_too_long_exception",
			Reason: fmt.Sprintf("request body is too large; the maximum is [%d] bytes", tooLarge.Limit)}).Write(w)
		return
	}
	kind, node, noNode := KindOther, "", false
	var ue *upstreamError
	if errors.As(err, &ue) {
		kind, node, noNode = ue.kind, ue.node, ue.noNode
	} else if isTimeout(err) {
		kind = KindTimeout
	}
	e := clientError(kind, noNode)
	p.log.Warn("upstream request failed",
		zap.String("node", node), zap.String("kind", kind), zap.Bool("no_node_available", noNode),
		zap.String("method", r.Method), zap.Int("status", e.Status), zap.Error(err))
	e.Write(w)
}
