package server

import (
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// RequestObserver receives one call per finished request (metrics).
type RequestObserver interface {
	RequestDone(route, method string, code int, decision string, d time.Duration)
}

// statusRecorder remembers the status code and body size of a response while
// keeping Flush (streaming) and the other optional interfaces reachable
// through http.ResponseController's Unwrap.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.bytes += int64(n)
	return n, err
}

// Flush lets streamed responses reach the client as they arrive.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withAccessLog is the outermost middleware: it assigns the request id,
// creates the request's logger and state, and logs and measures the request
// once it is done.
func withAccessLog(log *zap.Logger, obs RequestObserver, next http.Handler) http.Handler {
	// The access line's caller would always be this file; resolving it
	// walks the stack on every request.
	access := log.WithOptions(zap.WithCaller(false))
	// accessFields recycles the access line's field slice: cores encode
	// the fields while Write runs and keep none of them, and a fresh slice
	// of a dozen 64-byte fields was the largest allocation of a request.
	accessFields := sync.Pool{New: func() any {
		s := make([]zap.Field, 0, 16)
		return &s
	}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		st := &requestState{ID: id, base: log, Route: "unknown", Decision: "error"}
		w.Header().Set(RequestIDHeader, id)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, withState(r, st))
		d := time.Since(start)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		obs.RequestDone(st.Route, methodLabel(r.Method), rec.status, st.Decision, d)
		ce := access.Check(zap.InfoLevel, "request")
		if ce == nil {
			return
		}
		fp := accessFields.Get().(*[]zap.Field)
		fields := append((*fp)[:0],
			zap.String("request_id", id),
			zap.String("method", r.Method),
			zap.String("path", r.URL.EscapedPath()), // never the query: it may carry secrets
			zap.Int("status", rec.status),
			zap.Int64("bytes", rec.bytes),
			zap.Duration("duration", d),
			zap.String("remote", r.RemoteAddr),
			zap.String("route", st.Route),
			zap.String("decision", st.Decision),
		)
		if st.Action != "" {
			fields = append(fields, zap.String("action", st.Action))
		}
		if st.Principal != nil {
			fields = append(fields, zap.String("user", st.Principal.Username), zap.String("realm", st.Principal.Realm))
		}
		if oid := r.Header.Get("X-Opaque-Id"); oid != "" && len(oid) <= 256 {
			fields = append(fields, zap.String("opaque_id", oid))
		}
		ce.Write(fields...)
		clear(fields) // drop the references to this request's strings
		*fp = fields[:0]
		accessFields.Put(fp)
	})
}

// methodLabel bounds the method label's cardinality.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions:
		return m
	}
	return "OTHER"
}
