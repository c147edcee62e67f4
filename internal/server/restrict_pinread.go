package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// Document reads under DLS (GET and HEAD of /{index}/_doc/{id} and
// /{index}/_source/{id}) are made by the proxy itself, pinned to the very
// version the visibility check found visible, and checked to be it:
//
//   - the _source endpoints take no version parameter: pinned only with
//     realtime=false, a read returned the last refreshed version, and a
//     refresh between the check and the read (every second by default)
//     published a version the check never saw, a hidden one included;
//   - a version number does not name one version: a writer using
//     external_gte versioning may write a hidden version with the same
//     number, so the read's _seq_no and _primary_term must be the
//     checked ones too;
//   - a read of a version that changed since is answered as a missing
//     document, not with the cluster's version conflict (which names the
//     current version's number).
//
// The read goes through _doc (realtime=false, version=, the checked
// routing); a _source request is answered with the _source of that
// answer, as the _source endpoint would.

// sourceReadParams are the parameters of a _source read that the pinned
// _doc read carries over; realtime, version and routing are the pin's.
// A _doc read carries over all of its parameters but those
// (pinnedDocParams).
var sourceReadParams = []string{"_source", "_source_includes", "_source_excludes", "preference"}

// pinnedDocParams are the parameters of a _doc read the pin sets.
var pinnedDocParams = map[string]bool{"realtime": true, "version": true, "version_type": true, "refresh": true, "routing": true}

// sourceEndpointParams are the parameters the cluster's _source endpoints
// take (besides the response parameters every API takes).
var sourceEndpointParams = map[string]bool{
	"routing": true, "preference": true, "realtime": true, "refresh": true,
	"_source": true, "_source_includes": true, "_source_excludes": true,
	"pretty": true, "human": true, "error_trace": true, "filter_path": true, "format": true,
}

// refuseOtherSourceParams refuses, under DLS, a _source read with a
// parameter the endpoint does not take: the proxy reads through _doc,
// which would accept some of them (stored_fields), and forwarding the
// read unpinned is not safe either (Elasticsearch 7.17 still reads with
// its deprecated type parameter).
func refuseOtherSourceParams(params map[string]string) error {
	names := make([]string, 0, len(params))
	for k := range params {
		if !sourceEndpointParams[k] {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return &eserr.Error{Status: http.StatusBadRequest, Type: "security_exception",
		Reason: fmt.Sprintf("%v: parameters the _source endpoint does not take are not supported by the security proxy if document level security is enabled", names)}
}

// maxPinnedRead bounds the answer of a pinned read the proxy holds in
// memory: above the cluster's default http.max_content_length (100mb), no
// document is that large; a larger answer fails to parse (fail closed).
const maxPinnedRead = 128 << 20

// identityFilter passes a body on unchanged.
func identityFilter(dst io.Writer, src io.Reader) error {
	_, err := io.Copy(dst, src)
	return err
}

// pinnedReadAnswer wraps hiddenCheck (an answerIfHidden answer whose pin
// stored the visible version in *pin) into an answer that reads the
// document at that version and writes it (its _source, when source)
// through the filter that filter returns then.
func (rr *restrictedRequest) pinnedReadAnswer(index, id string, source bool, pin *docPin, hiddenCheck func(http.ResponseWriter, *http.Request) bool, filter func() bodyFilter) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if hiddenCheck(w, r) {
			return true
		}
		rr.servePinnedRead(w, r, index, id, source, *pin, filter())
		return true
	}
}

// servePinnedRead reads document id of index at the pinned version and
// answers as GET or HEAD /{index}/_doc/{id} (or /_source/{id}, when
// source) does: the document (its _source) passed through filter, or a
// missing document when the version read is not the pinned one.
func (rr *restrictedRequest) servePinnedRead(w http.ResponseWriter, r *http.Request, index, id string, source bool, pin docPin, filter bodyFilter) {
	in := r.URL.Query()
	q := url.Values{}
	if source {
		if in.Get("_source") == "false" {
			(&eserr.Error{Status: http.StatusBadRequest, Type: "action_request_validation_exception",
				Reason: "Validation Failed: 1: fetching source can not be disabled;"}).Write(w)
			return
		}
		for _, k := range sourceReadParams {
			if vs, ok := in[k]; ok {
				q[k] = vs
			}
		}
	} else {
		for k, vs := range in {
			if !pinnedDocParams[k] {
				q[k] = vs
			}
		}
	}
	q.Set("realtime", "false")
	q.Set("version", strconv.FormatInt(pin.version, 10))
	if pin.routing != "" {
		q.Set("routing", pin.routing)
	}
	missing := func() { writeMissingDocument(w, r, index, id, source) }
	fail := func(err error) {
		rr.st.Log().Error("pinned document read failed", zap.Error(err))
		eserr.Security(http.StatusServiceUnavailable, "the security proxy could not read the document at the version it found visible").Write(w)
	}
	resp, err := rr.rs.Cluster.Send(r.Context(), http.MethodGet, "/"+url.PathEscape(index)+"/_doc/"+url.PathEscape(id)+"?"+q.Encode(), nil)
	if err != nil {
		fail(fmt.Errorf("reading [%s]/[%s]: %w", index, id, err))
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPinnedRead))
	if err != nil {
		fail(fmt.Errorf("reading [%s]/[%s]: %w", index, id, err))
		return
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusConflict:
		missing()
		return
	default:
		// The cluster's own error (a malformed parameter): as it is.
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		if r.Method != http.MethodHead {
			_, _ = w.Write(data)
		}
		return
	}
	var doc struct {
		Found       bool            `json:"found"`
		SeqNo       *int64          `json:"_seq_no"`
		PrimaryTerm *int64          `json:"_primary_term"`
		Source      json.RawMessage `json:"_source"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		fail(fmt.Errorf("reading [%s]/[%s]: %w", index, id, err))
		return
	}
	if !doc.Found || doc.SeqNo == nil || doc.PrimaryTerm == nil || *doc.SeqNo != pin.seqNo || *doc.PrimaryTerm != pin.primaryTerm {
		// Not the version the check saw (the same version number written
		// again with external_gte versioning).
		missing()
		return
	}
	body := data
	if source {
		if len(doc.Source) == 0 {
			// A document stored without its source: the _source
			// endpoint answers it as missing.
			missing()
			return
		}
		body = doc.Source
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	var out bytes.Buffer
	if err := filter(&out, bytes.NewReader(body)); err != nil {
		fail(fmt.Errorf("filtering [%s]/[%s]: %w", index, id, err))
		return
	}
	body = out.Bytes()
	if v, ok := in["pretty"]; ok && (len(v) == 0 || v[0] != "false") {
		var pretty bytes.Buffer
		if json.Indent(&pretty, body, "", "  ") == nil {
			pretty.WriteByte('\n')
			body = pretty.Bytes()
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
