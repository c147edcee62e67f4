package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"go.uber.org/zap"
)

// serveStreaming is serve for spooled _bulk requests, whose answers can be
// as large as their item count: the cluster's answer is merged while it
// arrives, one item at a time, and never held whole.
//
// The status line is sent before the cluster's answer is complete, so a
// malformed answer, or one with the wrong number of items, cannot become
// a 502 as in serve: the response is aborted instead (the client sees a
// broken connection, never a wrong item list).
func (m *itemMerger) serveStreaming(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if len(m.denied) == m.total {
		stateOf(r).Decision = "deny" // nothing forwarded: audited as access_denied
		startMerged(w)
		if err := m.mergeThenCut(w, nil); err != nil {
			stateOf(r).Log().Warn("writing the refused bulk items failed", zap.Error(err))
		}
		return
	}
	r.Header.Del("Accept-Encoding") // the response is rewritten: keep it plain
	mw := &mergingWriter{m: m, w: w, header: http.Header{}}
	// An answer that breaks off makes next panic (httputil.ReverseProxy
	// aborts with http.ErrAbortHandler when copying the body fails): the
	// merge, blocked on the pipe, must end with the request, not wait
	// forever for the rest.
	defer mw.abandon()
	next.ServeHTTP(mw, r)
	if err := mw.close(); err != nil {
		stateOf(r).Log().Error("the cluster's bulk response could not be merged with the refused items", zap.Error(err))
		panic(http.ErrAbortHandler)
	}
}

func startMerged(w http.ResponseWriter) {
	w.Header().Del("Content-Length")
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
}

// mergingWriter is the ResponseWriter the cluster's answer is written to:
// a 200 is piped into mergeStream, running in its own goroutine; anything
// else (an error of the whole request) passes through unchanged.
type mergingWriter struct {
	m      *itemMerger
	w      http.ResponseWriter
	header http.Header
	status int
	pipe   *io.PipeWriter
	done   chan error
	closed bool
}

func (mw *mergingWriter) Header() http.Header { return mw.header }

func (mw *mergingWriter) WriteHeader(code int) {
	if mw.status != 0 || informational(code) {
		return
	}
	mw.status = code
	if code != http.StatusOK {
		for k, vs := range mw.header {
			mw.w.Header()[k] = vs
		}
		mw.w.WriteHeader(code)
		return
	}
	startMerged(mw.w)
	pr, pw := io.Pipe()
	mw.pipe, mw.done = pw, make(chan error, 1)
	go func() {
		err := runRecovered(func() error { return mw.m.mergeThenCut(mw.w, pr) })
		pr.CloseWithError(cmpErr(err, errors.New("merge ended"))) // unblocks the writer if the merge stopped early
		mw.done <- err
	}()
}

func (mw *mergingWriter) Write(p []byte) (int, error) {
	if mw.status == 0 {
		mw.WriteHeader(http.StatusOK)
	}
	if mw.pipe == nil {
		return mw.w.Write(p)
	}
	return mw.pipe.Write(p)
}

// close ends the cluster's answer and waits for the merge.
func (mw *mergingWriter) close() error {
	if mw.pipe == nil {
		if mw.status == 0 {
			return errors.New("the cluster sent no response")
		}
		return nil
	}
	mw.closed = true
	_ = mw.pipe.Close()
	return <-mw.done
}

// errAnswerAbandoned ends the merge of an answer that broke off.
var errAnswerAbandoned = errors.New("the cluster's answer broke off")

// abandon ends a merge that close did not: the answer broke off.
func (mw *mergingWriter) abandon() {
	if mw.pipe == nil || mw.closed {
		return
	}
	mw.closed = true
	mw.pipe.CloseWithError(errAnswerAbandoned)
	<-mw.done
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// mergeThenCut is mergeStream followed by the client's filter_path.
func (m *itemMerger) mergeThenCut(dst io.Writer, src io.Reader) error {
	merge := func(dst io.Writer, _ io.Reader) error { return m.mergeStream(src, dst) }
	return thenFilterPath(merge, m.after)(dst, nil)
}

// mergeStream copies the cluster's _bulk answer from src (nil: nothing was
// forwarded) to w, with "errors": true and the refused items put back at
// their positions in "items". Other members pass through unchanged.
func (m *itemMerger) mergeStream(src io.Reader, w io.Writer) error {
	out := bufio.NewWriterSize(w, 64<<10)
	if src == nil {
		_, _ = out.WriteString(`{"took":0,"errors":true,"items":`)
		if err := m.mergeItems(nil, out); err != nil {
			return err
		}
		_ = out.WriteByte('}')
		return out.Flush()
	}
	dec := json.NewDecoder(src)
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	_ = out.WriteByte('{')
	sawErrors, sawItems := false, false
	for n := 0; dec.More(); n++ {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("reading the bulk response: %w", err)
		}
		key, _ := tok.(string)
		name, _ := json.Marshal(key)
		if n > 0 {
			_ = out.WriteByte(',')
		}
		_, _ = out.Write(name)
		_ = out.WriteByte(':')
		switch {
		case key == "errors" && !sawErrors:
			sawErrors = true
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("reading the bulk response's errors: %w", err)
			}
			_, _ = out.WriteString("true")
		case key == m.key && !sawItems:
			sawItems = true
			if err := m.mergeItems(dec, out); err != nil {
				return err
			}
		default:
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return fmt.Errorf("reading the bulk response's %s: %w", name, err)
			}
			_, _ = out.Write(v)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the bulk response")
	}
	if !sawItems {
		return errors.New("the bulk response has no items")
	}
	if !sawErrors {
		_, _ = out.WriteString(`,"errors":true`)
	}
	_ = out.WriteByte('}')
	return out.Flush()
}

// mergeItems copies the items array from dec (nil: no forwarded item),
// inserting the refused ones at their positions.
func (m *itemMerger) mergeItems(dec *json.Decoder, out *bufio.Writer) error {
	_ = out.WriteByte('[')
	pos, next := 0, 0
	put := func(item []byte) error {
		if pos > 0 {
			_ = out.WriteByte(',')
		}
		pos++
		_, err := out.Write(item)
		return err
	}
	putDenied := func() error {
		for next < len(m.denied) && m.denied[next].pos == pos {
			if err := put(m.render(m.denied[next])); err != nil {
				return err
			}
			next++
		}
		return nil
	}
	if err := putDenied(); err != nil {
		return err
	}
	if dec != nil {
		if err := expectDelim(dec, '['); err != nil {
			return err
		}
		for dec.More() {
			var item json.RawMessage
			if err := dec.Decode(&item); err != nil {
				return fmt.Errorf("reading bulk response item %d: %w", pos, err)
			}
			if pos >= m.total {
				return fmt.Errorf("the bulk response has more than the %d forwarded items", m.total-len(m.denied))
			}
			if err := put(item); err != nil {
				return err
			}
			if err := putDenied(); err != nil {
				return err
			}
		}
		if err := expectDelim(dec, ']'); err != nil {
			return err
		}
	}
	if pos != m.total {
		return fmt.Errorf("the bulk response has %d items, %d were forwarded", pos-len(m.denied), m.total-len(m.denied))
	}
	return out.WriteByte(']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("reading the bulk response: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("the bulk response has %v where %v was expected", tok, want)
	}
	return nil
}
