package esbody

import (
	"bytes"
	"compress/flate"
	"io"
	"net/http"
	"reflect"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		raw  string
		want map[string][]string
		err  string
	}{
		{"a=1&b=2", map[string][]string{"a": {"1"}, "b": {"2"}}, ""},
		{"a=1;b=2", map[string][]string{"a": {"1"}, "b": {"2"}}, ""},
		{"a=1=2", map[string][]string{"a": {"1=2"}}, ""},
		{"flag&&x=", map[string][]string{"flag": {""}, "x": {""}}, ""},
		{"=x", map[string][]string{"x": {""}}, ""},
		{"==x", map[string][]string{"x": {""}}, ""},
		{"=", map[string][]string{}, ""},
		{"a=%%", map[string][]string{"a": {"%"}}, ""},
		{"a+b=c+d%2B", map[string][]string{"a b": {"c d+"}}, ""},
		{"sour%63e=1", map[string][]string{"source": {"1"}}, ""},
		{"a=1#b=2", map[string][]string{"a": {"1"}}, ""},
		{"a=1&a=2", map[string][]string{"a": {"1", "2"}}, ""},
		{"a=%", nil, "unterminated escape sequence"},
		{"a=%4", nil, "partial escape sequence"},
		{"a=%4g", nil, "invalid escape sequence"},
		{"a=%C3%28", nil, "not valid UTF-8"},
	}
	for _, tt := range tests {
		got, err := ParseQuery(tt.raw)
		if tt.err != "" {
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.err)) {
				t.Errorf("ParseQuery(%q) error = %v, want %q", tt.raw, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(map[string][]string(got), tt.want) {
			t.Errorf("ParseQuery(%q) = %v, %v; want %v", tt.raw, got, err, tt.want)
		}
	}
}

func TestStripSourceParams(t *testing.T) {
	tests := []struct{ in, want string }{
		{"source=x&source_content_type=application/json", ""},
		{"a=1&source=x;b=%20&source_content_type=y", "a=1&b=%20"},
		{"sour%63e=x&q=1", "q=1"},
		{"=source&q=1", "q=1"},
		{"q=1#source=x", "q=1#source=x"},
		{"pretty", "pretty"},
	}
	for _, tt := range tests {
		if got := stripSourceParams(tt.in); got != tt.want {
			t.Errorf("stripSourceParams(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFindSourceParamUsesRequestURI(t *testing.T) {
	// A '#' in the path hides the whole query from the cluster.
	r := req("GET", "/i/_search", nil)
	r.RequestURI = "/i#x/_search?source=%7B%7D&source_content_type=application/json"
	sp, err := findSourceParam(r)
	if err != nil || sp.present {
		t.Fatalf("findSourceParam = %+v, %v", sp, err)
	}
	// Client-side requests have no RequestURI: the URL is used.
	r, _ = http.NewRequest("GET", "http://x/i/_search?source=%7B%7D&source_content_type=application/json", nil)
	sp, err = findSourceParam(r)
	if err != nil || !sp.present || string(sp.body) != "{}" {
		t.Fatalf("findSourceParam = %+v, %v", sp, err)
	}
}

func TestLooksLikeZlib(t *testing.T) {
	tests := []struct {
		b0, b1 byte
		want   bool
	}{
		{0x78, 0x9c, true},  // default zlib header
		{0x78, 0x01, true},  // fastest
		{0x78, 0xda, true},  // best
		{0x58, 0x85, false}, // valid zlib, 8 KiB window: Netty takes it for raw deflate
		{0x08, 0x1d, false}, // valid zlib, 256-byte window
		{0xf8, 0x00, false}, // 0xf800 unsigned is a multiple of 31, Netty's signed short (-2048) is not
		{0xf8, 0x02, true},  // and the reverse: signed -2046 is a multiple of 31, unsigned 0xf802 is not
		{0x4b, 0x2c, false}, // raw deflate of "a..."
	}
	for _, tt := range tests {
		if got := looksLikeZlib(tt.b0, tt.b1); got != tt.want {
			t.Errorf("looksLikeZlib(%#x, %#x) = %v, want %v", tt.b0, tt.b1, got, tt.want)
		}
	}
	// A raw deflate stream whose first bytes happen to look like zlib is
	// decoded as zlib, as Netty does, and fails instead of being guessed.
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.NoCompression)
	w.Write([]byte(`{}`))
	w.Close()
	if _, err := decodeBody(append([]byte{0x78, 0x9c}, b.Bytes()...), codingDeflate, 1<<20); err == nil {
		t.Fatal("garbage after a zlib-looking header was accepted")
	}
}

func TestMediaTypeParsing(t *testing.T) {
	tests := []struct {
		in      string
		essence string
		params  map[string]string
		ok      bool
		err     bool
	}{
		{"application/json", "application/json", map[string]string{}, true, false},
		{"Application/JSON ; Charset=UTF-8", "application/json", map[string]string{"charset": "utf-8"}, true, false},
		{"application/json;;", "application/json", map[string]string{}, true, false},
		{"application/vnd.elasticsearch+json; compatible-with=8", "application/vnd.elasticsearch+json", map[string]string{"compatible-with": "8"}, true, false},
		{"*/*", "", nil, false, false},
		{"application/json,text/plain", "", nil, false, false},
		{"application", "", nil, false, true},
		{"application/json/x", "", nil, false, true},
		{"appli cation/json", "", nil, false, true},
		{"application/json; charset", "", nil, false, true},
		{"application/json; charset= utf-8", "", nil, false, true},
		{"application/json; a=b=c", "", nil, false, true},
	}
	for _, tt := range tests {
		m, ok, err := parseMediaType(tt.in)
		if (err != nil) != tt.err || ok != tt.ok || (ok && (m.essence() != tt.essence || !reflect.DeepEqual(m.params, tt.params))) {
			t.Errorf("parseMediaType(%q) = %+v, %v, %v", tt.in, m, ok, err)
		}
	}
}

func TestDecodeEmptyCompressedBody(t *testing.T) {
	for _, c := range []coding{codingGzip, codingDeflate} {
		out, err := decodeBody(nil, c, 10)
		if err != nil || len(out) != 0 {
			t.Fatalf("decodeBody(empty, %s) = %q, %v", codingName(c), out, err)
		}
	}
}

func TestDeflateBombIsReal(t *testing.T) {
	// The zip bombs of TestReadZipBomb repeat one 1 MiB block; a 64-block
	// bomb decodes completely to 64 MiB, so the 1024-block one is 1 GiB.
	n, err := io.Copy(io.Discard, flate.NewReader(bytes.NewReader(deflateBomb(t, 64))))
	if err != nil || n != 64<<20 {
		t.Fatalf("bomb decodes to %d bytes, %v", n, err)
	}
}
