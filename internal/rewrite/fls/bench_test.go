package fls

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
)

// benchMapping is the mapping of the benchmark's log index.
const benchMapping = `{"logs":{"mappings":{"properties":{
	"@timestamp":{"type":"date"},"tenant":{"type":"keyword"},
	"message":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},
	"user":{"properties":{"name":{"type":"keyword"},"email":{"type":"keyword"},"ssn":{"type":"keyword"}}},
	"salary":{"type":"long"},"tags":{"type":"keyword"},
	"http":{"properties":{"method":{"type":"keyword"},"status":{"type":"integer"},"url":{"type":"keyword"},"bytes":{"type":"long"}}},
	"geo":{"properties":{"country":{"type":"keyword"},"city":{"type":"keyword"},"location":{"type":"geo_point"}}},
	"labels":{"type":"object","enabled":false}
}}}}`

const benchRoles = `
except_role:
  indices:
    - names: ['logs']
      privileges: [read]
      field_security:
        grant: ['*']
        except: ['salary', 'user.ssn', 'user.email', 'labels.secret']
grant_role:
  indices:
    - names: ['logs']
      privileges: [read]
      field_security:
        grant: ['@timestamp', 'tenant', 'message', 'user.*', 'http.*', 'tags']
        except: ['user.email', 'user.ssn']
`

// benchHit writes one realistic log hit (about 700 bytes).
func benchHit(b *bytes.Buffer, i int) {
	fmt.Fprintf(b, `{"_index":"logs","_id":"doc-%08d","_score":1.0,"_source":{"@timestamp":"2024-03-01T10:%02d:%02dZ","tenant":"acme",`+
		`"message":"GET /api/v1/items/%d completed for user alice with status 200 after 12 ms","user":{"name":"alice","email":"alice@acme.example","ssn":"123-45-%04d"},`+
		`"salary":%d,"tags":["web","prod","eu-west-1"],"http":{"method":"GET","status":200,"url":"/api/v1/items/%d","bytes":%d},`+
		`"geo":{"country":"FR","city":"Lyon","location":{"lat":45.75,"lon":4.85}},"labels":{"team":"core","secret":"s-%d"}},`+
		`"sort":[%d,"doc-%08d"]}`, i, i/60%60, i%60, i, i%10000, 50000+i%7919, i, 1000+i%5000, i, 1700000000000+i, i)
}

// searchResponseReader streams a search response of n hits without
// holding it in memory.
type searchResponseReader struct {
	n, next int
	buf     bytes.Buffer
	done    bool
	onRead  func()
}

func newSearchResponseReader(n int) *searchResponseReader {
	r := &searchResponseReader{n: n}
	r.buf.WriteString(`{"took":42,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},"hits":{"total":{"value":`)
	fmt.Fprintf(&r.buf, "%d", n)
	r.buf.WriteString(`,"relation":"eq"},"max_score":1.0,"hits":[`)
	return r
}

func (r *searchResponseReader) Read(p []byte) (int, error) {
	if r.onRead != nil {
		r.onRead()
	}
	for r.buf.Len() < len(p) && !r.done {
		if r.next == r.n {
			r.buf.WriteString(`]}}`)
			r.done = true
			break
		}
		if r.next > 0 {
			r.buf.WriteByte(',')
		}
		benchHit(&r.buf, r.next)
		r.next++
	}
	if r.buf.Len() == 0 {
		return 0, io.EOF
	}
	return r.buf.Read(p)
}

// benchResponse returns a whole search response of about size bytes.
func benchResponse(b *testing.B, size int) []byte {
	b.Helper()
	var out bytes.Buffer
	n := size / 700
	if _, err := io.Copy(&out, newSearchResponseReader(n)); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}

func benchFilter(b *testing.B, role string) *Filter {
	b.Helper()
	ms, err := ParseMappings([]byte(benchMapping))
	if err != nil {
		b.Fatal(err)
	}
	return &Filter{Policy: Views{"logs": NewView(fieldAccessFrom(b, benchRoles, "logs", role), ms["logs"])}}
}

// BenchmarkFilterSearch filters a ~10 MB search response; run with -cpu 1
// for the per-core figure. Besides the wall-clock MB/s it reports MB per
// second of CPU time used by the process (MB/cpu-s), which a machine
// shared with other work does not distort.
func BenchmarkFilterSearch(b *testing.B) {
	body := benchResponse(b, 10<<20)
	filters := map[string]*Filter{
		"except_role":  benchFilter(b, "except_role"),
		"grant_role":   benchFilter(b, "grant_role"),
		"unrestricted": {Policy: Views{"logs": nil}},
	}
	for _, name := range []string{"except_role", "grant_role", "unrestricted"} {
		f := filters[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if err := f.Search(io.Discard, bytes.NewReader(body)); err != nil {
					b.Fatal(err)
				}
			}
			reportCPUThroughput(b, start, int64(len(body))*int64(b.N))
		})
	}
	// The floor of any jsontext-based filter on this machine, for scale:
	// jsontext validating the same body in one ReadValue.
	b.Run("jsontext_validate_only", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		dec := jsontext.NewDecoder(bytes.NewReader(body))
		start := cpuTime()
		for b.Loop() {
			dec.Reset(bytes.NewReader(body))
			if _, err := dec.ReadValue(); err != nil {
				b.Fatal(err)
			}
		}
		reportCPUThroughput(b, start, int64(len(body))*int64(b.N))
	})
}

// cpuTime returns the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPUThroughput reports MB filtered per second of process CPU time.
func reportCPUThroughput(b *testing.B, start time.Duration, bytes int64) {
	if used := cpuTime() - start; used > 0 {
		b.ReportMetric(float64(bytes)/(1<<20)/used.Seconds(), "MB/cpu-s")
	}
}

// BenchmarkFilterSearch100MB streams a ~100 MB response through the filter
// and reports the peak growth of the live heap while doing so.
func BenchmarkFilterSearch100MB(b *testing.B) {
	f := benchFilter(b, "except_role")
	const hits = 100 << 20 / 700
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	var peak uint64
	for b.Loop() {
		runtime.GC()
		base := heap()
		peak = 0
		src := newSearchResponseReader(hits)
		calls := 0
		src.onRead = func() {
			if calls++; calls%16 == 0 {
				if h := heap(); h > base && h-base > peak {
					peak = h - base
				}
			}
		}
		n := &countingWriter{}
		if err := f.Search(n, src); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(src.next) * 700)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// countingWriter discards what it is given.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
