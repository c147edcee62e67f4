package server

import (
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// requestLogger returns log with the request id on every line.
//
// logger.With(zap.String("request_id", id)) would encode the field up
// front into a cloned encoder and its 1 KB buffer, on every request,
// although most requests never log anything but their access line. This
// core adds the field when a line is actually written.
func requestLogger(log *zap.Logger, id string) *zap.Logger {
	return log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return &requestIDCore{Core: c, id: id}
	}))
}

// requestIDCore appends the request_id field to every entry it writes.
type requestIDCore struct {
	zapcore.Core
	id string
}

// With keeps the request id on derived loggers.
func (c *requestIDCore) With(fields []zapcore.Field) zapcore.Core {
	return &requestIDCore{Core: c.Core.With(fields), id: c.id}
}

// Check registers this core (not the wrapped one) so that Write adds the id.
func (c *requestIDCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

// Write writes the entry with the request id appended.
func (c *requestIDCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	return c.Core.Write(e, append(fields, zap.String("request_id", c.id)))
}
