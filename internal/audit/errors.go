package audit

import "errors"

// Errors Append returns. Any error from Append means the record is not known
// to be durable: with on_failure: deny the caller refuses the request (503).
var (
	// ErrClosed is returned once the log is closed.
	ErrClosed = errors.New("audit: log is closed")
	// ErrQueueFull is returned when the bounded queue stayed full until the
	// append deadline: the disk cannot keep up.
	ErrQueueFull = errors.New("audit: queue full")
	// ErrTimeout is returned when the record was queued but not durable
	// before the append deadline. It may still be written later: a refused
	// request can therefore appear in the trail, never the reverse.
	ErrTimeout = errors.New("audit: record not durable before the deadline")
)
