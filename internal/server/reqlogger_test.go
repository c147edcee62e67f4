package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// Every line of a request's logger, and of loggers derived from it, carries
// the request id; levels below the base logger's stay disabled.
func TestRequestLoggerCarriesTheID(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	log := requestLogger(zap.New(core), "req-1")
	log.Info("one")
	log.With(zap.String("k", "v")).Warn("two")
	log.Debug("dropped")
	got := logs.AllUntimed()
	if len(got) != 2 {
		t.Fatalf("got %d lines, want 2: %v", len(got), got)
	}
	for _, e := range got {
		if e.ContextMap()["request_id"] != "req-1" {
			t.Errorf("line %q: request_id = %v, want req-1", e.Message, e.ContextMap()["request_id"])
		}
	}
	if got[1].ContextMap()["k"] != "v" {
		t.Errorf("derived logger lost its field: %v", got[1].ContextMap())
	}
}

// The request state builds its logger on first use, once, from the proxy's
// logger and the request id; the access line and the request's own lines
// both carry the id.
func TestRequestStateLogger(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	st := &requestState{ID: "req-7", base: zap.New(core)}
	if st.Log() != st.Log() {
		t.Error("the request's logger is built more than once")
	}
	st.Log().Info("from a stage")
	if got := logs.AllUntimed(); len(got) != 1 || got[0].ContextMap()["request_id"] != "req-7" {
		t.Fatalf("lines %v: want one with request_id req-7", got)
	}
	(&requestState{}).Log().Info("nowhere") // no base logger: a no-op, not a nil dereference

	logs.TakeAll()
	h := withAccessLog(zap.New(core), &nopObserver{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stateOf(r).Log().Warn("inside")
	}))
	for range 2 { // the second request reuses the pooled field slice
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
	}
	lines := logs.AllUntimed()
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 4: %v", len(lines), lines)
	}
	ids := map[any]bool{}
	for _, e := range lines {
		id := e.ContextMap()["request_id"]
		if id == nil || id == "" {
			t.Errorf("line %q has no request_id", e.Message)
		}
		ids[id] = true
	}
	if len(ids) != 2 || lines[0].ContextMap()["request_id"] != lines[1].ContextMap()["request_id"] {
		t.Errorf("want one id per request, shared by its lines: %v", lines)
	}
	if lines[1].Message != "request" || lines[1].ContextMap()["path"] != "/x" || lines[1].ContextMap()["status"] != int64(200) {
		t.Errorf("access line %v", lines[1].ContextMap())
	}
}
