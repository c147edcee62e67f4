// Command rateload is a tiny open-loop (constant-rate) HTTP load generator for
// bench/run.sh, standing in for wrk2, which Debian does not package.
//
// Like wrk2 it keeps a fixed number of connections (-c workers) and a fixed
// schedule: request i is due at start + i/rate. A worker takes the next due
// request, waits until its due time (or sends at once when behind), and the
// latency is measured from the *due* time, so a target that stalls is charged
// for the queueing it causes (no coordinated omission). Sending stops at
// -d; requests still unsent once -d plus -timeout has passed are not sent but
// counted as "late" with their latency so far as a lower bound, so the run is
// bounded in time. It prints one machine-readable line:
//
//	RESULT rate=... scheduled=... ok=... errors=... non2xx=... late=... p50_us=... p90_us=... p99_us=... p999_us=... max_us=... achieved_rps=...
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	target := flag.String("url", "", "URL to request (loopback only)")
	rate := flag.Float64("rate", 1000, "requests per second (open loop)")
	dur := flag.Duration("d", 10*time.Second, "how long to send (at most 10m)")
	conns := flag.Int("c", 16, "connections (concurrent workers)")
	timeout := flag.Duration("timeout", 2*time.Second, "per-request timeout")
	insecure := flag.Bool("insecure", false, "skip TLS certificate verification (self-signed bench certs)")
	var hdrs headers
	flag.Var(&hdrs, "H", "request header 'Name: value' (repeatable)")
	flag.Parse()
	if *target == "" || *rate <= 0 || *dur <= 0 || *dur > 10*time.Minute || *conns < 1 {
		fmt.Fprintln(os.Stderr, "rateload: need -url, -rate > 0, -c >= 1 and 0 < -d <= 10m")
		os.Exit(2)
	}

	tr := &http.Transport{
		MaxConnsPerHost:     *conns,
		MaxIdleConnsPerHost: *conns,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: *insecure}, //nolint:gosec // bench-only, loopback
	}
	client := &http.Client{Transport: tr, Timeout: *timeout}

	hdr := http.Header{}
	for _, h := range hdrs {
		name, val, ok := strings.Cut(h, ":")
		if !ok {
			fmt.Fprintf(os.Stderr, "rateload: bad header %q\n", h)
			os.Exit(2)
		}
		hdr.Add(strings.TrimSpace(name), strings.TrimSpace(val))
	}

	total := int64(*rate * dur.Seconds())
	lat := make([]int64, total) // ns from due time
	var next, ok, errs, non2xx, late, done atomic.Int64
	interval := float64(time.Second) / *rate
	start := time.Now().Add(50 * time.Millisecond)
	hardStop := start.Add(*dur + *timeout)
	due := func(i int64) time.Time { return start.Add(time.Duration(float64(i) * interval)) }

	var wg sync.WaitGroup
	for w := 0; w < *conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				t := due(i)
				if d := time.Until(t); d > 0 {
					time.Sleep(d)
				}
				if time.Now().After(hardStop) {
					lat[i] = int64(time.Since(t))
					late.Add(1)
					continue
				}
				req, err := http.NewRequest(http.MethodGet, *target, nil)
				if err != nil {
					errs.Add(1)
					lat[i] = int64(time.Since(t))
					continue
				}
				req.Header = hdr.Clone()
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					lat[i] = int64(time.Since(t))
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = int64(time.Since(t))
				done.Add(1)
				if resp.StatusCode < 200 || resp.StatusCode > 299 {
					non2xx.Add(1)
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return -1
		}
		idx := int(p/100*float64(len(lat))+0.5) - 1
		idx = max(0, min(idx, len(lat)-1))
		return float64(lat[idx]) / 1e3
	}
	fmt.Printf("RESULT rate=%.0f scheduled=%d ok=%d errors=%d non2xx=%d late=%d p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f achieved_rps=%.0f\n",
		*rate, total, ok.Load(), errs.Load(), non2xx.Load(), late.Load(),
		pct(50), pct(90), pct(99), pct(99.9), pct(100), float64(done.Load())/elapsed.Seconds())
}
