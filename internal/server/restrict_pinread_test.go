package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// pinCluster is a cluster holding one document in several versions: the
// one a visibility check found visible (version 1, _seq_no 4), a hidden
// one written since under the same external version (version 5, _seq_no
// 9, where the checked one is _seq_no 8), and a hidden latest one that any
// unpinned read returns.
type pinCluster struct{ paths []string }

func (c *pinCluster) Send(_ context.Context, method, path string, _ []byte) (*http.Response, error) {
	c.paths = append(c.paths, method+" "+path)
	u, _ := url.Parse(path)
	q := u.Query()
	answer := func(status int, body string) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
	switch {
	case strings.Contains(u.Path, "/_source/"), q.Get("realtime") != "false":
		return answer(200, `{"tenant":"globex","msg":"CANARY-LATEST"}`)
	case q.Get("stored_fields") == "bad":
		return answer(400, `{"error":{"type":"illegal_argument_exception","reason":"bad"},"status":400}`)
	case q.Get("version") == "1":
		return answer(200, `{"_index":"ix","_id":"d","_version":1,"_seq_no":4,"_primary_term":1,"found":true,"_source":{"tenant":"acme","msg":"visible"}}`)
	case q.Get("version") == "5":
		return answer(200, `{"_index":"ix","_id":"d","_version":5,"_seq_no":9,"_primary_term":1,"found":true,"_source":{"tenant":"globex","msg":"CANARY-SAME-VERSION"}}`)
	case q.Get("version") == "7":
		return answer(404, `{"_index":"ix","_id":"d","found":false}`)
	}
	return answer(409, `{"error":{"type":"version_conflict_engine_exception","reason":"[d]: version conflict, current version [23] is different than the one provided [3]"},"status":409}`)
}

// TestPinnedReadReadsTheCheckedVersion: a document read under DLS is made
// by the proxy through _doc at the version the visibility check found
// visible, and answered only if the _seq_no and _primary_term read are
// the checked ones; otherwise (a version gone, a conflict, the same
// external version written again) as a missing document, in the shape of
// the endpoint asked (_doc or _source). Never the latest (hidden) one.
func TestPinnedReadReadsTheCheckedVersion(t *testing.T) {
	checked := docPin{version: 1, seqNo: 4, primaryTerm: 1}
	for _, tc := range []struct {
		name, method, target string
		pin                  docPin
		status               int
		want                 string
	}{
		{"source, checked version", "GET", "/ix/_source/d?_source_includes=msg&realtime=true", checked, 200, `{"tenant":"acme","msg":"visible"}`},
		{"source, checked version, HEAD", "HEAD", "/ix/_source/d", checked, 200, ``},
		{"source, version gone", "GET", "/ix/_source/d", docPin{version: 7}, 404, `resource_not_found_exception`},
		{"source, conflict", "GET", "/ix/_source/d", docPin{version: 3}, 404, `Document not found [ix]/[_doc]/[d]`},
		{"source, conflict, HEAD", "HEAD", "/ix/_source/d", docPin{version: 3}, 404, ``},
		{"source, same version rewritten", "GET", "/ix/_source/d", docPin{version: 5, seqNo: 8, primaryTerm: 1}, 404, `resource_not_found_exception`},
		{"source disabled", "GET", "/ix/_source/d?_source=false", checked, 400, `fetching source can not be disabled`},
		{"source, pretty", "GET", "/ix/_source/d?pretty", checked, 200, "{\n  \"tenant\": \"acme\",\n  \"msg\": \"visible\"\n}\n"},
		{"doc, checked version", "GET", "/ix/_doc/d?stored_fields=m", checked, 200, `"_seq_no":4,"_primary_term":1,"found":true,"_source":{"tenant":"acme","msg":"visible"}}`},
		{"doc, checked version, HEAD", "HEAD", "/ix/_doc/d", checked, 200, ``},
		{"doc, conflict", "GET", "/ix/_doc/d", docPin{version: 3}, 404, `{"_index":"ix","_id":"d","found":false}`},
		{"doc, same version rewritten", "GET", "/ix/_doc/d", docPin{version: 5, seqNo: 8, primaryTerm: 1}, 404, `{"_index":"ix","_id":"d","found":false}`},
		{"doc, same version rewritten, HEAD", "HEAD", "/ix/_doc/d", docPin{version: 5, seqNo: 8, primaryTerm: 1}, 404, ``},
		{"doc, another primary term", "GET", "/ix/_doc/d", docPin{version: 1, seqNo: 4, primaryTerm: 2}, 404, `"found":false`},
		{"doc, the cluster's error", "GET", "/ix/_doc/d?stored_fields=bad", checked, 400, `illegal_argument_exception`},
	} {
		c := &pinCluster{}
		rr := &restrictedRequest{rs: &Restrictions{Cluster: c}, st: &requestState{}}
		w := httptest.NewRecorder()
		source := strings.Contains(tc.target, "/_source/")
		rr.servePinnedRead(w, httptest.NewRequest(tc.method, tc.target, nil), "ix", "d", source, tc.pin, identityFilter)
		body := w.Body.String()
		if w.Code != tc.status || !strings.Contains(body, tc.want) || strings.Contains(body, "CANARY") || strings.Contains(body, "current version") {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, w.Code, body, tc.status, tc.want)
		}
		for _, p := range c.paths {
			if !strings.Contains(p, "/ix/_doc/d?") || !strings.Contains(p, "realtime=false") || !strings.Contains(p, "version=") {
				t.Errorf("%s: the read %s is not a pinned _doc read", tc.name, p)
			}
		}
	}
	// The answer goes through the field-level security filter, the read
	// keeps the checked routing.
	for _, target := range []string{"/ix/_source/d?routing=r", "/ix/_doc/d?routing=r"} {
		c := &pinCluster{}
		rr := &restrictedRequest{rs: &Restrictions{Cluster: c}, st: &requestState{}}
		w := httptest.NewRecorder()
		upper := func(dst io.Writer, src io.Reader) error {
			b, err := io.ReadAll(src)
			_, _ = dst.Write([]byte(strings.ToUpper(string(b))))
			return err
		}
		rr.servePinnedRead(w, httptest.NewRequest("GET", target, nil), "ix", "d", strings.Contains(target, "_source"), docPin{version: 1, seqNo: 4, primaryTerm: 1, routing: "r"}, upper)
		if !strings.Contains(w.Body.String(), `{"TENANT":"ACME","MSG":"VISIBLE"}`) {
			t.Errorf("%s filtered: %s", target, w.Body.String())
		}
		if len(c.paths) != 1 || !strings.Contains(c.paths[0], "routing=r") || !strings.Contains(c.paths[0], "version=1") {
			t.Errorf("%s pinned read: %v", target, c.paths)
		}
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
