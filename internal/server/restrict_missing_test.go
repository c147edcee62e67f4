package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/rewrite/filterpath"
)

// TestMissingDocCutter: a missing document's 404 is cut by filter_path as
// the cluster cuts it; an error 404 and other statuses pass unchanged.
func TestMissingDocCutter(t *testing.T) {
	fp, err := filterpath.Compile("_id")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status     int
		body, want string
	}{
		{404, `{"_index":"i","_id":"1","found":false}`, `{"_id":"1"}`},
		{404, `{"error":{"type":"index_not_found_exception","reason":"no such index [i]"},"status":404}`, `{"error":{"type":"index_not_found_exception","reason":"no such index [i]"},"status":404}`},
		{404, `not json`, `not json`},
		{200, `{"_index":"i","_id":"1","found":true}`, `{"_index":"i","_id":"1","found":true}`},
	} {
		rec := httptest.NewRecorder()
		mc := &missingDocCutter{ResponseWriter: rec, fp: fp}
		mc.Header().Set("Content-Type", "application/json; charset=UTF-8")
		mc.WriteHeader(tc.status)
		_, _ = mc.Write([]byte(tc.body))
		mc.finish()
		if rec.Code != tc.status || strings.TrimSpace(rec.Body.String()) != tc.want {
			t.Errorf("%d %s: got %d %s, want %s", tc.status, tc.body, rec.Code, rec.Body.String(), tc.want)
		}
	}
}
