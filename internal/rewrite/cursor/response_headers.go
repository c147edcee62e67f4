package cursor

import (
	"fmt"
	"net/http"
)

// idHeaders are the response headers that carry ids: with a text format
// (txt, csv, tsv), Elasticsearch SQL sends the cursor and the async id in
// headers, and ES|QL sends the async id in headers too.
func idHeaders() []struct {
	name string
	kind Kind
} {
	return []struct {
		name string
		kind Kind
	}{
		{"Cursor", KindSQLCursor},
		{"Async-Id", KindAsync},
		{"X-Elasticsearch-Async-Id", KindAsync},
	}
}

// RewriteHeaders replaces the ids in the response headers that carry them
// (Cursor, Async-ID, X-Elasticsearch-Async-Id) by replace's result. Empty
// values are left alone (no id). It works on every status: the headers
// come with text-format responses the body rewriter cannot read. When
// replace fails, the header is removed, so no cluster id is left behind,
// and the error is returned.
func RewriteHeaders(h http.Header, replace ReplaceFunc) error {
	for _, ih := range idHeaders() {
		values := h.Values(ih.name)
		if len(values) == 0 {
			continue
		}
		out := make([]string, len(values))
		for i, v := range values {
			if v == "" {
				continue
			}
			token, err := replace(ih.kind, v)
			if err != nil {
				h.Del(ih.name)
				return fmt.Errorf("cursor: header %s: %w", ih.name, err)
			}
			out[i] = token
		}
		h[http.CanonicalHeaderKey(ih.name)] = out
	}
	return nil
}
