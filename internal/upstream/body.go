package upstream

import (
	"io"
	"sync"
	"sync/atomic"
)

// trackedBody wraps a request body and records whether anything read from
// it, which is what proves that a failed attempt left the body intact.
type trackedBody struct {
	rc      io.ReadCloser
	touched atomic.Bool
}

// Read marks the body as touched, even for a zero-byte read: the decision
// to retry must err on the side of "partially sent".
func (t *trackedBody) Read(p []byte) (int, error) {
	t.touched.Store(true)
	return t.rc.Read(p)
}

// Close closes the underlying body only once it has been read from: the
// transport closes bodies on dial errors, and an untouched body may still be
// replayed. replay.release closes it when no attempt remains.
func (t *trackedBody) Close() error {
	if t.touched.Load() {
		return t.rc.Close()
	}
	return nil
}

// bufferPool recycles the buffers ReverseProxy copies response bodies
// through; it implements httputil.BufferPool.
type bufferPool struct {
	pool sync.Pool
}

// copyBufferSize matches io.Copy's default buffer size.
const copyBufferSize = 32 << 10

// Get returns a buffer of copyBufferSize bytes.
func (b *bufferPool) Get() []byte {
	if p, ok := b.pool.Get().(*[]byte); ok {
		return *p
	}
	return make([]byte, copyBufferSize)
}

// Put returns buf to the pool.
func (b *bufferPool) Put(buf []byte) {
	if cap(buf) != copyBufferSize {
		return
	}
	buf = buf[:copyBufferSize]
	b.pool.Put(&buf)
}
