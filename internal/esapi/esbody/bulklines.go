package esbody

import (
	"fmt"
	"net/http"
)

// bulkAssembler turns the lines of a _bulk body, fed one by one in order,
// into items. It holds the per-line rules of ParseBulk, so that the
// in-memory parser and the streaming one (BulkStream) cannot disagree.
type bulkAssembler struct {
	p *parser
	// pending is an action that waits for its document line.
	pending    BulkItem
	hasPending bool
	pendingAt  int // byte offset of the pending action line
	// items counts the action lines read, bounded by MaxBulkItems.
	items int
}

// MaxBulkItems bounds the items of one _bulk body. The proxy keeps a typed
// view of every item (about 230 to 460 bytes each) until the request is
// decided, however the body is read; with items of 21 bytes, a body at the
// default 100 MiB limit (or a 760 KB gzip of one) held 5 million of them, 2.4
// GB, before it was refused. Clients send far fewer (Beats 1,600 events,
// Logstash 125 per batch, Elasticsearch's guide 5-15 MB); a larger body is
// refused with 413 as soon as its item past the bound is read.
const MaxBulkItems = 1 << 19

// feed takes the next line. It returns done when the line completed an
// item (a delete, or the document line of another action).
func (a *bulkAssembler) feed(l ndLine) (BulkItem, bool, *Error) {
	if a.hasPending {
		src, err := parseLineObject(a.p, l)
		if err != nil {
			return BulkItem{}, false, err
		}
		it := a.pending
		a.pending, a.hasPending = BulkItem{}, false
		it.Source, it.SourceLine = src, l.num
		return it, true, nil
	}
	if isBlank(l.text) {
		return BulkItem{}, false, nil
	}
	if a.items++; a.items > MaxBulkItems {
		e := newError(http.StatusRequestEntityTooLarge, TypeTooLarge, fmt.Sprintf(
			"the _bulk request holds more than [%d] items: split the request", MaxBulkItems))
		e.Line, e.Offset = l.num, int64(l.start)
		return BulkItem{}, false, e
	}
	it, err := parseBulkAction(a.p, l)
	if err != nil {
		return BulkItem{}, false, err
	}
	if it.Action == "delete" {
		return it, true, nil
	}
	a.pending, a.hasPending, a.pendingAt = it, true, l.start
	return BulkItem{}, false, nil
}

// awaitsSource reports whether the last action fed waits for its document
// line.
func (a *bulkAssembler) awaitsSource() bool { return a.hasPending }

// finish refuses a body that ended while an action waited for its document
// line.
func (a *bulkAssembler) finish() *Error {
	if !a.hasPending {
		return nil
	}
	num := a.pending.Line
	e := newError(400, TypeIllegalArgument, fmt.Sprintf(
		"Action/metadata line [%d] has no document line after it (the cluster would drop this action silently)", num))
	e.Line, e.Offset = num, int64(a.pendingAt)
	return e
}
