package server

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/filterpath"
)

// bodyFilter rewrites a successful JSON response body as it streams from
// the cluster to the client (field-level security, cursor wrapping…). It
// must not buffer the whole body.
type bodyFilter func(dst io.Writer, src io.Reader) error

// filterPathMode is what a request whose answer the proxy filters does
// with its filter_path parameter.
type filterPathMode uint8

const (
	// filterPathApply: the cluster answers in full (the proxy's filter
	// needs what filter_path could remove, such as the hits' _index), and
	// the proxy applies filter_path after its own filter.
	filterPathApply filterPathMode = iota
	// filterPathForward: the cluster applies it (the proxy's filter does
	// not depend on what it removes).
	filterPathForward
)

// prepareFilteredRequest makes the cluster's answer readable by a filter:
// identity encoding, JSON. It refuses (with the reason) requests asking
// for a response format the filter cannot read. The filter_path the proxy
// must apply after its filter is returned (nil: none).
func prepareFilteredRequest(r *http.Request) (*filterpath.Filter, string) {
	return prepareRewrittenRequest(r, filterPathApply)
}

// serveThroughFilter forwards r and passes the cluster's successful answer
// through filter, then through the client's filter_path; a request for a
// response format the filter cannot read is refused.
func serveThroughFilter(w http.ResponseWriter, r *http.Request, st *requestState, next http.Handler, filter bodyFilter) {
	gz := clientGzip(st, r)
	fp, reason := prepareFilteredRequest(r)
	if reason != "" {
		refuse(w, st, http.StatusBadRequest, reason)
		return
	}
	serveFiltered(w, r, next, thenFilterPath(filter, fp), st.Log(), gz)
}

// prepareRewrittenRequest is prepareFilteredRequest, with filter_path
// handled as fp says.
func prepareRewrittenRequest(r *http.Request, fp filterPathMode) (*filterpath.Filter, string) {
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && !strings.EqualFold(f, "json") {
		return nil, fmt.Sprintf("response format [%s] cannot be checked by the security proxy for this request; only JSON responses are available", f)
	}
	if a := r.Header.Get("Accept"); a != "" && !acceptsJSON(a) {
		return nil, fmt.Sprintf("response media type [%s] cannot be checked by the security proxy for this request; only JSON responses are available", a)
	}
	var after *filterpath.Filter
	if q.Has("filter_path") && fp == filterPathApply {
		var reason string
		if after, reason = takeFilterPath(r); reason != "" {
			return nil, reason
		}
	}
	r.Header.Del("Accept-Encoding")
	r.Header.Del("Accept")
	if r.ContentLength == 0 {
		// Without Accept or format, the cluster answers in the media type
		// of the request's Content-Type, even when there is no body to
		// read: "Content-Type: application/yaml" on a GET would make the
		// answer YAML, which no filter reads. A body the proxy forwards
		// is JSON, with its own Content-Type; without one the header means
		// nothing else.
		r.Header.Del("Content-Type")
	}
	return after, ""
}

// takeFilterPath removes filter_path from the forwarded request and
// returns it compiled, or why it cannot be applied by the proxy.
func takeFilterPath(r *http.Request) (*filterpath.Filter, string) {
	values := r.URL.Query()["filter_path"]
	if len(values) != 1 {
		return nil, "the [filter_path] parameter is given more than once"
	}
	f, err := filterpath.Compile(values[0])
	if err != nil {
		return nil, fmt.Sprintf("the security proxy cannot apply this [filter_path]: %v", err)
	}
	kept := make([]string, 0, 4)
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil && dk == "filter_path" {
			continue
		}
		kept = append(kept, part)
	}
	r.URL.RawQuery = strings.Join(kept, "&")
	return f, ""
}

// thenFilterPath returns f followed by fp: f's output is cut down as the
// client's filter_path asks. f runs on a goroutine of its own, feeding
// fp through a pipe.
func thenFilterPath(f bodyFilter, fp *filterpath.Filter) bodyFilter {
	if fp == nil {
		return f
	}
	return func(dst io.Writer, src io.Reader) error {
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			err := runRecovered(func() error { return f(pw, src) })
			pw.CloseWithError(err)
			done <- err
		}()
		// Unblocks f if fp stopped early, or panicked (the panic goes on
		// to runRecovered; f ends on its own).
		defer pr.CloseWithError(errFilterPathStopped)
		err := fp.Apply(dst, pr)
		pr.CloseWithError(errFilterPathStopped)
		if ferr := <-done; ferr != nil && !errors.Is(ferr, errFilterPathStopped) {
			return ferr // the first filter's failure is the cause
		}
		return err
	}
}

// errFilterPathStopped ends the first filter's writes when filter_path
// stopped reading them.
var errFilterPathStopped = errors.New("filter_path stopped reading the answer")

// acceptsJSON reports whether an Accept header lets the cluster answer
// JSON (any JSON-compatible type or a wildcard).
func acceptsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch {
		case mt == "*/*", mt == "application/*", mt == "application/json",
			strings.HasPrefix(mt, "application/vnd.elasticsearch+json"), strings.HasPrefix(mt, "application/vnd.opensearch+json"):
			return true
		}
	}
	return false
}

// serveFiltered forwards r to next and passes a successful JSON answer
// through f, compressing it for the client when the client asked for
// gzip. Error answers pass unchanged. A successful answer that is not
// JSON cannot be filtered: it is replaced by a 502 (fail closed). A filter
// failure after bytes reached the client aborts the connection, so the
// client never takes a truncated body for a complete one.
func serveFiltered(w http.ResponseWriter, r *http.Request, next http.Handler, f bodyFilter, log *zap.Logger, gzipOK bool) {
	fw := &filteringWriter{w: w, filter: f, log: log, gzipOK: gzipOK}
	defer fw.finish()
	next.ServeHTTP(fw, r)
}

// clientGzip is clientAcceptsGzip, read once per request.
func clientGzip(st *requestState, r *http.Request) bool {
	if !st.gzipKnown {
		st.gzipOK, st.gzipKnown = clientAcceptsGzip(r), true
	}
	return st.gzipOK && !st.merged
}

// clientAcceptsGzip reads the client's Accept-Encoding (before
// prepareFilteredRequest removes it).
func clientAcceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") {
			return true
		}
	}
	return false
}

type filteringWriter struct {
	w      http.ResponseWriter
	filter bodyFilter
	log    *zap.Logger
	gzipOK bool
	// onSuccess, when set, runs once a 2xx answer has been passed on.
	onSuccess func()

	wroteHeader bool
	status      int
	mode        int // passThrough, filtering, discarding
	pw          *io.PipeWriter
	done        chan error
}

const (
	passThrough = iota
	filtering
	discarding
)

func (fw *filteringWriter) Header() http.Header { return fw.w.Header() }

func (fw *filteringWriter) WriteHeader(status int) {
	if fw.wroteHeader || informational(status) {
		return
	}
	fw.wroteHeader = true
	fw.status = status
	h := fw.w.Header()
	switch {
	case fw.filter == nil || status < 200 || status >= 300 || status == http.StatusNoContent:
		fw.w.WriteHeader(status)
	case !isJSONContentType(h.Get("Content-Type")) || h.Get("Content-Encoding") != "":
		fw.mode = discarding
		fw.log.Warn("successful response cannot be filtered", zap.String("content_type", h.Get("Content-Type")), zap.String("content_encoding", h.Get("Content-Encoding")))
		for k := range h {
			delete(h, k)
		}
		eserr.Security(http.StatusBadGateway, "the cluster's response cannot be filtered by the security proxy").Write(fw.w)
	default:
		fw.mode = filtering
		h.Del("Content-Length")
		var dst io.Writer = fw.w
		var gz *gzip.Writer
		if fw.gzipOK {
			h.Set("Content-Encoding", "gzip")
			h.Add("Vary", "Accept-Encoding")
			gz = gzip.NewWriter(fw.w)
			dst = gz
		}
		fw.w.WriteHeader(status)
		pr, pw := io.Pipe()
		fw.pw, fw.done = pw, make(chan error, 1)
		go func() {
			bw := bufio.NewWriterSize(dst, 32<<10)
			err := runRecovered(func() error { return fw.filter(bw, pr) })
			if err == nil {
				err = bw.Flush()
			}
			if err == nil && gz != nil {
				err = gz.Close()
			}
			pr.CloseWithError(err) // unblocks the forwarder if the filter stopped early
			fw.done <- err
		}()
	}
}

func (fw *filteringWriter) Write(p []byte) (int, error) {
	if !fw.wroteHeader {
		fw.WriteHeader(http.StatusOK)
	}
	switch fw.mode {
	case filtering:
		return fw.pw.Write(p)
	case discarding:
		return len(p), nil
	}
	return fw.w.Write(p)
}

// Flush is a no-op while filtering: the filter decides when bytes leave.
func (fw *filteringWriter) Flush() {
	if fw.mode == passThrough {
		if f, ok := fw.w.(http.Flusher); ok {
			f.Flush()
		}
	}
}

func (fw *filteringWriter) finish() {
	if fw.mode == filtering {
		fw.pw.Close()
		if err := <-fw.done; err != nil && !errors.Is(err, io.ErrClosedPipe) {
			fw.log.Error("response filter failed; aborting the response", zap.Error(err))
			panic(http.ErrAbortHandler)
		}
	}
	if fw.onSuccess != nil && fw.status >= 200 && fw.status < 300 && fw.mode != discarding {
		fw.onSuccess()
	}
}

func isJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/vnd.elasticsearch+json") || strings.HasPrefix(mt, "application/vnd.opensearch+json")
}
