package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercentFor(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name              string
		floor, live, goal uint64
		cur, base, want   int
	}{
		{"small live heap: grow to the floor", 32 * mib, 3 * mib, 6 * mib, 100, 100, 967},
		{"roots count toward the goal", 32 * mib, 3 * mib, 9 * mib, 100, 100, 484},
		{"the same from a raised GOGC", 32 * mib, 3 * mib, 3*mib + 6*mib*967/100, 967, 100, 484},
		{"live heap at half the floor: the base already reaches it", 32 * mib, 16 * mib, 32 * mib, 100, 100, 100},
		{"live heap above the floor: the base", 32 * mib, 40 * mib, 81 * mib, 100, 100, 100},
		{"a higher base wins", 32 * mib, 8 * mib, 48 * mib, 500, 500, 500},
		{"a lower base is raised", 32 * mib, 8 * mib, 12 * mib, 50, 50, 300},
		{"a tiny live heap is capped", 32 * mib, 100, 200, 100, 100, maxPercent},
		{"unknown live heap: the base", 32 * mib, 0, 0, 100, 100, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := percentFor(tt.floor, tt.live, tt.goal, tt.cur, tt.base)
			if got != tt.want {
				t.Fatalf("percentFor(%d, %d, %d, %d, %d) = %d, want %d", tt.floor, tt.live, tt.goal, tt.cur, tt.base, got, tt.want)
			}
			if tt.live == 0 || got == maxPercent || got == tt.base {
				return
			}
			scanned := (tt.goal - tt.live) * 100 / uint64(tt.cur)
			if goal := tt.live + scanned*uint64(got)/100; goal < tt.floor || goal > tt.floor+scanned/50 {
				t.Fatalf("heap goal %d, want the floor %d", goal, tt.floor)
			}
		})
	}
}

// TestAdjustFollowsTheLiveHeap: GOGC rises while the live heap is small,
// falls back to the base as it grows, and small moves are not made.
func TestAdjustFollowsTheLiveHeap(t *testing.T) {
	var live uint64
	cur := 100
	var calls []int
	set := func(p int) int { calls = append(calls, p); old := cur; cur = p; return old }
	heap := func() (uint64, uint64) { return live, live + live*uint64(cur)/100 }
	tu := newTuner(32<<20, 100, set, heap)
	for _, l := range []uint64{3 << 20, 3<<20 + 1000, 20 << 20, 2 << 20} {
		live = l
		tu.adjust()
	}
	if want := []int{967, 100, 1500}; len(calls) != len(want) || calls[0] != want[0] || calls[1] != want[1] || calls[2] != want[2] {
		t.Fatalf("GOGC set to %v, want %v", calls, want)
	}
	tu.Stop()
	if calls[len(calls)-1] != 100 || tu.Percent() != 100 {
		t.Fatalf("after Stop GOGC set to %v (percent %d), want the base 100", calls, tu.Percent())
	}
	tu.adjust()
	if calls[len(calls)-1] != 100 {
		t.Fatalf("a stopped tuner set GOGC to %d", calls[len(calls)-1])
	}
}

// TestTunerRunsAfterCollections: with the real runtime, the tuner sees
// collections and leaves GOGC where it says; Stop restores the base.
func TestTunerRunsAfterCollections(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	tu := Start(64 << 20)
	if tu == nil {
		t.Fatal("no tuner with GOGC=100")
	}
	defer tu.Stop()
	deadline := time.Now().Add(30 * time.Second) // a bound on waiting, not a timing assertion
	for tu.Collections() < 3 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // let the finalizer goroutine run
	}
	if tu.Collections() < 3 {
		t.Fatalf("the tuner saw %d collections after forced ones", tu.Collections())
	}
	if p := tu.Percent(); p <= 100 {
		t.Fatalf("GOGC %d with a test binary's small live heap and a 64 MiB floor", p)
	}
	if live, goal := readHeap(); tu.Percent() < maxPercent && (goal < 60<<20 || goal > 70<<20) {
		t.Fatalf("heap goal %d MiB (live %d KiB), want about the 64 MiB floor", goal>>20, live>>10)
	}
	if got := debug.SetGCPercent(tu.Percent()); got != tu.Percent() {
		t.Fatalf("runtime GOGC %d, tuner says %d", got, tu.Percent())
	}
	tu.Stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC after Stop = %d, want the base 100", got)
	}
}

func TestStartOff(t *testing.T) {
	if Start(0) != nil {
		t.Fatal("a zero floor started a tuner")
	}
	before := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(before)
	if Start(64<<20) != nil {
		t.Fatal("GOGC=off started a tuner")
	}
}
