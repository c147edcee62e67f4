package audit

import (
	"errors"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"
)

// Group commit. One goroutine owns the file. It takes the first queued
// record, then everything else already queued (all that arrived while the
// previous fsync ran), seals them into the chain, writes them with one
// write, fsyncs once and only then releases every waiter. Concurrency
// therefore raises the records per fsync instead of queueing fsyncs.
//
// On a write or fsync error every waiter of the batch gets the error, the
// chain head does not move, and the file is marked broken: before the next
// batch the writer truncates it back to the last committed size (reopening
// it if needed), so a half-written batch never stays in the file. While
// that fails, batches fail at once: Append returns quickly instead of
// hanging.

// Gathering the previous group. Under a steady load of N concurrent
// requests, those that arrive during an fsync wait for it and then for one
// more; the requests a commit releases come back (their next request)
// while the next fsync already runs, so the load splits into cohorts that
// take turns, each paying for its own fsync: about N/2 records per fsync
// for twice the latency. Before an fsync the writer therefore waits, for at
// most the duration of the previous fsync (and maxGatherWait), for the
// appenders the previous commit released: records that come in time share
// this fsync instead of waiting for the next one, whose duration they
// would have waited anyway. A commit that released a single append (a
// light load) never waits.

// Gathering only pays in a closed loop, where released appenders come
// back at once. Clients that send on their own schedule (an open loop:
// most real traffic) do not come back after a commit, so every wait runs
// out of time and only adds latency (seen: +8 ms p50 at 2,000 req/s). A
// gather that runs out of time therefore makes the writer skip the next
// 1, 2, 4… gathers (at most maxGatherSkips) before trying again; a gather
// that reaches its target resets the backoff.

// maxGatherWait bounds the wait for the previous group.
const maxGatherWait = 2 * time.Millisecond

// maxGatherSkips bounds the gathers skipped after misses.
const maxGatherSkips = 64

// run is the writer goroutine.
func (l *FileLog) run() {
	defer close(l.stopped)
	tick := time.NewTicker(l.opts.Rotate.checkEvery())
	defer tick.Stop()
	for {
		select {
		case p := <-l.queue:
			l.batch = append(l.batch[:0], p)
			l.fill()
			l.gather()
			l.commit()
		case <-tick.C:
			if l.broken == nil && l.size > 0 && l.opts.Rotate.dueByAge(l.fileStart, l.now()) {
				l.rotate("age")
			}
		case <-l.quit:
			for {
				l.batch = l.batch[:0]
				l.fill()
				if len(l.batch) == 0 {
					break
				}
				l.commit()
			}
			if l.f != nil {
				if err := l.f.Close(); err != nil {
					l.log.Warn("closing audit file", zap.String("file", l.opts.Path), zap.Error(err))
				}
				l.f = nil
			}
			return
		}
	}
}

// fill adds to the batch whatever is queued right now, up to MaxBatchBytes.
func (l *FileLog) fill() {
	size := 0
	for _, p := range l.batch {
		size += p.size
	}
	for size < l.opts.MaxBatchBytes {
		select {
		case p := <-l.queue:
			l.batch = append(l.batch, p)
			size += p.size
		default:
			return
		}
	}
}

// gather waits for the appenders the previous commit released to queue
// again, so that they share the coming fsync (see maxGatherWait).
func (l *FileLog) gather() {
	want, wait := l.gatherTarget, min(l.lastFsync, maxGatherWait)
	if l.lastReleased < 2 || len(l.batch) >= want || wait <= 0 || l.broken != nil {
		return
	}
	if l.gatherSkips > 0 {
		l.gatherSkips--
		return
	}
	size := 0
	for _, p := range l.batch {
		size += p.size
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for len(l.batch) < want && size < l.opts.MaxBatchBytes {
		select {
		case p := <-l.queue:
			l.batch = append(l.batch, p)
			size += p.size
		case <-timer.C:
			l.gatherMisses++
			l.gatherSkips = min(1<<min(l.gatherMisses-1, 16), maxGatherSkips)
			return
		case <-l.quit:
			return
		}
	}
	l.gatherMisses = 0
}

// commit makes the batch durable and releases its waiters.
func (l *FileLog) commit() {
	defer l.recycle()
	if l.broken != nil {
		if err := l.repair(); err != nil {
			l.fail(fmt.Errorf("audit: %s unusable: %w", l.opts.Path, err))
			return
		}
	}
	// Appends that gave up before their group was written are left out
	// (see pending.abandoned); their callers already answered.
	kept := l.batch[:0]
	for _, p := range l.batch {
		if p.abandoned.Load() {
			l.drop(p)
			continue
		}
		kept = append(kept, p)
	}
	l.batch = kept
	if len(l.batch) == 0 {
		return
	}
	records, est := 0, 0
	for _, p := range l.batch {
		records += len(p.bodies)
		est += p.size
	}
	if bySize := l.opts.Rotate.dueBySize(l.size, est); l.size > 0 && (bySize || l.opts.Rotate.dueByAge(l.fileStart, l.now())) {
		reason := "age"
		if bySize {
			reason = "size"
		}
		if !l.rotate(reason) {
			l.fail(fmt.Errorf("audit: rotating %s: %w", l.opts.Path, l.broken))
			return
		}
	}
	buf := l.buf[:0]
	head := l.head
	for _, p := range l.batch {
		for _, b := range p.bodies {
			buf, head = l.hasher.appendSealed(buf, b, head)
		}
	}
	l.buf = buf
	n, err := l.f.Write(buf)
	if err == nil && n != len(buf) {
		err = fmt.Errorf("short write: %d of %d bytes", n, len(buf))
	}
	if err != nil {
		l.broken = err
		l.fail(fmt.Errorf("audit: writing %s: %w", l.opts.Path, err))
		return
	}
	start := time.Now()
	err = l.f.Sync()
	took := time.Since(start)
	if err != nil {
		l.broken = err
		l.fail(fmt.Errorf("audit: fsync %s: %w", l.opts.Path, err))
		return
	}
	if l.fileSeq == 0 {
		l.fileSeq = l.head.seq + 1
	}
	l.head = head
	l.size += int64(len(buf))
	// Those queued during the fsync and those released now make the
	// next group.
	l.lastReleased, l.lastFsync = len(l.batch), took
	l.gatherTarget = len(l.queue) + len(l.batch)
	l.publish()
	l.obs.Committed(records, len(buf), took)
	for _, p := range l.batch {
		p.done <- nil
	}
}

// fail releases every waiter of the batch with err.
func (l *FileLog) fail(err error) {
	for _, p := range l.batch {
		for range p.bodies {
			l.obs.AppendFailed(FailIO)
		}
		p.done <- err
	}
}

// recycle returns the batch's record buffers to the pool.
func (l *FileLog) recycle() {
	for _, p := range l.batch {
		l.drop(p)
	}
	if cap(l.buf) > 4*l.opts.MaxBatchBytes {
		l.buf = nil
	}
}

// drop gives a pending's record buffers back to the pool (written, or
// never to be written).
func (l *FileLog) drop(p *pending) {
	for i, b := range p.bodies {
		if cap(b) <= 64<<10 {
			b := b
			l.bodies.Put(&b)
		}
		p.bodies[i] = nil
	}
}

// repair brings a broken file back to its last committed size: first
// through the open handle, then by reopening the path. A file that is now
// shorter than what was committed is not ours any more: refuse it.
func (l *FileLog) repair() error {
	if errors.Is(l.broken, ErrFileDeleted) {
		return l.replaceDeleted()
	}
	if l.f != nil {
		if err := l.truncateCommitted(l.f); err == nil {
			l.broken = nil
			return nil
		}
		_ = l.f.Close()
		l.f = nil
	}
	f, err := l.opts.Open(l.opts.Path)
	if err != nil {
		return fmt.Errorf("reopening after %v: %w", l.broken, err)
	}
	if err := l.truncateCommitted(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("repairing after %v: %w", l.broken, err)
	}
	l.f = f
	l.log.Warn("audit file repaired after an I/O error", zap.String("file", l.opts.Path), zap.NamedError("cause", l.broken))
	l.broken = nil
	return nil
}

// replaceDeleted starts a new active file where the deleted one was, as a
// rotation would, so that auditing (and the proxy) goes on: the records
// the deleted file held are lost, and the chain, which goes on from the
// last committed record, shows the gap to `proxy audit verify`. A file
// someone has put at the path in the meantime is not written to (its
// content is unknown): the log keeps failing until it is moved away.
func (l *FileLog) replaceDeleted() error {
	if l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
	if st, err := os.Stat(l.opts.Path); err == nil && st.Size() > 0 {
		return fmt.Errorf("the active file was deleted and %s now holds another file", l.opts.Path)
	}
	f, err := l.opts.Open(l.opts.Path)
	if err != nil {
		return fmt.Errorf("starting a new file after %v: %w", l.broken, err)
	}
	if err := syncDir(l.dir); err != nil {
		_ = f.Close()
		return fmt.Errorf("starting a new file after %v: %w", l.broken, err)
	}
	l.f = f
	l.size, l.fileSeq, l.fileStart = 0, 0, l.now()
	l.log.Error("the active audit file was deleted while open: the records it held are lost (the chain shows the gap); auditing goes on in a new file",
		zap.String("file", l.opts.Path))
	l.broken = nil
	l.publish()
	return nil
}

func (l *FileLog) truncateCommitted(f File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() < l.size {
		return fmt.Errorf("file is %d bytes, %d were committed: it was replaced or truncated", st.Size(), l.size)
	}
	if st.Size() > l.size {
		if err := f.Truncate(l.size); err != nil {
			return err
		}
	}
	return f.Sync()
}
