package server

import (
	"fmt"
	"net/http"
	"runtime/debug"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// withRecover turns a panic in a handler into a logged 500 with an
// Elastic-shaped body, so one bad request cannot take the process down.
// http.ErrAbortHandler is re-raised: it is how a handler aborts a response.
func withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			st := stateOf(r)
			st.Decision = "error"
			st.Log().Error("panic while handling request", zap.Any("panic", v), zap.Stack("stack"))
			(&eserr.Error{Status: http.StatusInternalServerError, Type: "exception", Reason: "internal proxy error"}).Write(w)
		}()
		next.ServeHTTP(w, r)
	})
}

// runRecovered runs f and turns a panic in it into an error (with the
// stack). It is for the code the proxy runs on goroutines of its own (the
// streaming response filters, the _bulk answer merge): withRecover covers
// only the handler's goroutine, and a panic anywhere else ends the process,
// taking every client's requests down with it. The callers then abort the
// response, as for any other failure of the filter.
func runRecovered(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return f()
}
