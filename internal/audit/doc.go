// Package audit is Portcullis's audit trail: Elasticsearch-compatible audit
// records, written durably before a request is forwarded.
//
// The promise is "no request reaches the cluster unless its audit record is
// on disk". The server builds Events (this package knows nothing about HTTP),
// hands them to Trail.Record, and forwards the request only when Record
// returned nil.
//
// Layers, one concern per file:
//
//   - event.go, configchange.go, format.go: the record, field for field the
//     layout of Elasticsearch's logfile audit trail (flat dotted keys, fixed
//     key order, empty fields omitted).
//   - filter.go, policy.go, redact.go: the events.include/exclude settings,
//     ignore_filters policies and emit_request_body with credentials removed.
//   - filelog.go, groupcommit.go, rotate.go, housekeep.go, recover.go:
//     FileLog, whose Append returns only after the record was written and
//     fsync'ed. One writer goroutine commits everything queued while the
//     previous fsync ran with a single write and a single fsync (group
//     commit). Files rotate between batches; compression and retention run
//     apart; a restart recovers the chain head from the files.
//   - prealloc.go, nultail.go: the active file is extended by chunks of
//     zeros ahead of its writes, so that a commit overwrites allocated
//     blocks (fdatasync, no journal commit) instead of appending; readers,
//     verify and the startup treat the trailing NUL run as the file's end,
//     and rotation and Close cut it off.
//   - chain.go, verify.go: every record carries chain.seq, chain.prev and
//     chain.hash; the chain continues across rotation and restarts, and
//     Verify finds the first modified, missing or reordered record.
//   - tail.go, cursor.go, ship.go, ship_stdout.go, ship_index.go: shippers that read
//     the committed file (never the request path) and copy it to stdout or to
//     an Elasticsearch/OpenSearch index, at least once.
//   - trail.go, config.go, metrics.go, errors.go: the assembly, its
//     settings, the Observer through which metrics are reported, and the
//     errors Append returns.
package audit
