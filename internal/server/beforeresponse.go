package server

import "net/http"

// beforeResponseWriter runs before once, just ahead of the response's
// header, however the handler starts the response (WriteHeader, Write or
// Flush), and again ahead of the final header after an informational (1xx)
// answer. It lets a stage act on the answer at the last moment: before the
// client can see it, after the cluster has acted.
type beforeResponseWriter struct {
	http.ResponseWriter
	before func()
	done   bool
}

func (w *beforeResponseWriter) start() {
	if !w.done {
		w.done = true
		w.before()
	}
}

// WriteHeader implements http.ResponseWriter.
func (w *beforeResponseWriter) WriteHeader(code int) {
	w.start()
	if code < 200 {
		w.done = false // the final header comes next
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *beforeResponseWriter) Write(p []byte) (int, error) {
	w.start()
	return w.ResponseWriter.Write(p)
}

// Flush keeps streamed responses streaming.
func (w *beforeResponseWriter) Flush() {
	w.start()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// informational reports whether a status is an interim (1xx) answer ahead
// of the final one (101 Switching Protocols is final). The writers that
// read or rewrite an answer drop interim answers: taking one for the
// answer's status would let the final answer through unread (unfiltered,
// unredacted, unmerged). httputil.ReverseProxy passes 1xx answers on with
// WriteHeader; the proxy's own transport skips them.
func informational(code int) bool {
	return code >= 100 && code < 200 && code != http.StatusSwitchingProtocols
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *beforeResponseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
