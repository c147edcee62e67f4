package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// spooledBulk is a _bulk body that was parsed while it was written, line
// by line as the proxy parsed it, to a spool: the items' typed views are
// in parsedBody.bulk (without Meta and Source), their bytes only on disk.
//
// Memory per item: the esbody.BulkItem view (136 bytes plus its _id; the
// index name and action strings are shared), 8 bytes of offset here and,
// for a refused item, an 80-byte deniedItem (its reason shared): at most
// about 230 bytes per item, whatever the documents' size. Decisions are
// kept per distinct (index, action), not per item, and the views are
// dropped once the items are decided. Only one line (one document) at a
// time is in memory while parsing.
type spooledBulk struct {
	sp *spool
	// ends[i] is the offset where item i ends in the spool; it starts
	// where item i-1 ends (item 0 at 0).
	ends []int64
}

// spoolsBulk reports whether r's body is a _bulk to stream through a
// spool: when it may be larger than the threshold (a larger or unknown
// length, or a compressed body, whose decoded size is unknown). Small
// bodies, and bodies in the `source` parameter, are read at once.
func spoolsBulk(r *http.Request, c *esapi.Classification, opts SpoolOptions) bool {
	if c.Body != esapi.BodyNDJSON || c.Action != bulkAction {
		return false
	}
	if _, inQuery := c.Params.Values["source"]; inQuery {
		return false
	}
	compressed := r.Header.Get("Content-Encoding") != ""
	return r.ContentLength < 0 || r.ContentLength > opts.threshold() || compressed
}

// spoolBulk reads r's _bulk body through esbody.BulkStream, keeps every
// item's typed view and spools its lines. Nothing is forwarded before the
// whole body was read and found valid. A spool failure is a 503.
func spoolBulk(r *http.Request, max int64, opts SpoolOptions) (*parsedBody, error) {
	s, err := esbody.OpenBulkStream(r, max)
	if err != nil {
		return nil, err
	}
	sb := &spooledBulk{sp: newSpool(opts)}
	pb := &parsedBody{body: s.Body(), spooled: sb}
	names := map[string]string{}
	for {
		it, lines, err := s.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = sb.add(lines)
		}
		if err != nil {
			_ = sb.Close()
			return nil, spoolRefusal(err)
		}
		if it.Source != nil && referencesOtherDocuments(it.Source) {
			if pb.bulkDocRefs == nil {
				pb.bulkDocRefs = map[int]bool{}
			}
			pb.bulkDocRefs[len(pb.bulk)] = true
		}
		if it.Action == "update" && hasScript(it.Source) {
			if pb.bulkScripts == nil {
				pb.bulkScripts = map[int]bool{}
			}
			pb.bulkScripts[len(pb.bulk)] = true
		}
		pb.bulk = append(pb.bulk, compactItem(it, names))
	}
	if err := sb.sp.finish(); err != nil {
		_ = sb.Close()
		return nil, spoolRefusal(err)
	}
	return pb, nil
}

// spoolRefusal turns a spool write failure into the 503 it is answered
// with; parse refusals pass unchanged.
func spoolRefusal(err error) error {
	if errors.Is(err, errSpoolWrite) {
		return &eserr.Error{Status: http.StatusServiceUnavailable, Type: "exception",
			Reason: "the security proxy cannot spool the bulk request (" + err.Error() + ")"}
	}
	return err
}

// compactItem drops the parsed lines (they are in the spool) and shares
// the strings many items repeat.
func compactItem(it esbody.BulkItem, names map[string]string) esbody.BulkItem {
	it.Meta, it.Source = nil, nil
	it.Action, it.Op = bulkOpName(it.Action), bulkOpName(it.Op)
	if s, ok := names[it.Index]; ok {
		it.Index = s
	} else {
		names[it.Index] = it.Index
	}
	return it
}

func bulkOpName(s string) string {
	for _, name := range [...]string{"index", "create", "update", "delete"} {
		if s == name {
			return name
		}
	}
	return s
}

// add spools one item's lines.
func (b *spooledBulk) add(lines esbody.BulkLines) error {
	newline := []byte{'\n'}
	parts := [][]byte{lines.Action, newline}
	if lines.Source != nil {
		parts = append(parts, lines.Source, newline)
	}
	for _, part := range parts {
		if _, err := b.sp.Write(part); err != nil {
			return err
		}
	}
	b.ends = append(b.ends, b.sp.Size())
	return nil
}

// span is where item pos is in the spool.
func (b *spooledBulk) span(pos int) (start, end int64) {
	if pos > 0 {
		start = b.ends[pos-1]
	}
	return start, b.ends[pos]
}

// withSource returns item pos with its Meta and Source, read back from the
// spool, for the checks that need the document (write-side DLS).
func (b *spooledBulk) withSource(pos int, it esbody.BulkItem) (esbody.BulkItem, error) {
	start, end := b.span(pos)
	data := make([]byte, end-start)
	if _, err := b.sp.ReadAt(data, start); err != nil && !(errors.Is(err, io.EOF) && len(data) == 0) {
		return it, fmt.Errorf("reading bulk item %d back from the spool: %w", pos, err)
	}
	items, err := esbody.ParseBulk(data)
	if err != nil || len(items) != 1 {
		return it, fmt.Errorf("bulk item %d does not parse back from the spool: %v", pos, err)
	}
	it.Meta, it.Source = items[0].Meta, items[0].Source
	return it, nil
}

// Close removes the spool.
func (b *spooledBulk) Close() error { return b.sp.Close() }

// attach makes r forward every spooled item.
func (b *spooledBulk) attach(r *http.Request, body *esbody.Body) {
	b.forward(r, body.ContentType, nil)
}

// forward makes r's body the spooled items except the denied ones (sorted
// by position), with the exact Content-Length.
func (b *spooledBulk) forward(r *http.Request, contentType string, denied []deniedItem) {
	size := b.sp.Size()
	for _, d := range denied {
		start, end := b.span(d.pos)
		size -= end - start
	}
	open := func() (io.ReadCloser, error) {
		return io.NopCloser(&keptReader{b: b, denied: denied}), nil
	}
	r.Body, _ = open()
	r.GetBody = open
	r.ContentLength = size
	r.Header.Set("Content-Length", strconv.FormatInt(size, 10))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
}

// keptReader reads the spooled items in order, skipping the denied ones:
// runs of consecutive kept items are read with one ReadAt each.
type keptReader struct {
	b      *spooledBulk
	denied []deniedItem // sorted by pos
	pos    int          // next item to consider
	next   int          // next denied entry
	off    int64        // read position within the current run
	end    int64        // end of the current run
}

func (k *keptReader) Read(p []byte) (int, error) {
	if k.off == k.end && !k.nextRun() {
		return 0, io.EOF
	}
	if int64(len(p)) > k.end-k.off {
		p = p[:k.end-k.off]
	}
	n, err := k.b.sp.ReadAt(p, k.off)
	k.off += int64(n)
	if err == io.EOF && n == len(p) {
		err = nil
	}
	return n, err
}

// nextRun moves to the next run of kept items; false when none is left.
func (k *keptReader) nextRun() bool {
	items := len(k.b.ends)
	for k.pos < items && k.next < len(k.denied) && k.denied[k.next].pos == k.pos {
		k.pos++
		k.next++
	}
	if k.pos >= items {
		return false
	}
	k.off, _ = k.b.span(k.pos)
	for k.pos < items && (k.next >= len(k.denied) || k.denied[k.next].pos != k.pos) {
		k.pos++
	}
	k.end = k.b.ends[k.pos-1]
	return true
}

// keepAllowedBulk makes r forward the allowed items only: from the spool
// for a spooled body, re-encoded from memory otherwise.
func keepAllowedBulk(r *http.Request, pb *parsedBody, denied []deniedItem) error {
	if pb.spooled == nil {
		return keepAllowed(r, pb.bulk, denied)
	}
	if len(denied) < len(pb.bulk) {
		pb.spooled.forward(r, pb.body.ContentType, denied)
	}
	// Decided and audited: from here on the spool and the refused items
	// are all that is needed, so the items' views can go before the
	// (possibly long) forwarding and merging.
	pb.bulk = nil
	return nil
}
