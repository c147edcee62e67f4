package cursor

import (
	"errors"
	"net/http"
	"slices"
	"testing"
)

func TestRewriteHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("Cursor", "sDXF1ZXJ5:BAFm")
	h["Async-Id"] = []string{"FmRldE8z"}
	h.Set("X-Elasticsearch-Async-Id", "FnR0TDhy")
	h.Set("X-Elasticsearch-Async-Is-Running", "?1")
	h.Set("Content-Type", "text/plain")
	var rec recorder
	if err := RewriteHeaders(h, rec.replace); err != nil {
		t.Fatal(err)
	}
	want := []string{"sql_cursor:sDXF1ZXJ5:BAFm", "async:FmRldE8z", "async:FnR0TDhy"}
	if !slices.Equal(rec.calls, want) {
		t.Errorf("replaced %v, want %v", rec.calls, want)
	}
	if h.Get("Cursor") != "TOKEN-1-sql_cursor" || h.Get("Async-ID") != "TOKEN-2-async" || h.Get("X-Elasticsearch-Async-Id") != "TOKEN-3-async" {
		t.Errorf("headers = %v", h)
	}
	if h.Get("X-Elasticsearch-Async-Is-Running") != "?1" || h.Get("Content-Type") != "text/plain" {
		t.Errorf("other headers changed: %v", h)
	}

	empty := http.Header{"Cursor": {""}}
	if err := RewriteHeaders(empty, rec.replace); err != nil || empty.Get("Cursor") != "" {
		t.Errorf("empty cursor header: %v, %v", err, empty)
	}
	failing := http.Header{"Cursor": {"c"}}
	if err := RewriteHeaders(failing, func(Kind, string) (string, error) { return "", errors.New("no") }); err == nil {
		t.Error("replace error not returned")
	}
	if _, ok := failing["Cursor"]; ok {
		t.Errorf("header with the cluster id kept after a failed replace: %v", failing)
	}
}
