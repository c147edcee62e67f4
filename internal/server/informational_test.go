package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// TestInformationalAnswerKeepsTheFilter: a 1xx answer (103 Early Hints,
// 100 Continue) ahead of the final one must not be taken for the answer's
// status: the filter still runs on the final 2xx's body, and the error
// redaction on a final error. (The proxy's transport skips 1xx answers
// today; httputil.ReverseProxy would pass them on with WriteHeader.)
func TestInformationalAnswerKeepsTheFilter(t *testing.T) {
	const secret = "CANARY-1XX"
	up := func(final int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(final)
			_, _ = io.WriteString(w, `{"error":{"reason":"`+secret+`"},"status":1}`)
		})
	}
	drop := func(dst io.Writer, src io.Reader) error {
		b, err := io.ReadAll(src)
		if err != nil {
			return err
		}
		_, err = io.WriteString(dst, strings.ReplaceAll(string(b), secret, "hidden"))
		return err
	}
	rec := httptest.NewRecorder()
	serveFiltered(rec, httptest.NewRequest("GET", "/i/_search", nil), up(http.StatusOK), drop, zap.NewNop(), false)
	if strings.Contains(rec.Body.String(), secret) {
		t.Errorf("a 103 before the 200 let the answer through unfiltered: %d %s", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	ew := &errorRedactingWriter{ResponseWriter: rec, literals: []string{strings.ToLower(secret)}}
	up(http.StatusBadRequest).ServeHTTP(ew, httptest.NewRequest("GET", "/i/_search", nil))
	ew.finish()
	if strings.Contains(rec.Body.String(), secret) {
		t.Errorf("a 103 before the 400 let the error through unredacted: %d %s", rec.Code, rec.Body.String())
	}
	// The merger of a _bulk with a refused item reads the final answer.
	for _, stream := range []bool{false, true} {
		m := newBulkMerger([]deniedItem{{pos: 1, op: "index", index: "secret", status: 403, reason: "no"}}, 2)
		m.stream = stream
		rec := httptest.NewRecorder()
		m.serve(rec, httptest.NewRequest("POST", "/_bulk", nil), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"took":1,"errors":false,"items":[{"index":{"_index":"ok","status":201}}]}`)
		}))
		if !strings.Contains(rec.Body.String(), `"status":403`) || !strings.Contains(rec.Body.String(), `"status":201`) {
			t.Errorf("stream %v: a 103 before the 200 let the bulk answer through unmerged: %d %s", stream, rec.Code, rec.Body.String())
		}
	}
}
