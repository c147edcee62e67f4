package server

import (
	"net/http"
	"net/http/pprof"
)

// Readiness reports whether the proxy can serve: configuration loaded and at
// least one upstream node healthy.
type Readiness interface {
	Healthy() bool
}

// opsHandler serves the operations listener: /metrics, /healthz (the process
// is up) and /readyz (it can serve traffic).
func opsHandler(metrics http.Handler, ready Readiness, pprofOn bool) http.Handler {
	mux := http.NewServeMux()
	if pprofOn {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	}
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready.Healthy() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: no healthy upstream node\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}
