package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/filterpath"
)

// deniedItem is a _bulk item refused by the proxy, kept to be put back,
// as Elasticsearch reports it, at its place in the response.
type deniedItem struct {
	pos    int // position among all items of the request
	op     string
	index  string
	id     string
	status int
	reason string
}

// bulkItemError renders one refused item in Elasticsearch's shape:
// {"index":{"_index":…,"_id":…,"status":403,"error":{"type":"security_exception",…}}}.
func (d deniedItem) json() json.RawMessage {
	item := map[string]any{
		"_index": d.index,
		"status": d.status,
		"error":  map[string]any{"type": "security_exception", "reason": d.reason},
	}
	if d.id != "" {
		item["_id"] = d.id
	}
	b, _ := json.Marshal(map[string]any{d.op: item}) // strings and ints only: cannot fail
	return b
}

// itemMerger forwards the allowed items of a _bulk or _msearch and, once
// the cluster answered, puts the refused items back at their places in the
// response's item array ("items", with errors: true, for _bulk;
// "responses" for _msearch), so that clients see Elasticsearch's per-item
// 403s in a 200.
type itemMerger struct {
	denied []deniedItem
	total  int
	// key is the response's item array; render draws one refused item.
	key    string
	render func(deniedItem) json.RawMessage
	// untimed responses have no "took" (_mget, _mtermvectors).
	untimed bool
	// stream merges as the answer arrives instead of buffering it (large
	// spooled _bulk requests, see serveStreaming).
	stream bool
	// after is the client's filter_path, applied to the merged answer
	// (the merger must read the cluster's whole item list; see
	// unmergeableResponse). nil: none.
	after *filterpath.Filter
}

// newBulkMerger merges _bulk responses.
func newBulkMerger(denied []deniedItem, total int) *itemMerger {
	return &itemMerger{denied: denied, total: total, key: "items", render: deniedItem.json}
}

// newMsearchMerger merges _msearch responses.
func newMsearchMerger(denied []deniedItem, total int) *itemMerger {
	return &itemMerger{denied: denied, total: total, key: "responses", render: deniedItem.searchError}
}

// searchError renders a refused _msearch item as Elasticsearch does: an
// error object with its status in place of a search response.
func (d deniedItem) searchError() json.RawMessage {
	cause := map[string]any{"type": "security_exception", "reason": d.reason}
	b, _ := json.Marshal(map[string]any{
		"error":  map[string]any{"root_cause": []any{cause}, "type": "security_exception", "reason": d.reason},
		"status": d.status,
	})
	return b
}

// serve forwards what is left of the request through next and writes the
// merged response to w. With nothing left to forward it answers alone.
func (m *itemMerger) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if m.stream {
		m.serveStreaming(w, r, next)
		return
	}
	if len(m.denied) == m.total {
		stateOf(r).Decision = "deny" // nothing forwarded: audited as access_denied
		m.write(w, http.StatusOK, nil, nil)
		return
	}
	r.Header.Del("Accept-Encoding") // the response is rewritten: keep it plain
	rec := &bufferedResponse{header: http.Header{}}
	next.ServeHTTP(rec, r)
	if rec.status != http.StatusOK {
		copyResponse(w, rec) // an error of the whole request: pass it through
		return
	}
	var resp map[string]json.RawMessage
	var forwarded []json.RawMessage
	if err := json.Unmarshal(rec.body.Bytes(), &resp); err == nil {
		err = json.Unmarshal(resp[m.key], &forwarded)
	}
	if resp == nil || len(forwarded) != m.total-len(m.denied) {
		(&eserr.Error{Status: http.StatusBadGateway, Type: "exception",
			Reason: "the cluster's response could not be merged with the refused items"}).Write(w)
		return
	}
	m.write(w, http.StatusOK, forwarded, resp["took"])
}

func (m *itemMerger) write(w http.ResponseWriter, status int, forwarded []json.RawMessage, took json.RawMessage) {
	items := make([]json.RawMessage, 0, m.total)
	next := 0
	for pos := 0; pos < m.total; pos++ {
		if next < len(m.denied) && m.denied[next].pos == pos {
			items = append(items, m.render(m.denied[next]))
			next++
			continue
		}
		items = append(items, forwarded[pos-next])
	}
	if len(took) == 0 {
		took = json.RawMessage("0")
	}
	out := map[string]any{"took": took, m.key: items}
	if m.key == "items" {
		out["errors"] = true
	}
	if m.untimed {
		delete(out, "took")
	}
	body, _ := json.Marshal(out)
	if m.after != nil {
		var cut bytes.Buffer
		if err := m.after.Apply(&cut, bytes.NewReader(body)); err != nil { // cannot fail on Marshal's output
			(&eserr.Error{Status: http.StatusBadGateway, Type: "exception", Reason: "the merged response could not be filtered"}).Write(w)
			return
		}
		body = cut.Bytes()
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// keepAllowed re-encodes the request body with the allowed items only.
func keepAllowed(r *http.Request, items []esbody.BulkItem, denied []deniedItem) error {
	kept := make([]esbody.BulkItem, 0, len(items)-len(denied))
	next := 0
	for pos, it := range items {
		if next < len(denied) && denied[next].pos == pos {
			next++
			continue
		}
		kept = append(kept, it)
	}
	if len(kept) == 0 {
		return nil
	}
	data, err := esbody.EncodeBulk(kept)
	if err != nil {
		return fmt.Errorf("re-encoding the allowed bulk items: %w", err)
	}
	replaceBody(r, data)
	return nil
}

// bufferedResponse collects a response in memory (bulk responses are
// bounded by the request's item count).
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 && !informational(code) {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func copyResponse(w http.ResponseWriter, b *bufferedResponse) {
	for k, vs := range b.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// unmergeableResponse says why the cluster's answer to the forwarded items
// could not be merged with the refused ones, or "". The merger reads the
// answer's JSON item list (items, responses or docs): a format other than
// JSON or a non-JSON Accept would make it unreadable only after the
// allowed items ran (a bulk's writes done, answered 502), so such a
// request is refused before anything is forwarded. A filter_path (Beats,
// Elastic Agent and Logstash send one with every _bulk) is taken off the
// forwarded request and applied to the merged answer. Nothing is
// forwarded when every item is refused, so then any format goes.
func unmergeableResponse(r *http.Request, m *itemMerger) string {
	q := r.URL.Query()
	if q.Has("filter_path") {
		var reason string
		if m.after, reason = takeFilterPath(r); reason != "" {
			return reason
		}
	}
	if len(m.denied) == m.total {
		return ""
	}
	switch {
	case q.Get("format") != "" && !strings.EqualFold(q.Get("format"), "json"):
		return fmt.Sprintf("response format [%s] is not supported when some items are refused by the security proxy; only JSON responses can be merged", q.Get("format"))
	}
	if a := r.Header.Get("Accept"); a != "" && !acceptsJSON(a) {
		return fmt.Sprintf("response media type [%s] is not supported when some items are refused by the security proxy; only JSON responses can be merged", a)
	}
	return ""
}
