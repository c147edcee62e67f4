package server

import (
	"net/http"
	"strings"
)

// withoutCORS wraps w so that every Access-Control-* header is dropped
// from the response before it is sent: the upstream's CORS answer (with
// allow-credentials and an echoed Origin) would let another origin read a
// response the browser's session cookie authenticated.
func withoutCORS(w http.ResponseWriter) http.ResponseWriter {
	return &beforeResponseWriter{ResponseWriter: w, before: func() {
		h := w.Header()
		for name := range h {
			if strings.HasPrefix(strings.ToLower(name), "access-control-") {
				delete(h, name)
			}
		}
	}}
}
