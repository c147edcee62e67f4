package esbody

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// wantErr checks that err is an *Error with the given status and type and a
// reason containing substr.
func wantErr(t *testing.T, err error, status int, typ, substr string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error %d %s", err, err, status, typ)
	}
	if e.Status != status || e.Type != typ || !strings.Contains(e.Reason, substr) {
		t.Fatalf("error = %d %s %q, want %d %s containing %q", e.Status, e.Type, e.Reason, status, typ, substr)
	}
	if es := e.ESError(); es.Status != status || es.Type != typ || es.Reason != e.Reason {
		t.Fatalf("ESError() = %+v, does not match %+v", es, e)
	}
	return e
}

func TestParseJSONAccepts(t *testing.T) {
	tests := []struct {
		name, in, want string // want is the compact re-encoding
	}{
		{"object", `{"query":{"match_all":{}},"size":50}`, `{"query":{"match_all":{}},"size":50}`},
		{"whitespace", " \t\r\n{ \"a\" : [ 1 , 2 ] }\n", `{"a":[1,2]}`},
		{"number text kept", `[1.0,1e2,-0,12345678901234567890123,1.5E-7]`, `[1.0,1e2,-0,12345678901234567890123,1.5E-7]`},
		{"escaped names decoded", `{"user\u005fssn":1}`, `{"user_ssn":1}`},
		{"surrogate pair", `"\ud83d\ude00"`, `"😀"`},
		{"scalars", `[null,true,false,"x"]`, `[null,true,false,"x"]`},
		{"top-level scalar", `"abc"`, `"abc"`},
		{"member order kept", `{"b":1,"a":2,"c":3}`, `{"b":1,"a":2,"c":3}`},
		{"same name in different objects", `{"a":{"a":1},"b":{"a":2}}`, `{"a":{"a":1},"b":{"a":2}}`},
		{"escapes canonicalised", `"\/\u0041\t"`, `"/A\t"`},
		{"nul escaped", `"\u0000"`, `"\u0000"`},
		{"max depth", strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)},
		{"max number", "1" + strings.Repeat("0", MaxNumberLength-1), "1" + strings.Repeat("0", MaxNumberLength-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseJSON([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseJSON(%q) error: %v", tt.in, err)
			}
			got, err := Encode(v)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("Encode = %s, want %s", got, tt.want)
			}
			again, err := ParseJSON(got)
			if err != nil || !Equal(v, again) {
				t.Fatalf("re-parse of %s: %v, equal=%v", got, err, Equal(v, again))
			}
		})
	}
}

func TestParseJSONRefuses(t *testing.T) {
	tests := []struct {
		name, in, reason string
		offset           int64
		pointer          string
	}{
		{"duplicate key", `{"size":0,"query":{},"query":{}}`, "[1:22] Duplicate field 'query'", 21, "/query"},
		{"nested duplicate", `{"q":{"x":1,"y":2,"x":3}}`, "Duplicate field 'x'", 18, "/q/x"},
		{"escaped duplicate", `{"ab":1,"a\u0062":2}`, "Duplicate field 'ab'", 8, "/ab"},
		{"line comment", "{\"size\":0, // hidden\n\"aggs\":{}}", "invalid character '/'", 11, ""},
		{"block comment", `{"size":0 /* x */}`, "invalid character '/'", 10, ""},
		{"hash comment", "# x\n{}", "invalid character '#'", 0, ""},
		{"single quotes", `{'a':1}`, "invalid character '\\''", 1, ""},
		{"unquoted name", `{a:1}`, "invalid character 'a'", 1, ""},
		{"NaN", `{"a":NaN}`, "invalid character 'N'", 5, ""},
		{"Infinity", `[-Infinity]`, "invalid character 'I'", 2, ""},
		{"leading zero", `{"a":01}`, "", 6, ""},
		{"plus sign", `[+1]`, "invalid character '+'", 1, ""},
		{"trailing comma object", `{"a":1,}`, "invalid character ','", 6, ""},
		{"trailing comma array", `[1,]`, "invalid character ','", 2, ""},
		{"control char in string", "{\"a\":\"x\x01\"}", "invalid character '\\x01' in string", 7, ""},
		{"raw newline in string", "{\"a\":\"x\ny\"}", "in string", 7, ""},
		{"invalid utf8", "{\"a\":\"\xff\"}", "invalid UTF-8", 6, ""},
		{"lone high surrogate", `{"a":"\ud800"}`, "surrogate", 6, ""},
		{"lone low surrogate", `["\udc00x"]`, "surrogate", 2, ""},
		{"bad escape", `["\q"]`, "escape", 2, ""},
		{"trailing value", `{"query":{}} {"size":50}`, "unexpected content after the end of the JSON value", 13, ""},
		{"trailing garbage", `{}x`, "unexpected content after the end of the JSON value", 2, ""},
		{"utf8 bom", "\xEF\xBB\xBF{}", "invalid character", 0, ""},
		{"empty", ``, "the body contains no JSON value", 0, ""},
		{"only whitespace", " \n ", "[2:2] the body contains no JSON value", 3, ""},
		{"truncated", `{"a":[1,2`, "Unexpected end-of-input", 9, ""},
		{"too deep", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), "nesting deeper than 1000 levels", MaxDepth + 1, ""},
		{"too deep objects", strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1), "nesting deeper than 1000 levels", 5*MaxDepth + 1, ""},
		{"huge number", "[1" + strings.Repeat("0", MaxNumberLength) + "]", "number literal longer than 1000", MaxNumberLength + 2, ""},
		{"huge name", `{"` + strings.Repeat("n", MaxNameLength+1) + `":1}`, "member name longer than", MaxNameLength + 4, ""},
		{"second line position", "{\n  \"a\": 1,\n  \"a\": 2\n}", "[3:3] Duplicate field 'a'", 14, "/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseJSON([]byte(tt.in))
			e := wantErr(t, err, 400, TypeParse, tt.reason)
			if e.Offset != tt.offset {
				t.Errorf("Offset = %d, want %d (reason %q)", e.Offset, tt.offset, e.Reason)
			}
			if tt.pointer != "" && e.Pointer != tt.pointer {
				t.Errorf("Pointer = %q, want %q", e.Pointer, tt.pointer)
			}
			if !strings.Contains(e.Reason, "byte offset") {
				t.Errorf("reason %q does not say where", e.Reason)
			}
		})
	}
}

func TestParseObject(t *testing.T) {
	if o, err := ParseObject([]byte(`{"a":1}`)); err != nil || o.Len() != 1 {
		t.Fatalf("ParseObject = %v, %v", o, err)
	}
	for _, in := range []string{`[]`, `"x"`, `1`, `null`} {
		_, err := ParseObject([]byte(in))
		wantErr(t, err, 400, TypeParse, "expected a JSON object")
	}
}

func TestErrorInterface(t *testing.T) {
	_, err := ParseJSON([]byte(`{"a":1,"a":2}`))
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "400 x_content_parse_exception: [1:8] Duplicate field 'a'") {
		t.Fatalf("Error() = %q", err)
	}
	if e.Unwrap() == nil {
		t.Fatal("Unwrap lost the jsontext error")
	}
}

// TestMaxValues: a body of more than MaxValues JSON values is refused
// before it is built (20 MB of "0," took 790 MB of the proxy, from a user
// without any privilege); the bound is per document, and over all the
// lines of an _msearch or in-memory _bulk, but not over a streamed _bulk,
// whose items are not kept.
func TestMaxValues(t *testing.T) {
	zeros := func(n int) string { return strings.TrimSuffix(strings.Repeat("0,", n), ",") }
	if _, err := ParseJSON([]byte("[" + zeros(MaxValues) + "]")); err == nil || !strings.Contains(err.Error(), "JSON values in one body") {
		t.Errorf("%d values: %v", MaxValues+1, err)
	}
	if _, err := ParseJSON([]byte("[" + zeros(MaxValues-1) + "]")); err != nil {
		t.Errorf("%d values: %v", MaxValues, err)
	}
	half := `{"query":{"terms":{"x":[` + zeros(MaxValues/2) + `]}}}` + "\n"
	if _, err := ParseMsearch([]byte("{}\n" + half + "{}\n" + half)); err == nil || !strings.Contains(err.Error(), "JSON values in one body") {
		t.Errorf("_msearch of two halves: %v", err)
	}
	if _, err := ParseBulk([]byte(`{"index":{}}` + "\n" + half + `{"index":{}}` + "\n" + half)); err == nil {
		t.Error("in-memory _bulk of two halves accepted")
	}
	req := httptest.NewRequest(http.MethodPost, "/_bulk", strings.NewReader(`{"index":{}}`+"\n"+half+`{"index":{}}`+"\n"+half))
	req.Header.Set("Content-Type", "application/x-ndjson")
	s, err := OpenBulkStream(req, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err = s.Next(); err != nil {
			break
		}
	}
	if err != io.EOF {
		t.Errorf("streamed _bulk of two halves: %v", err)
	}
}
