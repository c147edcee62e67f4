package audit

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Every Append must return only after its own record was synced, and
// concurrent appends must share fsyncs.
func TestGroupCommitDurableBeforeReturn(t *testing.T) {
	for _, goroutines := range []int{1, 8, 64} {
		t.Run("", func(t *testing.T) {
			ff := &fakeFile{syncDelay: 2 * time.Millisecond}
			obs := &countingObserver{}
			l := openFake(t, ff, func(o *FileLogOptions) { o.Observer = obs })
			const perG = 20
			var wg sync.WaitGroup
			errs := make(chan error, goroutines*perG)
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < perG; i++ {
						ev := testEvent(g*perG + i)
						if err := l.Append(context.Background(), ev); err != nil {
							errs <- err
							return
						}
						// The record must already be in the synced prefix.
						if !ff.isSynced(ev.RequestID) {
							errs <- errors.New("Append returned before its record was synced: " + ev.RequestID)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			total := goroutines * perG
			writes, syncs := ff.counts()
			if got := len(lines(ff.durable())); got != total {
				t.Fatalf("%d records durable, want %d", got, total)
			}
			if writes != syncs {
				t.Fatalf("%d writes for %d syncs: one write per group commit expected", writes, syncs)
			}
			if goroutines > 1 && syncs >= total {
				t.Fatalf("%d fsyncs for %d records: no group commit", syncs, total)
			}
			if obs.records.Load() != int64(total) || obs.commits.Load() != int64(syncs) {
				t.Fatalf("observer: %d records in %d commits; file: %d records, %d syncs", obs.records.Load(), obs.commits.Load(), total, syncs)
			}
			if rep := verifyBytes(nil, ff.durable()); !rep.OK() || rep.Records != total {
				t.Fatalf("chain: %+v %v", rep, rep.Break)
			}
			t.Logf("%d goroutines: %d records, %d fsyncs (%.1f records/fsync)", goroutines, total, syncs, float64(total)/float64(syncs))
		})
	}
}

func TestAppendBatchIsContiguous(t *testing.T) {
	ff := &fakeFile{}
	l := openFake(t, ff, nil)
	evs := []*Event{testEvent(1), testEvent(2), testEvent(3)}
	if err := l.AppendBatch(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if w, s := ff.counts(); w != 1 || s != 1 {
		t.Fatalf("batch took %d writes and %d syncs", w, s)
	}
	ls := lines(ff.durable())
	for i, want := range []string{"req-000001", "req-000002", "req-000003"} {
		if !bytes.Contains([]byte(ls[i]), []byte(want)) {
			t.Fatalf("line %d = %s", i, ls[i])
		}
	}
}

// Fail closed: write and fsync errors reach the caller; the half-written
// batch is cut off before the next one, so the chain stays intact.
func TestAppendFailuresFailClosed(t *testing.T) {
	tests := []struct {
		name   string
		inject func(*fakeFile)
	}{
		{"torn write", func(f *fakeFile) { f.failNextWrites = 1 }},
		{"fsync error", func(f *fakeFile) { f.failNextSyncs = 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ff := &fakeFile{}
			obs := &countingObserver{}
			l := openFake(t, ff, func(o *FileLogOptions) { o.Observer = obs })
			ctx := context.Background()
			if err := l.Append(ctx, testEvent(1)); err != nil {
				t.Fatal(err)
			}
			ff.set(tt.inject)
			err := l.Append(ctx, testEvent(2))
			if !errors.Is(err, errInjected) {
				t.Fatalf("Append = %v, want the injected error", err)
			}
			if obs.get(&obs.failed, FailIO) != 1 {
				t.Fatal("failure not observed")
			}
			if err := l.Append(ctx, testEvent(3)); err != nil {
				t.Fatalf("after repair: %v", err)
			}
			data := ff.durable()
			if bytes.Contains(data, []byte("req-000002")) {
				t.Fatalf("failed record left in the file:\n%s", data)
			}
			rep := verifyBytes(nil, data)
			if !rep.OK() || rep.Records != 2 || rep.LastSeq != 2 {
				t.Fatalf("chain after repair: %+v %v", rep, rep.Break)
			}
		})
	}
}

// A dead disk: every Append fails fast, none hangs.
func TestAppendDeadDiskFailsFast(t *testing.T) {
	ff := &fakeFile{}
	// With an hour to wait, the test ends only if no append waits.
	l := openFake(t, ff, func(o *FileLogOptions) { o.AppendTimeout = time.Hour })
	ff.set(func(f *fakeFile) { f.failAll = errInjected })
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Append(context.Background(), testEvent(i)); err == nil {
				t.Error("Append succeeded on a dead disk")
			}
		}()
	}
	wg.Wait()
	// The disk comes back: appends succeed again.
	ff.set(func(f *fakeFile) { f.failAll = nil })
	if err := l.Append(context.Background(), testEvent(99)); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

// A hung fsync: Append gives up at its deadline; a full queue refuses at
// once (within the deadline) instead of piling up.
func TestAppendTimeoutAndQueueFull(t *testing.T) {
	ff := &fakeFile{block: make(chan struct{})}
	obs := &countingObserver{}
	l := openFake(t, ff, func(o *FileLogOptions) {
		o.AppendTimeout = 50 * time.Millisecond
		o.QueueSize = 1
		o.Observer = obs
	})
	ctx := context.Background()
	if err := l.Append(ctx, testEvent(1)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Append = %v, want ErrTimeout", err)
	}
	waitFor(t, "writer stuck in fsync", func() bool { return ff.syncsEntered.Load() == 1 })
	// The writer is stuck in Sync with record 1; one record fits the queue.
	if err := l.Append(ctx, testEvent(2)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Append = %v, want ErrTimeout", err)
	}
	if err := l.Append(ctx, testEvent(3)); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Append = %v, want ErrQueueFull", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.Append(cctx, testEvent(4)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append = %v, want context.Canceled", err)
	}
	// A caller's deadline is a timeout; a canceled caller (the client went
	// away) is counted apart, not as the trail's failure.
	dctx, dcancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer dcancel()
	if err := l.Append(dctx, testEvent(6)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Append = %v, want context.DeadlineExceeded", err)
	}
	queueFull, timeouts, canceled := obs.get(&obs.failed, FailQueueFull), obs.get(&obs.failed, FailTimeout), obs.get(&obs.failed, FailCanceled)
	if queueFull != 1 || timeouts != 3 || canceled != 1 {
		t.Fatalf("observer: queue_full=%d timeout=%d canceled=%d, want 1, 3, 1", queueFull, timeouts, canceled)
	}
	close(ff.block)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(ctx, testEvent(5)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v", err)
	}
}

func TestCloseCommitsQueued(t *testing.T) {
	ff := &fakeFile{syncDelay: time.Millisecond}
	l := openFake(t, ff, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.Append(context.Background(), testEvent(i)) == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	time.Sleep(2 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if got := len(lines(ff.durable())); got != ok {
		t.Fatalf("%d appends succeeded, %d records durable", ok, got)
	}
}

// on_failure: allow lets requests through and counts them; deny refuses.
func TestTrailOnFailure(t *testing.T) {
	for _, mode := range []string{"", OnFailureDeny, OnFailureAllow} {
		t.Run(mode, func(t *testing.T) {
			ff := &fakeFile{}
			obs := &countingObserver{}
			l := openFake(t, ff, nil)
			tr, err := NewWithLog(Config{OnFailure: mode}, l, Options{Observer: obs})
			if err != nil {
				t.Fatal(err)
			}
			ff.set(func(f *fakeFile) { f.failAll = errInjected })
			err = tr.Record(context.Background(), testEvent(1), testEvent(2))
			if mode == OnFailureAllow {
				if err != nil || obs.unaudited.Load() != 2 {
					t.Fatalf("allow: err=%v unaudited=%d", err, obs.unaudited.Load())
				}
			} else if !errors.Is(err, errInjected) || obs.unaudited.Load() != 0 {
				t.Fatalf("deny: err=%v unaudited=%d", err, obs.unaudited.Load())
			}
		})
	}
}

func TestTrailFiltersBeforeWriting(t *testing.T) {
	ff := &fakeFile{}
	l := openFake(t, ff, nil)
	tr, err := NewWithLog(Config{
		NodeID:        "proxy-1",
		IgnoreFilters: map[string]IgnoreFilter{"kibana": {Users: []string{"kibana_system"}}},
	}, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	kib := testEvent(1)
	kib.UserName = "kibana_system"
	success := testEvent(2)
	success.EventAction = AuthenticationSuccess // not in the default include
	change := DeleteUserEvent("kibana_system")
	change.UserName = "kibana_system"
	if err := tr.Record(t.Context(), kib, success, testEvent(3), change); err != nil {
		t.Fatal(err)
	}
	ls := lines(ff.durable())
	if len(ls) != 2 || !bytes.Contains([]byte(ls[0]), []byte("req-000003")) || !bytes.Contains([]byte(ls[1]), []byte(`"event.action":"delete_user"`)) {
		t.Fatalf("records: %q", ls)
	}
	if !bytes.Contains([]byte(ls[1]), []byte(`"node.id":"proxy-1"`)) {
		t.Fatalf("node.id not set: %s", ls[1])
	}
	if !tr.Enabled(AccessGranted) || tr.Enabled(AuthenticationSuccess) {
		t.Fatal("Enabled disagrees with the default include")
	}
}

// TestGatherWaitsForTheReleasedGroup: before an fsync the writer waits for
// the appenders the previous commit released, never after a commit that
// released a single one, and never longer than the previous fsync took.
func TestGatherWaitsForTheReleasedGroup(t *testing.T) {
	p := func() *pending { return &pending{size: 100} }
	tests := []struct {
		name         string
		lastReleased int
		target       int
		lastFsync    time.Duration
		inBatch      int // already taken from the queue
		arriving     int // queued meanwhile
		want         int // batch size after gather
	}{
		{name: "light load: no wait", lastReleased: 1, target: 5, lastFsync: time.Hour, inBatch: 1, arriving: 0, want: 1},
		{name: "the group is back", lastReleased: 4, target: 5, lastFsync: time.Hour, inBatch: 2, arriving: 3, want: 5},
		{name: "stops at the target", lastReleased: 4, target: 4, lastFsync: time.Hour, inBatch: 1, arriving: 6, want: 4},
		{name: "bounded by the previous fsync", lastReleased: 8, target: 8, lastFsync: time.Millisecond, inBatch: 1, arriving: 2, want: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &FileLog{queue: make(chan *pending, 16), quit: make(chan struct{}), opts: FileLogOptions{MaxBatchBytes: 1 << 20},
				lastReleased: tc.lastReleased, gatherTarget: tc.target, lastFsync: tc.lastFsync}
			for i := 0; i < tc.inBatch; i++ {
				l.batch = append(l.batch, p())
			}
			for i := 0; i < tc.arriving; i++ {
				l.queue <- p()
			}
			l.gather() // returns at once or never: nothing more arrives in an hour
			if len(l.batch) != tc.want {
				t.Fatalf("batch of %d, want %d", len(l.batch), tc.want)
			}
		})
	}
}

// TestGatherBacksOffInAnOpenLoop: a gather that runs out of time (clients
// that do not come back after a commit) makes the writer skip the next 1,
// 2, 4… gathers, so an open loop stops paying the wait; one that reaches
// its target ends the backoff.
func TestGatherBacksOffInAnOpenLoop(t *testing.T) {
	l := &FileLog{queue: make(chan *pending, 16), quit: make(chan struct{}), opts: FileLogOptions{MaxBatchBytes: 1 << 20},
		lastReleased: 4, gatherTarget: 4, lastFsync: time.Millisecond}
	gather := func(arriving int) (waited bool) {
		t.Helper()
		l.batch = append(l.batch[:0], &pending{size: 100})
		for i := 0; i < arriving; i++ {
			l.queue <- &pending{size: 100}
		}
		skipping := l.gatherSkips > 0 // then gather returns at once, taking nothing
		l.gather()
		for len(l.queue) > 0 { // what the gather left goes to the next group
			<-l.queue
		}
		if skipping && len(l.batch) != 1 {
			t.Fatalf("a skipped gather took %d records", len(l.batch)-1)
		}
		return !skipping
	}
	var pattern []bool
	for i := 0; i < 8; i++ {
		pattern = append(pattern, gather(0)) // nobody comes back
	}
	// Waits, skips 1, waits, skips 2, waits, skips 4 (the last two here).
	want := []bool{true, false, true, false, false, true, false, false}
	if !slices.Equal(pattern, want) {
		t.Fatalf("waited %v, want %v", pattern, want)
	}
	for l.gatherSkips > 0 {
		gather(0)
	}
	if !gather(3) || l.gatherMisses != 0 {
		t.Fatalf("a gather that reached its target did not end the backoff (misses %d)", l.gatherMisses)
	}
	if !gather(0) || l.gatherSkips != 1 {
		t.Fatalf("after a hit, the next miss starts the backoff over (skips %d)", l.gatherSkips)
	}
}

// TestGroupCommitKeepsTheLoadTogether: 16 clients in a closed loop (append,
// think, append…) with a slow fsync share fsyncs as one group, not as
// cohorts taking turns (about 8 records per fsync).
func TestGroupCommitKeepsTheLoadTogether(t *testing.T) {
	ff := &fakeFile{syncDelay: 5 * time.Millisecond}
	obs := &countingObserver{}
	l := openFake(t, ff, func(o *FileLogOptions) { o.Observer = obs })
	const clients, perClient = 16, 25
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				if err := l.Append(context.Background(), testEvent(c*perClient+i)); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(200 * time.Microsecond) // the cluster's answer, the client's next request
			}
		}()
	}
	wg.Wait()
	perFsync := float64(obs.records.Load()) / float64(obs.commits.Load())
	if perFsync < 10 { // cohorts taking turns give 8
		t.Fatalf("%.1f records per fsync for %d clients in a closed loop", perFsync, clients)
	}
	t.Logf("%.1f records per fsync", perFsync)
}

// TestAbandonedAppendsAreNotWritten: an Append that gave up (its caller's
// deadline or cancellation) before its group was written is left out of
// the group: its request was refused or never forwarded, and a record
// written later would show a grant for it. The chain stays continuous.
func TestAbandonedAppendsAreNotWritten(t *testing.T) {
	ff := &fakeFile{block: make(chan struct{})}
	l := openFake(t, ff, nil)
	first := make(chan error, 1)
	go func() { first <- l.Append(context.Background(), testEvent(1)) }()
	waitFor(t, "writer stuck in fsync", func() bool { return ff.syncsEntered.Load() == 1 })
	// Record 2 queues behind the stuck fsync; its caller gives up.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.Append(ctx, testEvent(2)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Append = %v, want context.DeadlineExceeded", err)
	}
	close(ff.block)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), testEvent(3)); err != nil {
		t.Fatal(err)
	}
	if ff.isSynced("req-000002") {
		t.Fatal("the abandoned record was written after its caller gave up")
	}
	if !ff.isSynced("req-000001") || !ff.isSynced("req-000003") {
		t.Fatal("records 1 and 3 must be durable")
	}
	ff.mu.Lock()
	data := string(ff.data)
	ff.mu.Unlock()
	if !strings.Contains(data, `"chain.seq":2`) || strings.Count(data, "\n") != 2 {
		t.Fatalf("want two records, chained 1 then 2:\n%s", data)
	}
}
