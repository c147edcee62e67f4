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
	for _, g := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			obs := &countingObserver{}
			l, err := OpenFileLog(FileLogOptions{
				Path:     filepath.Join(b.TempDir(), "audit.json"),
				Observer: obs,
				Rotate:   RotateConfig{MaxBytes: -1, Interval: -1},
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
		})
	}
}

// BenchmarkAppendClosedLoop is the proxy's pattern under a closed-loop
// load: 16 clients, each appending its request's record, then spending
// think (the cluster's answer, the client's next request) before the next
// one. It reports how many records share an fsync and the records/s.
//
//	go test -run x -bench AppendClosedLoop -benchtime 3000x ./internal/audit/
func BenchmarkAppendClosedLoop(b *testing.B) {
	for _, think := range []time.Duration{200 * time.Microsecond, time.Millisecond} {
		b.Run(fmt.Sprintf("clients=16/think=%s", think), func(b *testing.B) {
			obs := &countingObserver{}
			l, err := OpenFileLog(FileLogOptions{
				Path:     filepath.Join(b.TempDir(), "audit.json"),
				Observer: obs,
				Rotate:   RotateConfig{MaxBytes: -1, Interval: -1},
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
		})
	}
}
