package fls

import (
	"fmt"
	"io"
)

// Filter filters upstream response bodies for one request. A Filter is
// read-only during filtering and can serve several responses, one at a
// time or concurrently.
type Filter struct {
	// Policy gives the view of each index the response mentions. Required.
	Policy Policy

	// TopLevel transforms the string value of top-level members of search
	// responses, by unescaped member name (for example "_scroll_id",
	// "pit_id", "id"): the value written is the function's result. It
	// applies to the top-level object of the body and to each search
	// response embedded in it (the items of _msearch, the "response" of an
	// async search). An error aborts the filtering. Members whose value is
	// not a string are left alone.
	TopLevel map[string]func(value string) (string, error)

	// OnUnknownIndex, when set, is called each time a hit, document or
	// mapping of an index the Policy does not know is hidden (metadata
	// fields only), with that index name ("" when the hit names no
	// index). The integrator logs or counts it: it means the policy and
	// the response disagree.
	OnUnknownIndex func(index string)

	// noShortcuts turns off whole-subtree decisions and runs of members
	// copied at once (tests compare both ways).
	noShortcuts bool
}

// Kind is the shape of a response body.
type Kind uint8

// The response shapes the filters read.
const (
	// KindSearch: _search, _search/scroll, search templates, _knn_search,
	// _msearch and _msearch/template (responses[]), _async_search and
	// OpenSearch's asynchronous search (the search response under
	// "response"), point-in-time searches.
	KindSearch Kind = iota + 1
	// KindDocument: GET <index>/_doc/<id>, _mget (docs[]), _explain,
	// _termvectors, _mtermvectors (docs[]).
	KindDocument
	// KindSource: GET <index>/_source/<id>; the whole body is the source
	// of the document.
	KindSource
	// KindMapping: GET /<indices>/_mapping and GET /<indices>.
	KindMapping
	// KindFieldMapping: GET /<indices>/_mapping/field/<fields>.
	KindFieldMapping
	// KindFieldCaps: _field_caps.
	KindFieldCaps
)

// Apply filters a response body of the given kind and HTTP status. Bodies
// of non-2xx responses (errors) are copied unchanged. For KindSource, index
// is the index of the document; it is ignored otherwise.
func (f *Filter) Apply(dst io.Writer, src io.Reader, kind Kind, status int, index string) error {
	if status < 200 || status > 299 {
		if _, err := io.Copy(dst, src); err != nil {
			return fmt.Errorf("fls: copying an error response: %w", err)
		}
		return nil
	}
	switch kind {
	case KindSearch:
		return f.Search(dst, src)
	case KindDocument:
		return f.Document(dst, src)
	case KindSource:
		return f.Source(dst, src, index)
	case KindMapping:
		return f.Mapping(dst, src)
	case KindFieldMapping:
		return f.FieldMapping(dst, src)
	case KindFieldCaps:
		return f.FieldCaps(dst, src)
	}
	return fmt.Errorf("fls: unknown response kind %d", kind)
}

// Search filters a search response (see KindSearch): hits and their
// _source, fields, highlight, _ignored, ignored_field_values and inner
// hits, top_hits aggregations, completion suggestions carrying _source.
// Sort values, _explanation and matched_queries are left to the request
// side, which keeps hidden fields out of the query.
func (f *Filter) Search(dst io.Writer, src io.Reader) error {
	return f.filter(dst, src, "search response", func(r *run) error { return r.searchObject(r.lex, noName) })
}

// Document filters a document response (see KindDocument): the document's
// _source and fields, _explain's "get", the term vectors of hidden fields,
// and each item of docs[].
func (f *Filter) Document(dst io.Writer, src io.Reader) error {
	return f.filter(dst, src, "document response", func(r *run) error {
		return r.hitObject(r.lex, noName, hitContext{})
	})
}

// Source filters the body of GET <index>/_source/<id>: the body is the
// document's source.
func (f *Filter) Source(dst io.Writer, src io.Reader, index string) error {
	return f.filter(dst, src, "source response", func(r *run) error {
		iv := r.indexView(index)
		r.reportUnknown(iv)
		r.w.openObject(noName, false)
		if err := r.sourceBody(r.lex, iv, nil); err != nil {
			return err
		}
		r.w.close()
		return nil
	})
}

// filter runs body on the top-level object of src, writing to dst.
// DocumentBytes is Document over a document already in memory (one
// document of an _mget answer): the lexer reads doc in place and the output
// buffer is sized to it. Document allocates about 100 KB of read and write
// blocks whatever the body's size, which over an _mget of 200,000 small
// documents made 20 GB of garbage and ten times the cluster's own time.
func (f *Filter) DocumentBytes(dst io.Writer, doc []byte) error {
	lex := &lexer{}
	lex.resetBytes(doc)
	r := newRunOver(f, lex, &writer{dst: dst, buf: make([]byte, 0, min(len(doc)+64, flushThreshold+4096))})
	if err := r.topLevel(func(r *run) error { return r.hitObject(r.lex, noName, hitContext{}) }); err != nil {
		return fmt.Errorf("fls: filtering a document response: %w", err)
	}
	return nil
}

func (f *Filter) filter(dst io.Writer, src io.Reader, what string, body func(*run) error) error {
	r := newRun(f, dst, src)
	err := r.topLevel(body)
	if err != nil {
		return fmt.Errorf("fls: filtering a %s: %w", what, err)
	}
	return nil
}
