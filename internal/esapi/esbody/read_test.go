package esbody

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

const testMax = 1 << 20

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func zlibbed(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func rawDeflated(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.DefaultCompression)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func utf16Bytes(s string, bigEndian, bom bool) []byte {
	var b []byte
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	for _, u := range units {
		if bigEndian {
			b = binary.BigEndian.AppendUint16(b, u)
		} else {
			b = binary.LittleEndian.AppendUint16(b, u)
		}
	}
	return b
}

// req builds a server-side request; headers are given as "Name: value"
// lines so a header can repeat.
func req(method, target string, body []byte, headers ...string) *http.Request {
	var r *http.Request
	if body == nil {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, bytes.NewReader(body))
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		r.Header.Add(name, strings.TrimSpace(value))
	}
	return r
}

const query = `{"size":50,"query":{"match_all":{}}}`

func TestReadAccepts(t *testing.T) {
	tests := []struct {
		name      string
		r         *http.Request
		raw       string
		media     string
		ct        string
		fromParam bool
		encoded   bool
	}{
		{"json", req("POST", "/i/_search", []byte(query), "Content-Type: application/json"), query, MediaJSON, "application/json", false, false},
		{"charset utf-8", req("POST", "/i/_search", []byte(query), "Content-Type: application/json; charset=UTF-8"), query, MediaJSON, "application/json; charset=UTF-8", false, false},
		{"ndjson", req("POST", "/_bulk", []byte("{}\n"), "Content-Type: application/x-ndjson"), "{}\n", MediaNDJSON, "application/x-ndjson", false, false},
		{"application/* is json", req("POST", "/i/_search", []byte(query), "Content-Type: application/*"), query, MediaJSON, "application/*", false, false},
		{"vendor json (PARSE-007)", req("POST", "/i/_search", []byte(query), "Content-Type: application/vnd.elasticsearch+json;compatible-with=8"), query, MediaJSON, "application/vnd.elasticsearch+json;compatible-with=8", false, false},
		{"vendor ndjson", req("POST", "/_bulk", []byte("{}\n"), "Content-Type: application/vnd.elasticsearch+x-ndjson; compatible-with=7"), "{}\n", MediaNDJSON, "application/vnd.elasticsearch+x-ndjson; compatible-with=7", false, false},
		{"upper case type", req("POST", "/i/_search", []byte(query), "Content-Type: Application/JSON"), query, MediaJSON, "Application/JSON", false, false},
		{"GET with body (PARSE-003)", req("GET", "/i/_search", []byte(query), "Content-Type: application/json"), query, MediaJSON, "application/json", false, false},
		{"no body", req("GET", "/i/_search", nil), "", "", "", false, false},
		{"no body, odd content type", req("GET", "/i/_search", nil, "Content-Type: text/plain"), "", "", "", false, false},
		{"gzip (PARSE-009)", req("POST", "/i/_search", gzipped(t, query), "Content-Type: application/json", "Content-Encoding: gzip"), query, MediaJSON, "application/json", false, true},
		{"x-gzip upper case", req("POST", "/i/_search", gzipped(t, query), "Content-Type: application/json", "Content-Encoding: X-GZIP"), query, MediaJSON, "application/json", false, true},
		{"deflate zlib", req("POST", "/i/_search", zlibbed(t, query), "Content-Type: application/json", "Content-Encoding: deflate"), query, MediaJSON, "application/json", false, true},
		{"deflate raw (PARSE-011)", req("POST", "/i/_search", rawDeflated(t, query), "Content-Type: application/json", "Content-Encoding: deflate"), query, MediaJSON, "application/json", false, true},
		{"x-deflate", req("POST", "/i/_search", zlibbed(t, query), "Content-Type: application/json", "Content-Encoding: x-deflate"), query, MediaJSON, "application/json", false, true},
		{"identity", req("POST", "/i/_search", []byte(query), "Content-Type: application/json", "Content-Encoding: identity"), query, MediaJSON, "application/json", false, false},
		{"gzip bulk (WRITE-005)", req("POST", "/i/_bulk", gzipped(t, "{\"index\":{}}\n{}\n"), "Content-Type: application/x-ndjson", "Content-Encoding: gzip"), "{\"index\":{}}\n{}\n", MediaNDJSON, "application/x-ndjson", false, true},
		{"utf-8 bom stripped (PARSE-017)", req("POST", "/i/_search", []byte("\xEF\xBB\xBF"+query), "Content-Type: application/json"), query, MediaJSON, "application/json", false, false},
		{"source param (PARSE-001)", req("GET", "/logs-globex-2024/_search?source=%7B%22size%22%3A50%2C%22query%22%3A%7B%22match_all%22%3A%7B%7D%7D%7D&source_content_type=application%2Fjson", nil),
			query, MediaJSON, "application/json", true, false},
		{"source param with ; separators", req("GET", "/i/_search?a=1;source=%7B%7D;source_content_type=application/json", nil), "{}", MediaJSON, "application/json", true, false},
		{"source param with + as space", req("GET", "/i/_search?source=%7B+%7D&source_content_type=application/json", nil), "{ }", MediaJSON, "application/json", true, false},
		{"source param and gzip of nothing", req("GET", "/i/_search?source=%7B%7D&source_content_type=application/json", gzipped(t, ""), "Content-Encoding: gzip"), "{}", MediaJSON, "application/json", true, false},
		{"source_content_type alone is inert", req("POST", "/i/_search?source_content_type=text/plain", []byte(query), "Content-Type: application/json"), query, MediaJSON, "application/json", false, false},
		{"source after # is not seen", req("POST", "/i/_search?x=1#&source=%7B%7D", []byte(query), "Content-Type: application/json"), query, MediaJSON, "application/json", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Read(tt.r, testMax)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if string(b.Raw) != tt.raw || b.MediaType != tt.media || b.ContentType != tt.ct || b.FromSourceParam != tt.fromParam || b.Encoded != tt.encoded {
				t.Fatalf("Read = {Raw:%q Media:%q CT:%q FromSourceParam:%v Encoded:%v}, want {%q %q %q %v %v}",
					b.Raw, b.MediaType, b.ContentType, b.FromSourceParam, b.Encoded, tt.raw, tt.media, tt.ct, tt.fromParam, tt.encoded)
			}
		})
	}
}

func TestReadRefuses(t *testing.T) {
	concatenated := append(gzipped(t, `{"size":0}`), gzipped(t, `{"query":{}}`)...)
	truncated := gzipped(t, query)
	truncated = truncated[:len(truncated)-6]
	trailing := append(gzipped(t, query), "garbage"...)
	corruptCRC := gzipped(t, query)
	corruptCRC[len(corruptCRC)-8] ^= 0xFF
	tests := []struct {
		name   string
		r      *http.Request
		status int
		typ    string
		reason string
	}{
		{"text/plain", req("POST", "/i/_search", []byte(query), "Content-Type: text/plain"), 406, TypeIllegalArgument, "Content-Type header [text/plain] is not supported"},
		{"form", req("POST", "/i/_search", []byte(query), "Content-Type: application/x-www-form-urlencoded"), 406, TypeIllegalArgument, "is not supported"},
		{"cbor (PARSE-005)", req("POST", "/i/_search", []byte{0xa2, 0x64, 0x73, 0x69, 0x7a, 0x65, 0x18, 0x32}, "Content-Type: application/cbor"), 406, TypeIllegalArgument, "Content-Type header [application/cbor] is not supported"},
		{"smile", req("POST", "/i/_search", []byte(":)\n\x00"), "Content-Type: application/smile"), 406, TypeIllegalArgument, "[application/smile] is not supported"},
		{"yaml", req("POST", "/i/_search", []byte("size: 50\n"), "Content-Type: application/yaml"), 406, TypeIllegalArgument, "[application/yaml] is not supported"},
		{"vendor cbor", req("POST", "/i/_search", []byte{0xa0}, "Content-Type: application/vnd.elasticsearch+cbor;compatible-with=8"), 406, TypeIllegalArgument, "is not supported"},
		{"bad compatible-with", req("POST", "/i/_search", []byte(query), "Content-Type: application/vnd.elasticsearch+json;compatible-with=x"), 406, TypeIllegalArgument, "is not supported"},
		{"unknown type", req("POST", "/i/_search", []byte(query), "Content-Type: application/xml"), 406, TypeIllegalArgument, "[application/xml] is not supported"},
		{"media range", req("POST", "/i/_search", []byte(query), "Content-Type: application/json, text/plain"), 406, TypeIllegalArgument, "is not supported"},
		{"missing content type", req("POST", "/i/_search", []byte(query)), 406, TypeIllegalArgument, "Content-Type header is missing"},
		{"missing content type, smile body", req("POST", "/i/_search", []byte(":)\n\x05")), 406, TypeIllegalArgument, "looks like SMILE"},
		{"missing content type, cbor body", req("POST", "/i/_search", []byte{0xd9, 0xd9, 0xf7, 0xa0}), 406, TypeIllegalArgument, "looks like CBOR"},
		{"missing content type, yaml body", req("POST", "/i/_search", []byte("---\nsize: 1\n")), 406, TypeIllegalArgument, "looks like YAML"},
		{"two content types", req("POST", "/i/_search", []byte(query), "Content-Type: application/json", "Content-Type: application/json"), 400, TypeMediaTypeHeader, "Invalid media-type value on headers [Content-Type]"},
		{"empty content type", req("POST", "/i/_search", []byte(query), "Content-Type: "), 400, TypeMediaTypeHeader, "cannot be empty"},
		{"malformed content type", req("POST", "/i/_search", []byte(query), "Content-Type: json"), 400, TypeMediaTypeHeader, "invalid media-type [json]"},
		{"malformed parameter", req("POST", "/i/_search", []byte(query), "Content-Type: application/json; charset = utf-8"), 400, TypeMediaTypeHeader, "invalid parameters"},
		{"malformed content type without body", req("GET", "/i/_search", nil, "Content-Type: a/b/c"), 400, TypeMediaTypeHeader, "invalid media-type"},
		{"utf-16 charset", req("POST", "/i/_search", []byte(query), "Content-Type: application/json; charset=UTF-16"), 415, TypeIllegalArgument, "charset [utf-16]"},
		{"utf-16be with bom (PARSE-019)", req("POST", "/i/_search", utf16Bytes(query, true, true)), 406, TypeIllegalArgument, "Content-Type header is missing"},
		{"utf-16be with bom, json type", req("POST", "/i/_search", utf16Bytes(query, true, true), "Content-Type: application/json"), 415, TypeIllegalArgument, "UTF-16BE (byte order mark)"},
		{"utf-16le with bom", req("POST", "/i/_search", utf16Bytes(query, false, true), "Content-Type: application/json"), 415, TypeIllegalArgument, "UTF-16LE (byte order mark)"},
		{"utf-16be without bom", req("POST", "/i/_search", utf16Bytes(query, true, false), "Content-Type: application/json"), 415, TypeIllegalArgument, "no byte order mark"},
		{"utf-16le without bom", req("POST", "/i/_search", utf16Bytes(query, false, false), "Content-Type: application/json"), 415, TypeIllegalArgument, "no byte order mark"},
		{"utf-32be with bom", req("POST", "/i/_search", []byte("\x00\x00\xFE\xFF\x00\x00\x00{"), "Content-Type: application/json"), 415, TypeIllegalArgument, "UTF-32BE"},
		{"utf-32le with bom", req("POST", "/i/_search", []byte("\xFF\xFE\x00\x00{\x00\x00\x00"), "Content-Type: application/json"), 415, TypeIllegalArgument, "UTF-32LE"},
		{"utf-8 bom, then utf-16le without bom", req("POST", "/i/_search", append([]byte(utf8BOM), utf16Bytes(query, false, false)...), "Content-Type: application/json"), 415, TypeIllegalArgument, "no byte order mark"},
		{"utf-8 bom, then a zero in the next four bytes", req("POST", "/i/_search", []byte("\uFEFF0\x00"), "Content-Type: application/json"), 415, TypeIllegalArgument, "no byte order mark"},
		{"utf-32 without bom", req("POST", "/i/_search", []byte("\x00\x00\x00{\x00\x00\x00}"), "Content-Type: application/json"), 415, TypeIllegalArgument, "UTF-16 or UTF-32"},
		{"utf-16 inside gzip", req("POST", "/i/_search", gzipped(t, string(utf16Bytes(query, true, false))), "Content-Type: application/json", "Content-Encoding: gzip"), 415, TypeIllegalArgument, "UTF-16"},
		{"invalid utf-8", req("POST", "/i/_search", []byte("{\"a\":\"\xC0\xAF\"}"), "Content-Type: application/json"), 400, TypeParseException, "not valid UTF-8 (first invalid byte at offset 6)"},
		{"latin-1", req("POST", "/i/_search", []byte("{\"a\":\"caf\xE9\"}"), "Content-Type: application/json; charset=ISO-8859-1"), 415, TypeIllegalArgument, "charset [iso-8859-1]"},
		{"br", req("POST", "/i/_search", []byte(query), "Content-Type: application/json", "Content-Encoding: br"), 415, TypeIllegalArgument, "Content-Encoding [br] is not supported"},
		{"zstd", req("POST", "/i/_search", []byte(query), "Content-Type: application/json", "Content-Encoding: zstd"), 415, TypeIllegalArgument, "[zstd]"},
		{"snappy", req("POST", "/i/_search", []byte(query), "Content-Type: application/json", "Content-Encoding: snappy"), 415, TypeIllegalArgument, "[snappy]"},
		{"unknown coding", req("POST", "/i/_search", []byte(query), "Content-Type: application/json", "Content-Encoding: compress"), 415, TypeIllegalArgument, "[compress]"},
		{"stacked in one header", req("POST", "/i/_search", gzipped(t, string(gzipped(t, query))), "Content-Type: application/json", "Content-Encoding: gzip, gzip"), 415, TypeIllegalArgument, "[gzip, gzip]"},
		{"stacked in two headers", req("POST", "/i/_search", gzipped(t, query), "Content-Type: application/json", "Content-Encoding: gzip", "Content-Encoding: identity"), 415, TypeIllegalArgument, "[gzip, identity]"},
		{"corrupt gzip", req("POST", "/i/_search", []byte("\x1f\x8bnot really"), "Content-Type: application/json", "Content-Encoding: gzip"), 400, TypeParseException, "failed to decode the gzip request body"},
		{"gzip labelled but plain", req("POST", "/i/_search", []byte(query), "Content-Type: application/json", "Content-Encoding: gzip"), 400, TypeParseException, "gzip"},
		{"truncated gzip", req("POST", "/i/_search", truncated, "Content-Type: application/json", "Content-Encoding: gzip"), 400, TypeParseException, "unexpected EOF"},
		{"gzip checksum", req("POST", "/i/_search", corruptCRC, "Content-Type: application/json", "Content-Encoding: gzip"), 400, TypeParseException, "checksum"},
		{"two gzip members", req("POST", "/i/_search", concatenated, "Content-Type: application/json", "Content-Encoding: gzip"), 400, TypeParseException, "after the end of the compressed stream"},
		{"trailing bytes after gzip", req("POST", "/i/_search", trailing, "Content-Type: application/json", "Content-Encoding: gzip"), 400, TypeParseException, "7 bytes after the end"},
		{"deflate of one byte", req("POST", "/i/_search", []byte("x"), "Content-Type: application/json", "Content-Encoding: deflate"), 400, TypeParseException, "shorter than 2 bytes"},
		{"too large", req("POST", "/i/_search", bytes.Repeat([]byte(" "), testMax+1), "Content-Type: application/json"), 413, TypeTooLarge, "request body exceeds the limit of [1048576] bytes"},
		{"too large after decoding", req("POST", "/i/_search", gzipped(t, strings.Repeat(" ", testMax+1)), "Content-Type: application/json", "Content-Encoding: gzip"), 413, TypeTooLarge, "decompressed request body exceeds"},
		{"body and source", req("POST", "/i/_search?source=%7B%7D&source_content_type=application/json", []byte(query), "Content-Type: application/json"), 400, TypeIllegalArgument, "both a body and a [source] parameter"},
		{"source without type", req("GET", "/i/_search?source=%7B%7D", nil), 400, TypeIllegalArgument, "source and source_content_type parameters are required"},
		{"source with text type", req("GET", "/i/_search?source=%7B%7D&source_content_type=text/plain", nil), 406, TypeIllegalArgument, "[text/plain] is not supported"},
		{"source with yaml type", req("GET", "/i/_search?source=size%3A+1&source_content_type=application/yaml", nil), 406, TypeIllegalArgument, "[application/yaml] is not supported"},
		{"source twice", req("GET", "/i/_search?source=%7B%7D&source=%7B%22size%22%3A1%7D&source_content_type=application/json", nil), 400, TypeIllegalArgument, "may each be given once"},
		{"source twice via ;", req("GET", "/i/_search?source=%7B%7D;source=%7B%7D&source_content_type=application/json", nil), 400, TypeIllegalArgument, "may each be given once"},
		{"source named by =source quirk", req("GET", "/i/_search?=source&source_content_type=application/json", nil), 400, TypeIllegalArgument, "the [source] parameter is empty"},
		{"source bad escape", req("GET", "/i/_search?source=%7B%ZZ&source_content_type=application/json", nil), 400, TypeIllegalArgument, "invalid escape sequence"},
		{"source partial escape", req("GET", "/i/_search?source=%7&source_content_type=application/json", nil), 400, TypeIllegalArgument, "partial escape sequence"},
		{"source invalid utf-8", req("GET", "/i/_search?source=%FF&source_content_type=application/json", nil), 400, TypeIllegalArgument, "not valid UTF-8"},
		{"source raw non-ascii", req("GET", "/i/_search?source={\"q\":\"é\"}&source_content_type=application/json", nil), 400, TypeIllegalArgument, "percent-encoded ASCII"},
		{"source utf-16", req("GET", "/i/_search?source=%00%7B%00%7D&source_content_type=application/json", nil), 415, TypeIllegalArgument, "UTF-16"},
		{"source too large", req("GET", "/i/_search?source="+strings.Repeat("+", testMax+1)+"&source_content_type=application/json", nil), 413, TypeTooLarge, "[source] parameter exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Read(tt.r, testMax)
			if err == nil {
				t.Fatalf("Read accepted: Raw=%q", b.Raw)
			}
			wantErr(t, err, tt.status, tt.typ, tt.reason)
		})
	}
}

func TestReadContentLengthBound(t *testing.T) {
	// A declared length over the bound is refused before anything is read.
	r := req("POST", "/i/_search", nil, "Content-Type: application/json")
	r.ContentLength = testMax + 1
	r.Body = io.NopCloser(failingReader{t})
	_, err := Read(r, testMax)
	wantErr(t, err, 413, TypeTooLarge, "request body exceeds")
}

type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Fatal("body was read although Content-Length is over the bound")
	return 0, io.EOF
}

type brokenReader struct{}

func (brokenReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestReadBodyError(t *testing.T) {
	r := req("POST", "/i/_search", nil, "Content-Type: application/json")
	r.Body, r.ContentLength = io.NopCloser(brokenReader{}), -1
	_, err := Read(r, testMax)
	wantErr(t, err, 400, TypeParseException, "failed to read the request body")

	r = req("POST", "/i/_search", nil, "Content-Type: application/json")
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(query)), 5)
	r.ContentLength = -1
	_, err = Read(r, testMax)
	wantErr(t, err, 413, TypeTooLarge, "request body exceeds")
}

func TestReadChunkedAndPadding(t *testing.T) {
	// PARSE-013: chunked framing leaves ContentLength at -1.
	r := req("POST", "/i/_search", []byte(query), "Content-Type: application/json")
	r.ContentLength = -1
	b, err := Read(r, testMax)
	if err != nil || string(b.Raw) != query {
		t.Fatalf("chunked: %q, %v", b.Raw, err)
	}
	// PARSE-029: 1.5 MB of whitespace is parsed to the end, not partially.
	padded := "{" + strings.Repeat(" ", 1_500_000) + `"size":50,"query":{"match_all":{}}}`
	b, err = Read(req("POST", "/i/_search", []byte(padded), "Content-Type: application/json"), 2<<20)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := ParseObject(b.Raw)
	if err != nil || !doc.Has("query") {
		t.Fatalf("padded body: %v", err)
	}
	_, err = Read(req("POST", "/i/_search", []byte(padded), "Content-Type: application/json"), testMax)
	wantErr(t, err, 413, TypeTooLarge, "exceeds")
}

// deflateBomb returns a raw deflate stream of n MiB of zeros without ever
// holding them: one sync-flushed 1 MiB block, repeated, then an empty final
// stored block.
func deflateBomb(t testing.TB, mib int) []byte {
	t.Helper()
	var blk bytes.Buffer
	w, _ := flate.NewWriter(&blk, flate.BestCompression)
	w.Write(make([]byte, 1<<20))
	w.Flush()
	var out bytes.Buffer
	for range mib {
		out.Write(blk.Bytes())
	}
	out.Write([]byte{0x01, 0x00, 0x00, 0xFF, 0xFF})
	return out.Bytes()
}

func gzipBomb(t testing.TB, mib int) []byte {
	// Header, deflate data, and a trailer whose CRC is never reached.
	b := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	b = append(b, deflateBomb(t, mib)...)
	return append(b, 0, 0, 0, 0, 0, 0, 0, 0)
}

func TestReadZipBomb(t *testing.T) {
	tests := []struct {
		name  string
		body  []byte
		enc   string
		limit int64
	}{
		{"gzip 1 GiB", gzipBomb(t, 1024), "gzip", 4 << 20},
		{"raw deflate 1 GiB", deflateBomb(t, 1024), "deflate", 4 << 20},
		{"small gzip, small limit", gzipBomb(t, 1), "gzip", 64 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req("POST", "/_bulk", tt.body, "Content-Type: application/x-ndjson", "Content-Encoding: "+tt.enc)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Read(r, tt.limit)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			wantErr(t, err, 413, TypeTooLarge, "decompressed request body exceeds")
			// The compressed body is read once (len(body)), the output
			// buffer grows to limit+1 by doubling (< 4*limit in total),
			// plus the decompressor's fixed state; the bound leaves room
			// for the race detector's extra allocations and is still a
			// tiny fraction of the 1 GiB the bomb expands to.
			alloc := after.TotalAlloc - before.TotalAlloc
			bound := uint64(4*len(tt.body)) + uint64(8*tt.limit) + 4<<20
			t.Logf("compressed %d bytes, limit %d, allocated %d bytes (bound %d), %v", len(tt.body), tt.limit, alloc, bound, elapsed)
			if alloc > bound {
				t.Fatalf("allocated %d bytes, bound %d", alloc, bound)
			}
		})
	}
}

func TestApply(t *testing.T) {
	t.Run("decoded body replaces the compressed one", func(t *testing.T) {
		in := req("POST", "/i/_search", gzipped(t, query), "Content-Type: application/json", "Content-Encoding: gzip")
		b, err := Read(in, testMax)
		if err != nil {
			t.Fatal(err)
		}
		out := httptest.NewRequest("POST", "http://cluster/i/_search", nil)
		out.Header.Set("Content-Encoding", "gzip")
		out.Header.Set("Transfer-Encoding", "chunked")
		out.TransferEncoding = []string{"chunked"}
		b.Apply(out)
		got, _ := io.ReadAll(out.Body)
		if string(got) != query || out.ContentLength != int64(len(query)) || out.Header.Get("Content-Length") != "36" ||
			out.Header.Get("Content-Encoding") != "" || out.Header.Get("Transfer-Encoding") != "" || out.TransferEncoding != nil ||
			out.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("Apply: body %q, len %d, headers %v", got, out.ContentLength, out.Header)
		}
		again, _ := out.GetBody()
		if got, _ := io.ReadAll(again); string(got) != query {
			t.Fatalf("GetBody = %q", got)
		}
	})
	t.Run("source parameter becomes the content", func(t *testing.T) {
		target := "/i/_search?pretty&source=%7B%7D;source_content_type=application%2Fvnd.elasticsearch%2Bjson%3Bcompatible-with%3D8&q=x"
		b, err := Read(req("GET", target, nil), testMax)
		if err != nil {
			t.Fatal(err)
		}
		out := httptest.NewRequest("GET", "http://cluster"+target, nil)
		b.Apply(out)
		got, _ := io.ReadAll(out.Body)
		if string(got) != "{}" || out.URL.RawQuery != "pretty&q=x" || out.Header.Get("Content-Type") != "application/vnd.elasticsearch+json;compatible-with=8" {
			t.Fatalf("Apply: body %q, query %q, type %q", got, out.URL.RawQuery, out.Header.Get("Content-Type"))
		}
	})
	t.Run("rewritten body", func(t *testing.T) {
		b := &Body{Raw: []byte(`{"size":1}`), ContentType: "application/json", MediaType: MediaJSON}
		out := httptest.NewRequest("POST", "http://cluster/i/_search", strings.NewReader("old body"))
		b.Apply(out)
		if got, _ := io.ReadAll(out.Body); string(got) != `{"size":1}` || out.ContentLength != 10 {
			t.Fatalf("Apply: %q %d", got, out.ContentLength)
		}
	})
	t.Run("no body", func(t *testing.T) {
		out := httptest.NewRequest("POST", "http://cluster/i/_search", strings.NewReader("old body"))
		(&Body{}).Apply(out)
		if out.Body != http.NoBody || out.ContentLength != 0 {
			t.Fatalf("Apply without body: %v %d", out.Body, out.ContentLength)
		}
	})
}
