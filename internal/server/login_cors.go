package server

import (
	"net/http"
	"strings"
)

// withoutCORS drops every Access-Control-* header from the response before
// it is sent: the upstream's CORS answer (with allow-credentials and an
// echoed Origin) would let another origin read a response the browser's
// session cookie authenticated.
type withoutCORS struct {
	http.ResponseWriter
	stripped bool
}

func (w *withoutCORS) strip() {
	if w.stripped {
		return
	}
	w.stripped = true
	h := w.ResponseWriter.Header()
	for name := range h {
		if strings.HasPrefix(strings.ToLower(name), "access-control-") {
			delete(h, name)
		}
	}
}

// WriteHeader implements http.ResponseWriter. Informational answers (1xx)
// are followed by the final one, which is stripped again.
func (w *withoutCORS) WriteHeader(code int) {
	w.strip()
	if code < 200 {
		w.stripped = false
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *withoutCORS) Write(p []byte) (int, error) {
	w.strip()
	return w.ResponseWriter.Write(p)
}

// Flush keeps streaming responses streaming.
func (w *withoutCORS) Flush() {
	w.strip()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *withoutCORS) Unwrap() http.ResponseWriter { return w.ResponseWriter }
