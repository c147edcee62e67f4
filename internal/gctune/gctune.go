// Package gctune keeps the garbage collector from running every few
// hundred requests while the live heap is small.
//
// Go sizes the heap by GOGC: the next collection starts when the heap has
// grown by GOGC percent of what the last one left live (4 MiB at least).
// A proxy keeps little live (a few MiB) and allocates ~10 KiB per request,
// so with the default GOGC=100 it collects every 250 or so requests: at
// 4,000 requests/s, 16 collections a second, each taking a processor for
// its marking and every request it overlaps waiting behind it. The tuner
// gives the heap a floor instead: after each collection it sets GOGC so
// that the next one starts at max(floor, live × (1 + base/100)), base
// being the GOGC the operator chose (100 by default). With a large live
// heap (a big streamed bulk request) GOGC is base, exactly as without the
// tuner; with a small one the heap may grow to the floor first. The
// memory given up for this is at most the floor.
package gctune

import (
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// The runtime's metrics the tuner reads: the heap the last collection
// left live, the heap goal of the current cycle, and the number of
// collections.
const (
	liveHeapMetric = "/gc/heap/live:bytes"
	goalMetric     = "/gc/heap/goal:bytes"
	cyclesMetric   = "/gc/cycles/total:gc-cycles"
)

// maxPercent bounds the GOGC the tuner sets: a GOGC meant for a tiny live
// heap stays in force until the tuner sees the next collection, and by
// then the live heap may be larger.
const maxPercent = 2_000

// Tuner adjusts GOGC after every collection (see the package comment).
// It is one goroutine, polling the runtime's collection count.
type Tuner struct {
	floor uint64
	base  int
	// set is debug.SetGCPercent (tests record calls instead).
	set func(int) int
	// heap reads the live heap and the heap goal after a collection.
	heap func() (live, goal uint64)

	quit, done chan struct{}
	started    bool // run is running

	mu      sync.Mutex
	current int
	stopped atomic.Bool
	// collections counts the collections the tuner has seen.
	collections atomic.Uint64
}

// Start tunes GOGC with a heap floor of floor bytes until Stop. base is
// the GOGC to keep while the live heap is large: the current setting
// (GOGC from the environment, or 100). It returns nil, tuning nothing,
// when floor is 0 or the collector is off (GOGC=off).
func Start(floor uint64) *Tuner {
	if floor == 0 {
		return nil
	}
	base := debug.SetGCPercent(100)
	debug.SetGCPercent(base)
	if base < 0 {
		return nil
	}
	t := newTuner(floor, base, debug.SetGCPercent, readHeap)
	t.started = true
	go t.run()
	return t
}

func newTuner(floor uint64, base int, set func(int) int, heap func() (live, goal uint64)) *Tuner {
	return &Tuner{floor: floor, base: base, set: set, heap: heap, current: base, quit: make(chan struct{}), done: make(chan struct{})}
}

// Stop ends the tuning and puts GOGC back to its base.
func (t *Tuner) Stop() {
	if t == nil || t.stopped.Swap(true) {
		return
	}
	close(t.quit)
	if t.started {
		<-t.done
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.set(t.base)
	t.current = t.base
}

// Collections is the number of collections the tuner has seen.
func (t *Tuner) Collections() uint64 { return t.collections.Load() }

// Percent is the GOGC the tuner set last.
func (t *Tuner) Percent() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.current
}

// pollEvery is how often the tuner looks for a finished collection. A
// finalizer would tell it without polling, but runs only once its
// object's span is swept, which under load came late enough for the heap
// to reach 78 MB with a 32 MiB floor, on a GOGC meant for a smaller live
// heap. At 10 ms the heap can outgrow its goal by what
// the proxy allocates in 10 ms (about 1.5 MiB at 15,000 requests/s).
const pollEvery = 10 * time.Millisecond

// run adjusts GOGC after each collection until Stop.
func (t *Tuner) run() {
	defer close(t.done)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	s := []metrics.Sample{{Name: cyclesMetric}}
	var seen uint64
	for {
		select {
		case <-t.quit:
			return
		case <-tick.C:
		}
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		if n := s[0].Value.Uint64(); n != seen {
			seen = n
			t.adjust()
			t.collections.Add(1) // after: a reader of Collections sees the adjustment made
		}
	}
}

// adjust sets GOGC for the next collection from the live heap.
func (t *Tuner) adjust() {
	t.mu.Lock()
	defer t.mu.Unlock()
	live, goal := t.heap()
	want := percentFor(t.floor, live, goal, t.current, t.base)
	if t.stopped.Load() || !worthChanging(t.current, want) {
		return
	}
	t.set(want)
	t.current = want
}

// percentFor is the GOGC whose heap goal is max(floor, the goal with
// base), at most maxPercent, given the live heap and the goal the runtime
// set with GOGC cur. Go's goal is live + scanned × GOGC/100, scanned
// being the live heap plus the stacks and globals the collector scans; the
// current goal gives scanned, so the runtime's own arithmetic is used.
func percentFor(floor, live, goal uint64, cur, base int) int {
	if live == 0 || goal <= live || cur <= 0 || floor <= live { // 0: the runtime did not say
		return base
	}
	scanned := (goal - live) * 100 / uint64(cur)
	if scanned == 0 {
		return base
	}
	p := ((floor-live)*100 + scanned - 1) / scanned // rounded up: reach the floor
	if p > maxPercent {
		return maxPercent
	}
	return max(base, int(p))
}

// worthChanging reports whether GOGC should move from cur to want: by a
// tenth or more, or back to exactly the base (setting GOGC takes the
// runtime's heap lock; small moves buy nothing).
func worthChanging(cur, want int) bool {
	d := cur - want
	if d < 0 {
		d = -d
	}
	return d > 0 && (d*10 >= cur || d*10 >= want)
}

func readHeap() (live, goal uint64) {
	s := []metrics.Sample{{Name: liveHeapMetric}, {Name: goalMetric}}
	metrics.Read(s)
	for _, v := range s {
		if v.Value.Kind() != metrics.KindUint64 {
			return 0, 0
		}
	}
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}
