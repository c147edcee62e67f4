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

// The _source endpoints (GET and HEAD /{index}/_source/{id}) take no
// version parameter, so under DLS a forwarded read could only be pinned
// with realtime=false, which reads the last refreshed version: a refresh
// between the visibility check and the read (every second by default)
// publishes a version the check never saw, a hidden one included. The
// proxy therefore reads such a document itself, through the _doc endpoint
// pinned to the version the check found visible, and answers with its
// _source as the _source endpoint would.

// sourceReadParams are the parameters of a _source read that the pinned
// _doc read carries over; realtime, version and routing are the pin's.
var sourceReadParams = []string{"_source", "_source_includes", "_source_excludes", "_source_include", "_source_exclude", "preference"}

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

// identityFilter passes a body on unchanged.
func identityFilter(dst io.Writer, src io.Reader) error {
	_, err := io.Copy(dst, src)
	return err
}

// pinnedSourceAnswer wraps hiddenCheck (an answerIfHidden answer whose pin
// stored the visible version in *pin) into an answer that reads the
// document at that version and writes its _source through filter.
func (rr *restrictedRequest) pinnedSourceAnswer(index, id string, pin *docPin, hiddenCheck func(http.ResponseWriter, *http.Request) bool, filter bodyFilter) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if hiddenCheck(w, r) {
			return true
		}
		rr.servePinnedSource(w, r, index, id, *pin, filter)
		return true
	}
}

// servePinnedSource reads document id of index at the pinned version and
// answers as GET or HEAD /{index}/_source/{id} does: its _source (passed
// through filter), or a missing document when that version is gone (a
// newer version's conflict included: it may be hidden).
func (rr *restrictedRequest) servePinnedSource(w http.ResponseWriter, r *http.Request, index, id string, pin docPin, filter bodyFilter) {
	in := r.URL.Query()
	if in.Get("_source") == "false" {
		(&eserr.Error{Status: http.StatusBadRequest, Type: "action_request_validation_exception",
			Reason: "Validation Failed: 1: fetching source can not be disabled;"}).Write(w)
		return
	}
	q := url.Values{}
	for _, k := range sourceReadParams {
		if vs, ok := in[k]; ok {
			q[k] = vs
		}
	}
	q.Set("realtime", "false")
	q.Set("version", strconv.FormatInt(pin.version, 10))
	if pin.routing != "" {
		q.Set("routing", pin.routing)
	}
	fail := func(err error) {
		rr.st.Log().Error("pinned _source read failed", zap.Error(err))
		eserr.Security(http.StatusServiceUnavailable, "the security proxy could not read the document at the version it found visible").Write(w)
	}
	resp, err := rr.rs.Cluster.Send(r.Context(), http.MethodGet, "/"+url.PathEscape(index)+"/_doc/"+url.PathEscape(id)+"?"+q.Encode(), nil)
	if err != nil {
		fail(fmt.Errorf("reading [%s]/[%s]: %w", index, id, err))
		return
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		fail(fmt.Errorf("reading [%s]/[%s]: %w", index, id, err))
		return
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusConflict:
		writeMissingDocument(w, r, index, id, true)
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
		Found  bool            `json:"found"`
		Source json.RawMessage `json:"_source"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		fail(fmt.Errorf("reading [%s]/[%s]: %w", index, id, err))
		return
	}
	if !doc.Found || len(doc.Source) == 0 {
		// No such version, or a document stored without its source: the
		// _source endpoint answers both as missing.
		writeMissingDocument(w, r, index, id, true)
		return
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	var out bytes.Buffer
	if err := filter(&out, bytes.NewReader(doc.Source)); err != nil {
		fail(fmt.Errorf("filtering the _source of [%s]/[%s]: %w", index, id, err))
		return
	}
	body := out.Bytes()
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
