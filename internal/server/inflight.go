package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// InFlightLimit bounds the request body bytes that all requests being
// handled hold together, as Elasticsearch's in_flight_requests circuit
// breaker does: each request's body is bounded on its own
// (max_request_body_bytes), but enough of them at once would still
// exhaust the proxy's memory. A request whose body would take the total
// past the limit is refused with 429, which clients retry. One limit is
// shared by every site of a process.
type InFlightLimit struct {
	limit int64
	used  atomic.Int64
}

// NewInFlightLimit returns a limit of limit bytes; nil (no limit) when
// limit is not positive.
func NewInFlightLimit(limit int64) *InFlightLimit {
	if limit <= 0 {
		return nil
	}
	return &InFlightLimit{limit: limit}
}

// reserve takes n bytes from the limit, or reports that they would pass it.
func (l *InFlightLimit) reserve(n int64) bool {
	if l.used.Add(n) > l.limit {
		l.used.Add(-n)
		return false
	}
	return true
}

func (l *InFlightLimit) release(n int64) { l.used.Add(-n) }

// errInFlight is the body's read error once the limit is reached.
type errInFlight struct{ wanted, limit int64 }

func (e *errInFlight) Error() string {
	return fmt.Sprintf("[in_flight_requests] Data too large, data for [<http_request>] would be [%d/%db], which is larger than the limit of [%d/%db]",
		e.wanted, e.wanted, e.limit, e.limit)
}

// esError is Elasticsearch's answer to a tripped breaker.
func (e *errInFlight) esError() *eserr.Error {
	return &eserr.Error{Status: http.StatusTooManyRequests, Type: "circuit_breaking_exception", Reason: e.Error()}
}

// inFlightError finds the breaker's error in err.
func inFlightError(err error) (*eserr.Error, bool) {
	var e *errInFlight
	if errors.As(err, &e) {
		return e.esError(), true
	}
	return nil, false
}

// withInFlightLimit charges each request's body to l while the request is
// handled: its Content-Length up front (refused at once when it does not
// fit), and a body of unknown length as it is read. It runs after
// authentication, so that only callers the proxy knows can hold any of it.
func withInFlightLimit(l *InFlightLimit, next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		cb := &chargedBody{ReadCloser: r.Body, l: l}
		defer func() { l.release(cb.charged) }()
		if r.ContentLength > 0 {
			if !l.reserve(r.ContentLength) {
				e := &errInFlight{wanted: l.used.Load() + r.ContentLength, limit: l.limit}
				st := stateOf(r)
				st.Log().Warn("request refused: in-flight request bodies would pass their limit", zap.Int64("content_length", r.ContentLength))
				bodyRefused(w, st, e.esError())
				return
			}
			cb.charged = r.ContentLength
		}
		r.Body = cb
		next.ServeHTTP(w, r)
	})
}

// chargedBody charges what is read past what was reserved.
type chargedBody struct {
	io.ReadCloser
	l       *InFlightLimit
	charged int64 // reserved so far
	read    int64
}

func (b *chargedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if more := b.read - b.charged; more > 0 {
		if !b.l.reserve(more) {
			return n, &errInFlight{wanted: b.l.used.Load() + more, limit: b.l.limit}
		}
		b.charged += more
	}
	return n, err
}
