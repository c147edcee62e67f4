package server

import (
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
