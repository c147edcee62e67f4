package audit

import "time"

// Reasons passed to Observer.AppendFailed. They are fixed strings so that a
// metrics label has a bounded set of values.
const (
	// FailIO means the write, fsync or file (re)open failed.
	FailIO = "io"
	// FailQueueFull means the bounded queue stayed full for QueueTimeout.
	FailQueueFull = "queue_full"
	// FailTimeout means the record was queued but not durable within
	// AppendTimeout (or the caller's deadline passed first).
	FailTimeout = "timeout"
	// FailCanceled means the caller gave up first (its context was
	// canceled: the client went away), not that the trail was slow.
	FailCanceled = "canceled"
	// FailClosed means the log was closed.
	FailClosed = "closed"
)

// Observer receives audit trail events for metrics. Implementations must be
// safe for concurrent use and must not block: most calls come from the
// single writer goroutine between fsyncs.
type Observer interface {
	// Committed is called after each group commit: records written with one
	// write and one fsync, bytes written, and how long the fsync took.
	Committed(records, bytes int, fsync time.Duration)
	// AppendFailed is called once per record that could not be made
	// durable; reason is one of the Fail* constants.
	AppendFailed(reason string)
	// Unaudited is called when, with on_failure: allow, a request is let
	// through although its record (of event.action action) was not written.
	Unaudited(action string)
	// Rotated is called after the active file was rotated.
	Rotated()
	// Shipped is called after a shipper delivered records to sink
	// ("stdout", "index").
	Shipped(sink string, records int)
	// ShipFailed is called when a delivery attempt failed and will be
	// retried; reason is a short fixed string ("http", "status", "item",
	// "io", "rejected").
	ShipFailed(sink, reason string)
	// ShipLag reports how far a shipper is behind the log: committed records
	// and bytes not yet delivered.
	ShipLag(sink string, records, bytes int64)
}

// NopObserver ignores every event.
type NopObserver struct{}

// Committed implements Observer.
func (NopObserver) Committed(int, int, time.Duration) {}

// AppendFailed implements Observer.
func (NopObserver) AppendFailed(string) {}

// Unaudited implements Observer.
func (NopObserver) Unaudited(string) {}

// Rotated implements Observer.
func (NopObserver) Rotated() {}

// Shipped implements Observer.
func (NopObserver) Shipped(string, int) {}

// ShipFailed implements Observer.
func (NopObserver) ShipFailed(string, string) {}

// ShipLag implements Observer.
func (NopObserver) ShipLag(string, int64, int64) {}
