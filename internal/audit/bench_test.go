package audit

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppendParallel measures durable appends to a real file (fsync
// on) from G goroutines: records/s, and how many records share an fsync.
//
//	go test -run x -bench AppendParallel -benchtime 2000x ./internal/audit/
func BenchmarkAppendParallel(b *testing.B) {
	for _, bc := range benchCases([]int{1, 16, 64}) {
		g := bc.n
		b.Run(fmt.Sprintf("file=%s/goroutines=%d", bc.file, g), func(b *testing.B) {
			obs := &countingObserver{}
			l, err := OpenFileLog(FileLogOptions{
				Path:             filepath.Join(b.TempDir(), "audit.json"),
				Observer:         obs,
				Rotate:           RotateConfig{MaxBytes: -1, Interval: -1},
				PreallocateBytes: bc.prealloc,
			})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			ev := testEvent(1)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < g; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					e := *ev
					for next.Add(1) <= int64(b.N) {
						if err := l.Append(context.Background(), &e); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			commits := obs.commits.Load()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(commits)/float64(b.N), "fsyncs/record")
			b.ReportMetric(float64(b.N)/float64(commits), "records/fsync")
			b.ReportMetric(meanFsyncMicros(obs), "fsync-µs")
		})
	}
}

// benchCase is one file mode and one load.
type benchCase struct {
	file     string // "append" or "prealloc"
	prealloc int64  // FileLogOptions.PreallocateBytes
	n        int
}

// benchCases crosses the loads with both file modes, so that one run
// compares appending with preallocated overwriting.
func benchCases(loads []int) []benchCase {
	var out []benchCase
	for _, n := range loads {
		out = append(out, benchCase{"append", 0, n}, benchCase{"prealloc", 4 << 20, n})
	}
	return out
}

// meanFsyncMicros is the mean duration of a group commit's fsync.
func meanFsyncMicros(obs *countingObserver) float64 {
	if c := obs.commits.Load(); c > 0 {
		return float64(obs.fsyncNanos.Load()) / float64(c) / 1e3
	}
	return 0
}

// BenchmarkAppendClosedLoop is the proxy's pattern under a closed-loop
// load: 16 clients, each appending its request's record, then spending
// think (the cluster's answer, the client's next request) before the next
// one. It reports how many records share an fsync and the records/s.
//
//	go test -run x -bench AppendClosedLoop -benchtime 3000x ./internal/audit/
func BenchmarkAppendClosedLoop(b *testing.B) {
	for _, bc := range benchCases([]int{200, 1000}) {
		think := time.Duration(bc.n) * time.Microsecond
		b.Run(fmt.Sprintf("file=%s/clients=16/think=%s", bc.file, think), func(b *testing.B) {
			obs := &countingObserver{}
			l, err := OpenFileLog(FileLogOptions{
				Path:             filepath.Join(b.TempDir(), "audit.json"),
				Observer:         obs,
				Rotate:           RotateConfig{MaxBytes: -1, Interval: -1},
				PreallocateBytes: bc.prealloc,
			})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			ev := testEvent(1)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < 16; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					e := *ev
					for next.Add(1) <= int64(b.N) {
						if err := l.Append(context.Background(), &e); err != nil {
							b.Error(err)
							return
						}
						time.Sleep(think)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			commits := obs.commits.Load()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(b.N)/float64(commits), "records/fsync")
			b.ReportMetric(meanFsyncMicros(obs), "fsync-µs")
		})
	}
}
