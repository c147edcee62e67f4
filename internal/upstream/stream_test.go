package upstream

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// progress counts bytes that arrived at the far side of the proxy and lets
// the producing side wait for it: the producer never gets more than window
// bytes ahead of the consumer. A proxy that buffered whole bodies would
// stall the producer, so finishing at all proves streaming, and the
// in-flight volume, hence the proxy's memory, is bounded by the window.
type progress struct {
	done   atomic.Int64
	notify chan struct{}
}

func newProgress() *progress { return &progress{notify: make(chan struct{}, 1)} }

// add records n more bytes consumed.
func (p *progress) add(n int) {
	p.done.Add(int64(n))
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

var errStalled = errors.New("consumer stopped making progress: the proxy is buffering")

// waitFor blocks until at least n bytes were consumed. The deadline only
// guards against a hang; nothing is asserted about durations.
func (p *progress) waitFor(n int64, abort <-chan struct{}) error {
	guard := time.NewTimer(30 * time.Second)
	defer guard.Stop()
	for p.done.Load() < n {
		select {
		case <-p.notify:
		case <-abort:
			return errors.New("aborted")
		case <-guard.C:
			return errStalled
		}
	}
	return nil
}

// countingReader reports every byte read to a progress.
type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.add(n)
	return n, err
}

// chunkSource returns deterministic pseudo-random data.
func chunkSource(seed uint64) io.Reader {
	return rand.NewChaCha8([32]byte{byte(seed)})
}

func TestStreamingLargeResponse(t *testing.T) {
	const (
		total  = 50 << 20
		chunk  = 256 << 10
		window = 4 << 20 // producer may run this far ahead of the client
	)
	for _, tt := range []struct {
		name          string
		contentLength bool
	}{{"chunked", false}, {"content-length", true}} {
		t.Run(tt.name, func(t *testing.T) {
			consumed := newProgress()
			var maxAhead atomic.Int64
			wantSum := make(chan string, 1)
			be := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.contentLength {
					w.Header().Set("Content-Length", strconv.Itoa(total))
				}
				h := sha256.New()
				src := chunkSource(1)
				buf := make([]byte, chunk)
				for sent := 0; sent < total; sent += chunk {
					if err := consumed.waitFor(int64(sent-window), r.Context().Done()); err != nil {
						t.Error(err)
						return
					}
					maxAhead.Store(max(maxAhead.Load(), int64(sent)-consumed.done.Load()))
					_, _ = io.ReadFull(src, buf)
					h.Write(buf)
					if _, err := w.Write(buf); err != nil {
						return
					}
					http.NewResponseController(w).Flush()
				}
				wantSum <- hex.EncodeToString(h.Sum(nil))
			})
			p := newProxy(t, Config{Nodes: []*url.URL{be.url(t)}}, nil)
			front := httptest.NewServer(p)
			t.Cleanup(front.Close)

			resp, err := http.Get(front.URL + "/idx/_search")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			h := sha256.New()
			n, err := io.Copy(h, &countingReader{r: resp.Body, p: consumed})
			if err != nil {
				t.Fatalf("after %d bytes: %v", n, err)
			}
			if n != total {
				t.Fatalf("received %d bytes, want %d", n, total)
			}
			if got, want := hex.EncodeToString(h.Sum(nil)), <-wantSum; got != want {
				t.Errorf("checksum mismatch: got %s want %s", got, want)
			}
			if ahead := maxAhead.Load(); ahead > window+chunk {
				t.Errorf("producer ran %d bytes ahead of the client, window is %d", ahead, window)
			}
		})
	}
}

func TestStreamingChunkedRequestBody(t *testing.T) {
	const (
		total  = 16 << 20
		chunk  = 64 << 10
		window = 1 << 20
	)
	received := newProgress()
	be := newBackend(t, func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, &countingReader{r: r.Body, p: received})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Received", strconv.FormatInt(n, 10))
		w.Header().Set("X-Transfer-Encoding", strings.Join(r.TransferEncoding, ","))
		_, _ = io.WriteString(w, hex.EncodeToString(h.Sum(nil)))
	})
	p := newProxy(t, Config{Nodes: []*url.URL{be.url(t)}}, nil)
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)

	pr, pw := io.Pipe()
	sentSum := make(chan string, 1)
	abort := make(chan struct{})
	defer close(abort)
	go func() {
		sent := sha256.New()
		src := chunkSource(2)
		buf := make([]byte, chunk)
		for off := 0; off < total; off += chunk {
			// Send the next chunk only once the node has received all but
			// window bytes: a buffering proxy would deadlock here.
			if err := received.waitFor(int64(off-window), abort); err != nil {
				pw.CloseWithError(err)
				return
			}
			_, _ = io.ReadFull(src, buf)
			sent.Write(buf)
			if _, err := pw.Write(buf); err != nil {
				return
			}
		}
		sentSum <- hex.EncodeToString(sent.Sum(nil))
		pw.Close()
	}()
	resp, err := http.Post(front.URL+"/idx/_bulk", "application/x-ndjson", pr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-Received"); got != strconv.Itoa(total) {
		t.Errorf("node received %s bytes, want %d", got, total)
	}
	if te := resp.Header.Get("X-Transfer-Encoding"); te != "chunked" {
		t.Errorf("upstream transfer encoding = %q, want chunked", te)
	}
	if got, want := string(body), <-sentSum; got != want {
		t.Errorf("checksum mismatch: node got %s, client sent %s", got, want)
	}
}
