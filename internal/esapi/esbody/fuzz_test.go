package esbody

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// Seeds shared by the fuzz targets: the corpus bodies plus the tricky
// inputs of the table tests.
func jsonSeeds(t testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte(`{"a":1,"a":2}`), []byte(`{"a\u0062":1,"ab":2}`), []byte(`"\ud800"`), []byte(`"\ud83d\ude00"`),
		[]byte(`[1.0,1e2,-0,12345678901234567890123]`), []byte("{\"a\":1 // c\n}"), []byte(`{'a':1}`),
		[]byte(`[01]`), []byte(`{"a":1,}`), []byte(`{} {}`), []byte("\xEF\xBB\xBF{}"), []byte("\"\xff\""),
		[]byte(`{"a":"\u0000\t\/"}`), []byte(strings.Repeat("[", 50) + strings.Repeat("]", 50)),
	}
	for _, c := range loadCorpus(t) {
		b := c.body(t, 64)
		if c.Compress == "" && len(b) < 1<<16 {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// checkRefusal asserts that err is a well-formed refusal.
func checkRefusal(t *testing.T, err error, n int) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is %T, not *Error", err, err)
	}
	switch e.Status {
	case 400, 406, 413, 415:
	default:
		t.Fatalf("refusal with status %d: %v", e.Status, e)
	}
	if e.Type == "" || e.Reason == "" || e.Offset < -1 || e.Offset > int64(n) {
		t.Fatalf("malformed refusal %+v (input %d bytes)", e, n)
	}
}

// noDuplicateNames walks data with encoding/json's tokenizer, an
// implementation independent of jsontext, and reports whether every object
// has unique member names.
func noDuplicateNames(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		names  map[string]bool
		object bool
		key    bool // the next token of this object is a name
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].key = true
				}
				stack = append(stack, frame{names: map[string]bool{}, object: true, key: true})
			case '[':
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].key = true
				}
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if len(stack) == 0 || !stack[len(stack)-1].object {
			continue
		}
		top := &stack[len(stack)-1]
		if top.key {
			name := tok.(string)
			if top.names[name] {
				return false
			}
			top.names[name] = true
			top.key = false
		} else {
			top.key = true
		}
	}
}

// sameAsStdlib compares our tree with encoding/json's reading of the same
// document (objects as maps, numbers as their text).
func sameAsStdlib(v Value, s any) bool {
	switch v := v.(type) {
	case Null:
		return s == nil
	case Bool:
		b, ok := s.(bool)
		return ok && b == bool(v)
	case Number:
		n, ok := s.(json.Number)
		return ok && string(n) == string(v)
	case String:
		str, ok := s.(string)
		return ok && str == string(v)
	case Array:
		a, ok := s.([]any)
		if !ok || len(a) != len(v) {
			return false
		}
		for i := range v {
			if !sameAsStdlib(v[i], a[i]) {
				return false
			}
		}
		return true
	case *Object:
		m, ok := s.(map[string]any)
		if !ok || len(m) != v.Len() {
			return false
		}
		for name, e := range v.All() {
			if !sameAsStdlib(e, m[name]) {
				return false
			}
		}
		return true
	}
	return false
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range jsonSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseJSON(data)
		if err != nil {
			checkRefusal(t, err, len(data))
			return
		}
		// Accepted input is RFC 8259 JSON, UTF-8, with unique names, read
		// the same way by an independent parser.
		if !utf8.Valid(data) || !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if !noDuplicateNames(data) {
			t.Fatalf("accepted duplicate names in %q", data)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var std any
		if err := dec.Decode(&std); err != nil || !sameAsStdlib(v, std) {
			t.Fatalf("encoding/json reads %q differently: %v", data, err)
		}
		// It re-encodes to a document that parses to the same tree.
		out, err := Encode(v)
		if err != nil {
			t.Fatalf("Encode of accepted %q: %v", data, err)
		}
		again, err := ParseJSON(out)
		if err != nil || !Equal(v, again) {
			t.Fatalf("round trip of %q via %q: %v", data, out, err)
		}
	})
}

func ndjsonSeeds(t testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte("{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n\n{\"delete\":{\"_id\":\"2\"}}\n"),
		[]byte("{\"update\":{\"_id\":1,\"routing\":2}}\r\n{\"doc\":{}}\r\n"),
		[]byte("{}\n{}\n\n{}\n{\"index\":\"a,b\",\"expand_wildcards\":[\"open\"]}\n{\"size\":1}\n"),
		[]byte("\n{}\n{}\n"), []byte("{\"index\":{}}\n"), []byte("{}"),
	}
	for _, c := range loadCorpus(t) {
		if strings.Contains(c.Target, "_bulk") || strings.Contains(c.Target, "_msearch") {
			seeds = append(seeds, c.body(t, 64))
		}
	}
	return seeds
}

func FuzzParseBulk(f *testing.F) {
	for _, s := range ndjsonSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := ParseBulk(data)
		if err != nil {
			checkRefusal(t, err, len(data))
			return
		}
		for _, it := range items {
			if (it.Op == "delete") != (it.Source == nil) || it.Meta == nil || it.Line < 1 {
				t.Fatalf("inconsistent item %+v", it)
			}
		}
		out, err := EncodeBulk(items)
		if err != nil {
			t.Fatalf("EncodeBulk of accepted %q: %v", data, err)
		}
		again, err := ParseBulk(out)
		if err != nil || bulkSummary(stripLines(again)) != bulkSummary(stripLines(items)) {
			t.Fatalf("round trip of %q via %q: %v", data, out, err)
		}
	})
}

// stripLines zeroes line numbers, which re-encoding changes (blank lines
// are dropped).
func stripLines(items []BulkItem) []BulkItem {
	out := make([]BulkItem, len(items))
	for i, it := range items {
		it.Line, it.SourceLine = 0, 0
		out[i] = it
	}
	return out
}

func FuzzParseMsearch(f *testing.F) {
	for _, s := range ndjsonSeeds(f) {
		f.Add(s)
	}
	// Headers using every key, so mutations start from accepted bodies.
	f.Add([]byte("{\"index\":\"a\",\"expand_wildcards\":\"open,hidden\",\"ignore_unavailable\":true,\"allow_no_indices\":\"false\",\"search_type\":\"query_then_fetch\",\"routing\":\"r\",\"preference\":\"_local\",\"request_cache\":false,\"ccs_minimize_roundtrips\":true,\"allow_partial_search_results\":false,\"ignore_throttled\":false}\n{\"query\":{\"match_all\":{}}}\n"))
	f.Add([]byte("{\"indices\":[\"a\",\"b\"],\"expandWildcards\":[\"all\"],\"ignoreUnavailable\":\"true\",\"allowNoIndices\":true,\"searchType\":\"dfs_query_then_fetch\",\"requestCache\":true,\"ccsMinimizeRoundtrips\":false,\"ignoreThrottled\":true}\r\n{}\r\n \n{\"size\":0}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := ParseMsearch(data)
		if err != nil {
			checkRefusal(t, err, len(data))
			return
		}
		for _, it := range items {
			if it.Header == nil || it.Body == nil || (it.Indices != nil && len(it.Indices) == 0) {
				t.Fatalf("inconsistent item %+v", it)
			}
		}
		out, err := EncodeMsearch(items)
		if err != nil {
			t.Fatalf("EncodeMsearch of accepted %q: %v", data, err)
		}
		again, err := ParseMsearch(out)
		if err != nil || len(again) != len(items) {
			t.Fatalf("round trip of %q via %q: %v", data, out, err)
		}
		for i := range items {
			if !sameHeaderView(&items[i], &again[i]) || !Equal(items[i].Body, again[i].Body) || !Equal(items[i].Header, again[i].Header) {
				t.Fatalf("round trip of %q via %q changed item %d", data, out, i)
			}
		}
	})
}

func FuzzParseMget(f *testing.F) {
	for _, s := range jsonSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte(`{"docs":[{"_index":"a","_id":"1","_source":{"includes":["x"]},"stored_fields":"y"}]}`))
	f.Add([]byte(`{"ids":["1",2]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, _, err := ParseMget(data)
		if err != nil {
			checkRefusal(t, err, len(data))
			return
		}
		for _, d := range docs {
			if d.ID == "" || d.Raw == nil || strings.Contains(d.Index, ",") {
				t.Fatalf("inconsistent doc %+v", d)
			}
		}
		if docs == nil {
			return
		}
		out, err := EncodeMget(docs)
		if err != nil {
			t.Fatalf("EncodeMget: %v", err)
		}
		again, _, err := ParseMget(out)
		if err != nil || mgetSummary(again, nil) != mgetSummary(docs, nil) {
			t.Fatalf("round trip of %q via %q: %v", data, out, err)
		}
	})
}

const fuzzReadLimit = 4096

func FuzzRead(f *testing.F) {
	for _, c := range loadCorpus(f) {
		body := c.body(f, 64)
		if len(body) > fuzzReadLimit {
			continue
		}
		target := c.Target
		q := ""
		if i := strings.IndexByte(target, '?'); i >= 0 {
			q = target[i+1:]
		}
		f.Add(body, c.Headers["Content-Type"], c.Headers["Content-Encoding"], q, uint8(0))
	}
	f.Add([]byte(query), "application/json; charset=UTF-16", "", "", uint8(0))
	f.Add([]byte("\xFE\xFF\x00{\x00}"), "", "", "", uint8(0))
	f.Add([]byte(query), "application/vnd.elasticsearch+json;compatible-with=7", "deflate", "", uint8(2))
	f.Add([]byte(query), "application/json", "gzip", "", uint8(1))
	f.Add([]byte(""), "", "", "source=%7B%7D;source_content_type=application/json", uint8(0))
	f.Add([]byte("{}"), "application/json", "br", "=source&x=%%", uint8(4))
	f.Fuzz(func(t *testing.T, body []byte, ct, ce, rawQuery string, mode uint8) {
		// mode: bit 0 gzip the body, bit 1 deflate it (raw), bit 2 chunked
		// framing, bit 3 repeat the Content-Type header.
		switch {
		case mode&1 != 0:
			body = gzipped(t, string(body))
		case mode&2 != 0:
			var z bytes.Buffer
			w, _ := flate.NewWriter(&z, flate.BestSpeed)
			w.Write(body)
			w.Close()
			body = z.Bytes()
		}
		r := httptest.NewRequest("POST", "/i/_search", bytes.NewReader(body))
		// Build the URI by hand: arbitrary fuzz bytes are not a valid target
		// for NewRequest, but the proxy sees whatever the client sends.
		r.RequestURI = "/i/_search?" + rawQuery
		for _, h := range []struct{ name, v string }{{"Content-Type", ct}, {"Content-Encoding", ce}} {
			if h.v != "" {
				r.Header[h.name] = []string{h.v}
			}
		}
		if mode&8 != 0 && ct != "" {
			r.Header["Content-Type"] = append(r.Header["Content-Type"], ct)
		}
		if mode&4 != 0 {
			r.ContentLength = -1
		}
		b, err := Read(r, fuzzReadLimit)
		if err != nil {
			checkRefusal(t, err, fuzzReadLimit+len(rawQuery))
			return
		}
		if len(b.Raw) > fuzzReadLimit || !utf8.Valid(b.Raw) || bytes.HasPrefix(b.Raw, []byte(utf8BOM)) ||
			bytes.IndexByte(b.Raw[:min(len(b.Raw), 4)], 0) >= 0 {
			t.Fatalf("Read returned a body the cluster could read differently: %q", b.Raw)
		}
		if len(b.Raw) > 0 && (b.MediaType != MediaJSON && b.MediaType != MediaNDJSON || b.ContentType == "") {
			t.Fatalf("body without an accepted type: %+v", b)
		}
		out, _ := http.NewRequest("POST", "http://cluster/i/_search?"+strings.Map(func(r rune) rune {
			if r < 0x21 || r >= 0x7f || r == '#' {
				return -1
			}
			return r
		}, rawQuery), nil)
		if out == nil {
			return
		}
		b.Apply(out)
		got, _ := io.ReadAll(out.Body)
		if !bytes.Equal(got, b.Raw) || out.ContentLength != int64(len(b.Raw)) || out.Header.Get("Content-Encoding") != "" {
			t.Fatalf("Apply forwarded %q (length %d), want %q", got, out.ContentLength, b.Raw)
		}
	})
}
