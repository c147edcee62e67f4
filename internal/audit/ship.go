package audit

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Shipping plumbing shared by the stdout and index shippers. Shippers read
// the committed file with a tailer, in their own goroutine: the request path
// never waits for them, and whatever they fail to deliver stays in the
// local file to be retried.

// shipCommon is what both shippers need.
type shipCommon struct {
	sink       string
	path       string
	log        *FileLog // optional: committed watermark and change notifications
	src        committedSource
	obs        Observer
	logger     *zap.Logger
	cursorFile string
	poll       time.Duration
	t          *tailer
}

func newShipCommon(sink, path string, log *FileLog, cursorFile string, startAtEnd bool, obs Observer, logger *zap.Logger) (*shipCommon, error) {
	if path == "" {
		return nil, fmt.Errorf("audit %s shipper: no audit file", sink)
	}
	if obs == nil {
		obs = NopObserver{}
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	s := &shipCommon{sink: sink, path: path, log: log, obs: obs, logger: logger, cursorFile: cursorFile, poll: 250 * time.Millisecond}
	if log != nil {
		s.src = log
	}
	cur, ok := Cursor{}, false
	if cursorFile != "" {
		var err error
		if cur, ok, err = LoadCursor(cursorFile); err != nil {
			return nil, fmt.Errorf("audit %s shipper: %w", sink, err)
		}
	}
	if !ok && startAtEnd && log != nil {
		wm := log.Watermark()
		if wm.FileSeq != 0 {
			cur = Cursor{FileSeq: wm.FileSeq, Offset: wm.Size, Seq: wm.Seq}
		} else {
			cur = Cursor{FileSeq: wm.Seq + 1, Seq: wm.Seq}
		}
	}
	s.t = newTailer(path, s.src, cur)
	s.t.onGap = func(from, to uint64) {
		s.logger.Error("audit records were deleted before they were shipped",
			zap.String("sink", sink), zap.Uint64("from_seq", from), zap.Uint64("to_seq", to-1))
		s.obs.ShipFailed(sink, "gap")
	}
	return s, nil
}

// wait blocks until the log changes, d elapses or ctx ends; false when ctx
// ended.
func (s *shipCommon) wait(ctx context.Context, d time.Duration) bool {
	var changed <-chan struct{}
	if s.src != nil {
		changed = s.src.Changed()
	}
	if d <= 0 || d > s.poll {
		d = s.poll
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-changed:
	case <-timer.C:
	}
	return true
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// reportLag tells the observer how far behind the committed log the cursor is.
func (s *shipCommon) reportLag(cur Cursor) {
	if s.log == nil {
		return
	}
	wm := s.log.Watermark()
	var recs, bytes int64
	if wm.Seq > cur.Seq {
		recs = int64(wm.Seq - cur.Seq)
	}
	switch {
	case wm.FileSeq == cur.FileSeq:
		bytes = wm.Size - cur.Offset
	case recs > 0:
		bytes = wm.Size // at least the active file; older files not counted
	}
	if bytes < 0 {
		bytes = 0
	}
	s.obs.ShipLag(s.sink, recs, bytes)
}

// backoff is a capped exponential backoff.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur *= 2
	}
	if b.cur > b.max {
		b.cur = b.max
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }
