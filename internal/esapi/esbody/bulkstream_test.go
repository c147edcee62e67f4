package esbody

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// streamed parses req with BulkStream, and checks that each item's raw
// lines parse back, alone, to the same item.
func streamed(t testing.TB, req *http.Request, limit int64) ([]BulkItem, error) {
	s, err := OpenBulkStream(req, limit)
	if err != nil {
		return nil, err
	}
	var items []BulkItem
	for {
		it, lines, err := s.Next()
		if err == io.EOF {
			return items, nil
		}
		if err != nil {
			return nil, err
		}
		one := append(append([]byte{}, lines.Action...), '\n')
		if lines.Source != nil {
			one = append(append(one, lines.Source...), '\n')
		}
		again, perr := ParseBulk(one)
		if perr != nil || len(again) != 1 || bulkSummary(stripLines(again)) != bulkSummary(stripLines([]BulkItem{it})) {
			t.Fatalf("lines %q of item %+v parse to %v, %v", one, it, again, perr)
		}
		items = append(items, it)
	}
}

// inMemory is today's path: Read, then ParseBulk.
func inMemory(req *http.Request, limit int64) ([]BulkItem, error) {
	b, err := Read(req, limit)
	if err != nil {
		return nil, err
	}
	return ParseBulk(b.Raw)
}

func bulkRequest(body []byte, encoding string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/_bulk", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-ndjson")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	return req
}

// checkParity asserts that both front ends accept the same bodies with the
// same items, and refuse the same bodies.
func checkParity(t *testing.T, body []byte, encoding string, limit int64) {
	t.Helper()
	want, werr := inMemory(bulkRequest(body, encoding), limit)
	got, gerr := streamed(t, bulkRequest(body, encoding), limit)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("body %q: in memory %v, streamed %v", body, werr, gerr)
	}
	if gerr != nil {
		checkRefusal(t, gerr, len(body)+1<<20)
		var we, ge *Error
		if errors.As(werr, &we) && errors.As(gerr, &ge) && we.Status == 413 != (ge.Status == 413) {
			t.Fatalf("body %q: in memory %v, streamed %v", body, werr, gerr)
		}
		return
	}
	if bulkSummary(got) != bulkSummary(want) {
		t.Fatalf("body %q:\n in memory %s\n streamed  %s", body, bulkSummary(want), bulkSummary(got))
	}
}

func streamCases() []string {
	return []string{
		"{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n",
		"{\"delete\":{\"_id\":\"sb\"}}\n{\"index\":{\"_index\":\"hr\",\"_id\":\"w\"}}\n{\"m\":\"x\"}\n",
		"{\"index\":{\"_id\":\"ok\"}}\n{\"a\":1}\n\n{\"index\":{\"_index\":\"l\",\"_id\":\"w07\"}}\n{\"b\":2}\n",
		" \t\r\n\r\n{\"delete\":{\"_id\":\"1\"}}\n",
		"{\"index\":{\"_id\":\"1\"}}\r\n{\"a\":1}\r\n",
		"\xEF\xBB\xBF{\"delete\":{\"_id\":\"1\"}}\n",
		"{\"delete\":{\"_id\":\"1\"}}",
		"{\"delete\":{\"_id\":\"1\"}}\n  ",
		"{\"upsert\":{}}\n{}\n",
		"{\"index\":{}}\n{\"a\":1,\"a\":2}\n",
		"{\"index\":{}}\n",
		"{\"index\":{}}\n\n",
		"{\"index\":{}}\n{\"s\":\"\xff\"}\n",
		"{\"delete\":{\"_id\":\"1\"}}\n\xff\n",
		"\x00{\"delete\":{}}\n",
		"\xFE\xFF\x00{\n",
		"\uFEFF{\x00\n",
		"\uFEFF0\x00",
		"",
		"\n\n\n",
		"{\"index\":{\"_index\":\"a,b\"}}\n{}\n",
		"{\"index\":{\"_id\":\"1\"}}\n{\"long\":\"" + strings.Repeat("x", 200<<10) + "\"}\n{\"delete\":{\"_id\":\"2\"}}\n",
	}
}

func TestBulkStreamParity(t *testing.T) {
	bodies := streamCases()
	for _, s := range ndjsonSeeds(t) {
		bodies = append(bodies, string(s))
	}
	for _, c := range parseBulkCases() {
		bodies = append(bodies, c.in)
	}
	for _, c := range parseBulkRefusals() {
		bodies = append(bodies, c.in)
	}
	for _, b := range bodies {
		checkParity(t, []byte(b), "", 1<<20)
		checkParity(t, gzipped(t, b), "gzip", 1<<20)
	}
}

func TestBulkStreamLimits(t *testing.T) {
	body := []byte(strings.Repeat("{\"delete\":{\"_id\":\"1\"}}\n", 100))
	tests := []struct {
		name     string
		body     []byte
		encoding string
		limit    int64
		status   int
	}{
		{"plain over the limit", body, "", int64(len(body)) - 1, 413},
		{"plain at the limit", body, "", int64(len(body)), 0},
		{"decompressed over the limit (zip bomb)", gzipped(t, string(body)), "gzip", int64(len(body)) - 1, 413},
		{"trailing bytes after gzip", append(gzipped(t, string(body)), 'x'), "gzip", 1 << 20, 400},
		{"truncated gzip", gzipped(t, string(body))[:20], "gzip", 1 << 20, 400},
		{"unknown encoding", body, "br", 1 << 20, 415},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := bulkRequest(tc.body, tc.encoding)
			req.ContentLength = -1 // as if chunked: the bound applies while reading
			_, err := streamed(t, req, tc.limit)
			var e *Error
			switch {
			case tc.status == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.status != 0 && (!errors.As(err, &e) || e.Status != tc.status):
				t.Fatalf("got %v, want status %d", err, tc.status)
			}
		})
	}
}

func TestBulkStreamRefusesSourceParam(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/_bulk?source=%7B%7D&source_content_type=application/json", http.NoBody)
	if _, err := OpenBulkStream(req, 1<<20); err == nil {
		t.Fatal("a source parameter was accepted")
	}
}

func FuzzBulkStream(f *testing.F) {
	for _, s := range ndjsonSeeds(f) {
		f.Add(s, false)
	}
	for _, s := range streamCases() {
		f.Add([]byte(s), true)
	}
	for _, c := range parseBulkCases() {
		f.Add([]byte(c.in), false)
	}
	for _, c := range parseBulkRefusals() {
		f.Add([]byte(c.in), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, gzip bool) {
		if gzip {
			checkParity(t, gzipped(t, string(data)), "gzip", 1<<16)
			return
		}
		checkParity(t, data, "", 1<<16)
	})
}

// TestBulkItemsBounded: a _bulk body of more than MaxBulkItems items is
// refused (413) as soon as the item past the bound is read, by ParseBulk
// and by the stream alike (a 760 KB gzip of 5 million tiny items held 2.4
// GB before the decompressed-size limit refused it), while one at the
// bound parses.
func TestBulkItemsBounded(t *testing.T) {
	item := `{"delete":{"_id":"1"}}` + "\n"
	over := []byte(strings.Repeat(item, MaxBulkItems+1))
	if _, err := ParseBulk(over); err == nil || err.(*Error).Status != http.StatusRequestEntityTooLarge {
		t.Errorf("ParseBulk of %d items: %v", MaxBulkItems+1, err)
	}
	req := httptest.NewRequest(http.MethodPost, "/_bulk", bytes.NewReader(over))
	req.Header.Set("Content-Type", "application/x-ndjson")
	s, err := OpenBulkStream(req, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, _, err = s.Next()
		if err != nil {
			break
		}
		n++
	}
	if e, ok := err.(*Error); !ok || e.Status != http.StatusRequestEntityTooLarge || !strings.Contains(e.Reason, "more than [524288] items") || n != MaxBulkItems {
		t.Errorf("stream of %d items: %d items, then %v", MaxBulkItems+1, n, err)
	}
	if items, err := ParseBulk(over[len(item):]); err != nil || len(items) != MaxBulkItems {
		t.Errorf("ParseBulk of %d items: %d, %v", MaxBulkItems, len(items), err)
	}
}
