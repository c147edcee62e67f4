package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// sourceCluster is a cluster holding one document in two versions: the
// one a visibility check found visible (version 1) and a hidden one
// published since (version 2), as a refresh between the check and the
// read would leave it.
type sourceCluster struct{ paths []string }

func (c *sourceCluster) Send(_ context.Context, method, path string, _ []byte) (*http.Response, error) {
	c.paths = append(c.paths, method+" "+path)
	u, _ := url.Parse(path)
	q := u.Query()
	answer := func(status int, body string) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
	switch {
	case strings.Contains(u.Path, "/_source/"), q.Get("realtime") != "false":
		// What an unpinned read returns: the latest version.
		return answer(200, `{"tenant":"globex","msg":"CANARY-HIDDEN-VERSION"}`)
	case q.Get("version") == "1":
		return answer(200, `{"_index":"ix","_id":"d","_version":1,"found":true,"_source":{"tenant":"acme","msg":"visible"}}`)
	case q.Get("version") == "7":
		return answer(404, `{"_index":"ix","_id":"d","found":false}`)
	}
	return answer(409, `{"error":{"type":"version_conflict_engine_exception","reason":"[d]: version conflict, current version [2] is different than the one provided [3]"},"status":409}`)
}

// TestPinnedSourceReadsTheCheckedVersion: a _source read under DLS is made
// by the proxy through _doc at the version the visibility check found
// visible (the _source endpoint takes no version), and answers as the
// _source endpoint does: that version's source, or a missing document
// when that version is gone, never the latest (hidden) one.
func TestPinnedSourceReadsTheCheckedVersion(t *testing.T) {
	for _, tc := range []struct {
		name, method, target string
		pin                  docPin
		status               int
		want                 string
	}{
		{"checked version", "GET", "/ix/_source/d?_source_includes=msg&realtime=true", docPin{version: 1}, 200, `{"tenant":"acme","msg":"visible"}`},
		{"checked version, HEAD", "HEAD", "/ix/_source/d", docPin{version: 1}, 200, ``},
		{"version gone", "GET", "/ix/_source/d", docPin{version: 7}, 404, `resource_not_found_exception`},
		{"newer version", "GET", "/ix/_source/d", docPin{version: 3}, 404, `Document not found [ix]/[_doc]/[d]`},
		{"newer version, HEAD", "HEAD", "/ix/_source/d", docPin{version: 3}, 404, ``},
		{"source disabled", "GET", "/ix/_source/d?_source=false", docPin{version: 1}, 400, `fetching source can not be disabled`},
		{"pretty", "GET", "/ix/_source/d?pretty", docPin{version: 1}, 200, "{\n  \"tenant\": \"acme\",\n  \"msg\": \"visible\"\n}\n"},
	} {
		c := &sourceCluster{}
		rr := &restrictedRequest{rs: &Restrictions{Cluster: c}, st: &requestState{}}
		w := httptest.NewRecorder()
		rr.servePinnedSource(w, httptest.NewRequest(tc.method, tc.target, nil), "ix", "d", tc.pin, identityFilter)
		body := w.Body.String()
		if w.Code != tc.status || !strings.Contains(body, tc.want) || strings.Contains(body, "CANARY") {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, w.Code, body, tc.status, tc.want)
		}
		for _, p := range c.paths {
			if !strings.Contains(p, "/ix/_doc/d?") || !strings.Contains(p, "realtime=false") {
				t.Errorf("%s: the read %s is not a pinned _doc read", tc.name, p)
			}
		}
	}
	// The source goes through the field-level security filter.
	c := &sourceCluster{}
	rr := &restrictedRequest{rs: &Restrictions{Cluster: c}, st: &requestState{}}
	w := httptest.NewRecorder()
	upper := func(dst io.Writer, src io.Reader) error {
		b, err := io.ReadAll(src)
		_, _ = dst.Write([]byte(strings.ToUpper(string(b))))
		return err
	}
	rr.servePinnedSource(w, httptest.NewRequest("GET", "/ix/_source/d?routing=r", nil), "ix", "d", docPin{version: 1, routing: "r"}, upper)
	if w.Body.String() != `{"TENANT":"ACME","MSG":"VISIBLE"}` {
		t.Errorf("filtered: %s", w.Body.String())
	}
	if len(c.paths) != 1 || !strings.Contains(c.paths[0], "routing=r") || !strings.Contains(c.paths[0], "version=1") {
		t.Errorf("pinned read: %v", c.paths)
	}
}

// TestSourceReadRefusesOtherParams: under DLS, a _source read with a
// parameter the endpoint does not take is refused (the pinned _doc read
// would accept stored_fields; Elasticsearch 7.17 reads with type=).
func TestSourceReadRefusesOtherParams(t *testing.T) {
	for q, ok := range map[string]bool{
		"":                                      true,
		"_source_includes=a&routing=r&pretty":   true,
		"realtime=true&preference=_local&human": true,
		"stored_fields=a":                       false,
		"_source=a&typed_keys":                  false,
		"type=_doc":                             false,
	} {
		v, _ := url.ParseQuery(q)
		params := map[string]string{}
		for k := range v {
			params[k] = v.Get(k)
		}
		if err := refuseOtherSourceParams(params); (err == nil) != ok {
			t.Errorf("%q: %v, want refused=%v", q, err, !ok)
		}
	}
}

// TestConflictWriterAnswersMissing: the cluster's 409 to a read pinned to
// a version that changed since (it names the current version) is replaced
// by the answer of a missing document; other answers pass unchanged.
func TestConflictWriterAnswersMissing(t *testing.T) {
	missing := func(w http.ResponseWriter, r *http.Request) { writeMissingDocument(w, r, "ix", "d", false) }
	for _, tc := range []struct {
		status int
		body   string
		want   string
		code   int
	}{
		{409, `{"error":{"type":"version_conflict_engine_exception","reason":"[d]: version conflict, current version [23] is different than the one provided [8]"},"status":409}`, `{"_index":"ix","_id":"d","found":false}`, 404},
		{200, `{"_index":"ix","_id":"d","found":true}`, `{"_index":"ix","_id":"d","found":true}`, 200},
		{404, `{"_index":"ix","_id":"d","found":false}`, `{"_index":"ix","_id":"d","found":false}`, 404},
	} {
		rec := httptest.NewRecorder()
		cw := &conflictWriter{ResponseWriter: rec, r: httptest.NewRequest("GET", "/ix/_doc/d", nil), replace: missing}
		cw.Header().Set("Content-Length", strconv.Itoa(len(tc.body)))
		cw.WriteHeader(tc.status)
		_, _ = cw.Write([]byte(tc.body))
		if rec.Code != tc.code || rec.Body.String() != tc.want {
			t.Errorf("%d: got %d %s, want %d %s", tc.status, rec.Code, rec.Body.String(), tc.code, tc.want)
		}
		if tc.status == 409 && rec.Header().Get("Content-Length") != "" {
			t.Errorf("409: the cluster's Content-Length is kept: %v", rec.Header())
		}
	}
}
