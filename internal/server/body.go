package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// parsedBody is the request body as the cluster will parse it.
type parsedBody struct {
	body    *esbody.Body
	json    esbody.Value // JSON APIs other than _mget
	bulk    []esbody.BulkItem
	msearch []esbody.MsearchItem
	mget    []esbody.MgetDoc
	mgetIDs []string
	// spooled, for a large _bulk, holds the items' bytes on disk (bulk
	// then has the items' typed views only); nil otherwise.
	spooled *spooledBulk
	// bulkDocRefs, for a spooled _bulk, are the positions of the items
	// whose document line references other documents by index and id
	// (referencesOtherDocuments), noted while parsing since the lines are
	// then only on disk.
	bulkDocRefs map[int]bool
	// bulkScripts, for a spooled _bulk, are the positions of the update
	// items whose body has a script.
	bulkScripts map[int]bool
}

// withBody reads and parses the request body exactly as the cluster would
// (encodings, content type, the `source` query parameter, strict JSON,
// NDJSON), or refuses the request. The forwarded body is the parsed bytes,
// never the client's original encoding, so the cluster cannot read
// something the proxy did not.
//
// A client that stops sending in the middle of a body for idle (the
// server's idle timeout) loses its connection: without that bound, the
// header timeout being over, a request whose body never ends held its
// goroutine and the body read so far (up to max) for ever.
func withBody(max int64, spool SpoolOptions, idle time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		// bodyRead lifts the deadline once the body is consumed: on
		// HTTP/1.1 the connection's background read (which notices a
		// client gone) would otherwise fail on it while a long answer is
		// streamed, and cancel the request.
		bodyRead := func() {}
		if idle > 0 && r.Body != nil && r.Body != http.NoBody {
			rc := http.NewResponseController(w)
			r.Body = &idleBody{ReadCloser: r.Body, rc: rc, idle: idle}
			bodyRead = func() { _ = rc.SetReadDeadline(time.Time{}) }
		}
		if !carriesBody(r, st.Class) {
			bodyRead()
			next.ServeHTTP(w, r)
			return
		}
		if st.Class.Body == esapi.BodyNone {
			bodyRefused(w, st, &eserr.Error{Status: http.StatusBadRequest, Type: "illegal_argument_exception",
				Reason: fmt.Sprintf("request [%s %s] does not support having a body", r.Method, r.URL.EscapedPath())})
			return
		}
		var pb *parsedBody
		var err error
		if spoolsBulk(r, st.Class, spool) {
			pb, err = spoolBulk(r, max, spool)
		} else {
			pb, err = parseBody(r, st.Class, max)
		}
		if err != nil {
			// The deadline stays: the server reads what is left of an
			// unread body before it answers, and a stalled client must not
			// hold that read either. The next request on the connection
			// gets the server's own deadlines.
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// The server cancels the request of a connection whose
				// read failed, so no answer (nor its audit record) could
				// be written: the connection is closed without one.
				st.Decision = "canceled"
				st.Log().Info("client sent nothing of its request body for the idle timeout; connection closed",
					zap.Duration("idle_timeout", idle))
				panic(http.ErrAbortHandler)
			}
			e, tripped := inFlightError(err)
			if tripped {
				st.Log().Warn("request refused: in-flight request bodies passed their limit while its body was read")
			} else if be, ok := err.(*esbody.Error); ok {
				e = be.ESError()
			} else if ee, ok := err.(*eserr.Error); ok {
				e = ee // the spool failed: 503
			} else {
				e = &eserr.Error{Status: http.StatusBadRequest, Type: "parse_exception", Reason: err.Error()}
			}
			bodyRefused(w, st, e)
			return
		}
		bodyRead()
		pb.body.Apply(r)
		if pb.spooled != nil {
			defer pb.spooled.Close()
			pb.spooled.attach(r, pb.body)
		}
		st.Body = pb
		next.ServeHTTP(w, r)
	})
}

// idleBody is a request body whose every read must see data within idle:
// the connection's read deadline is moved before each read.
type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	// Writers that cannot set deadlines (tests' recorders) read unbounded.
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	return b.ReadCloser.Read(p)
}

// carriesBody reports whether the request has a body, in its payload or in
// the `source` query parameter (as the classifier parsed the query).
//
// A payload of unknown length (ContentLength -1) is a body: HTTP/1.1
// chunked requests have a Transfer-Encoding, but HTTP/2 requests whose DATA
// frames come without a content-length header have none, and were
// forwarded unread. An unknown-length payload that turns out to be empty is
// made an explicit empty body first (dropEmptyBody), so that a client that
// merely left its stream open is not refused.
func carriesBody(r *http.Request, c *esapi.Classification) bool {
	dropEmptyBody(r)
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		return true
	}
	_, inQuery := c.Params.Values["source"]
	return inQuery
}

// dropEmptyBody reads one byte of a payload of unknown length: at its end,
// the request gets http.NoBody and a zero length; otherwise the byte is put
// back in front of the rest.
func dropEmptyBody(r *http.Request) {
	if r.ContentLength >= 0 || r.Body == nil || r.Body == http.NoBody {
		return
	}
	var one [1]byte
	n, err := io.ReadFull(r.Body, one[:])
	if n == 0 && errors.Is(err, io.EOF) {
		_ = r.Body.Close()
		r.Body, r.ContentLength, r.TransferEncoding = http.NoBody, 0, nil
		return
	}
	// A read error other than the end is left for esbody.Read to meet
	// again on the rest, which refuses the request.
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(one[:n]), r.Body), r.Body}
}

func parseBody(r *http.Request, c *esapi.Classification, max int64) (*parsedBody, error) {
	b, err := esbody.Read(r, max)
	if err != nil {
		return nil, err
	}
	pb := &parsedBody{body: b}
	switch {
	case c.Body == esapi.BodyNDJSON && c.Action == "indices:data/write/bulk":
		pb.bulk, err = esbody.ParseBulk(b.Raw)
	case c.Body == esapi.BodyNDJSON:
		// Lines come in pairs (empty header lines included), so the
		// searches are counted before any is parsed.
		if n := bytes.Count(b.Raw, []byte{'\n'}) / 2; n > maxMsearchSearches {
			return nil, tooManySearches(n)
		}
		pb.msearch, err = esbody.ParseMsearch(b.Raw)
	case c.Action == "indices:data/read/mget":
		pb.mget, pb.mgetIDs, err = esbody.ParseMget(b.Raw)
	case c.Body == esapi.BodyJSON:
		pb.json, err = esbody.ParseJSON(b.Raw)
	}
	if err != nil {
		return nil, err
	}
	return pb, nil
}

// maxMsearchSearches bounds the searches of one _msearch: each gets its own
// audit event, of at least auditEventOverhead bytes, so a request with more
// could never fit in maxRequestAuditBytes and would be refused with 413
// anyway, but only after every search had been parsed, authorized and
// rewritten: about 3 KB of memory and 35 µs of CPU per search, so a 7.6 MB
// body of 200,000 empty searches cost 950 MB and 7.6 s before its 413, and
// one of 100 MiB (the default body limit) gigabytes more than a proxy has.
const maxMsearchSearches = maxRequestAuditBytes / auditEventOverhead

// tooManySearches refuses an _msearch of n searches (413).
func tooManySearches(n int) *eserr.Error {
	return &eserr.Error{Status: http.StatusRequestEntityTooLarge, Type: "content_too_long_exception",
		Reason: fmt.Sprintf("the request holds [%d] searches; the maximum is [%d]: split the request", n, maxMsearchSearches)}
}

func bodyRefused(w http.ResponseWriter, st *requestState, e *eserr.Error) {
	st.Decision = "rejected"
	st.Log().Info("request body refused", zap.Int("status", e.Status), zap.String("reason", e.Reason))
	e.Write(w)
}
