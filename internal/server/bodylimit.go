package server

import (
	"fmt"
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// withBodyLimit refuses bodies larger than max with 413: at once when
// Content-Length says so, and otherwise (chunked bodies) by cutting the body
// off with http.MaxBytesReader, whose *http.MaxBytesError the forwarder turns
// into a 413 as well.
func withBodyLimit(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			st := stateOf(r)
			st.Decision = "rejected"
			tooLarge(max).Write(w)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, max)
		}
		next.ServeHTTP(w, r)
	})
}

func tooLarge(max int64) *eserr.Error {
	return &eserr.Error{
		Status: http.StatusRequestEntityTooLarge,
		Type:   "content_too_long_exception",
		Reason: fmt.Sprintf("request body is too large; the maximum is [%d] bytes", max),
	}
}
