package server

import (
	"net/http"
	"time"
)

// withWriteIdleTimeout bounds how long one write of a response may wait
// for the client to read: idle (the server's idle timeout), from each
// write, flush or header, as nginx's send_timeout does. Without it a client
// that stops reading held its request for ever, and with it the cluster
// connection the answer streams from, the filter's goroutine and the
// parsed request body (tens of times the body's size): a few hundred
// such clients exhaust the proxy. A slow but steady reader is not cut: it
// must drain what unblocks a write (about a third of the socket's send
// buffer, at most a few MB) within the idle timeout.
//
// The deadline is lifted when a request starts (the server's own writes,
// such as 100 Continue, come before the handler's) and left at idle after
// it, for the server's final flush.
func withWriteIdleTimeout(idle time.Duration, next http.Handler) http.Handler {
	if idle <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Time{})
		defer func() { _ = rc.SetWriteDeadline(time.Now().Add(idle)) }()
		next.ServeHTTP(&idleWriter{ResponseWriter: w, rc: rc, idle: idle}, r)
	})
}

// idleWriter moves the write deadline before everything it writes.
type idleWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (w *idleWriter) extend() { _ = w.rc.SetWriteDeadline(time.Now().Add(w.idle)) }

func (w *idleWriter) WriteHeader(status int) {
	w.extend()
	w.ResponseWriter.WriteHeader(status)
}

func (w *idleWriter) Write(p []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(p)
}

// Flush implements http.Flusher, which streaming answers need.
func (w *idleWriter) Flush() {
	w.extend()
	_ = w.rc.Flush()
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *idleWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
