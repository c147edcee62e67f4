package cursor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// recorder is a ReplaceFunc that hands out numbered tokens and remembers
// what it replaced.
type recorder struct {
	calls  []string
	tokens map[string]string // token -> original id
}

func (r *recorder) replace(kind Kind, id string) (string, error) {
	if r.tokens == nil {
		r.tokens = map[string]string{}
	}
	r.calls = append(r.calls, kind.String()+":"+id)
	tok := fmt.Sprintf("TOKEN-%d-%s", len(r.calls), kind)
	r.tokens[tok] = id
	return tok, nil
}

// restore puts the original ids back in place of the tokens.
func (r *recorder) restore(out string) string {
	for tok, id := range r.tokens {
		quoted, _ := jsontext.AppendQuote(nil, id)
		out = strings.Replace(out, `"`+tok+`"`, string(quoted), 1)
	}
	return out
}

func TestRewriteIDsOnRealResponses(t *testing.T) {
	const (
		scrollA = "FGluY2x1ZGVfY29udGV4dF91dWlkDnF1ZXJ5VGhlbkZldGNoAxYzRURtYVpjMlE1LTdSa1lOOGpUMHBnAAAAAAAAAAMWRUs1MFNGbVZUUmVPcmhobXJOb0RPQRYzRURtYVpjMlE1LTdSa1lOOGpUMHBnAAAAAAAAAAEWRUs1MFNGbVZUUmVPcmhobXJOb0RPQRYzRURtYVpjMlE1LTdSa1lOOGpUMHBnAAAAAAAAAAIWRUs1MFNGbVZUUmVPcmhobXJOb0RPQQ=="
		pitA    = "69qFQQIFY3VyLWEWYXhTREUwZ2ZUZnUyRTV5c0xRT3JKQQAWRUs1MFNGbVZUUmVPcmhobXJOb0RPQQAAAAAAAAAABBYzRURtYVpjMlE1LTdSa1lOOGpUMHBnBWN1ci1hFmF4U0RFMGdmVGZ1MkU1eXNMUU9ySkEBFkVLNTBTRm1WVFJlT3JoaG1yTm9ET0EAAAAAAAAAAAUWM0VEbWFaYzJRNS03UmtZTjhqVDBwZwEWYXhTREUwZ2ZUZnUyRTV5c0xRT3JKQQAA"
		esPIT   = "46ToAwMDaWR5BXV1aWQyKwZub2RlXzMAAAAAAAAAACoBYwADaWR4BXV1aWQxAgZub2RlXzEAAAAAAAAAAAEBYQADaWR5BXV1aWQyKgZub2RlXzIAAAAAAAAAAAwBYgACBXV1aWQyAAAFdXVpZDEAAQltYXRjaF9hbGw_gAAAAA=="
		esAsync = "FmRldE8zREhaUnFxc1JfU2pjRU5sU2cbS0JQWGV0blRTV0c3eS03SnNJa3BYQTozMjU2"
	)
	tests := []struct {
		fixture   string
		fields    []Field
		wantCalls []string
	}{
		{"opensearch_scroll_first.json", SearchFields(), []string{"scroll:" + scrollA}},
		{"opensearch_scroll_next.json", SearchFields(), []string{"scroll:" + scrollA}},
		{"opensearch_scroll_pretty.json", SearchFields(), []string{"scroll:FGluY2x1ZGVfY29udGV4dF91dWlkDXF1ZXJ5QW5kRmV0Y2gBFjNFRG1hWmMyUTUtN1JrWU44alQwcGcAAAAAAAAADhZFSzUwU0ZtVlRSZU9yaGhtck5vRE9B"}},
		{"opensearch_search_pit.json", SearchFields(), []string{"pit:" + pitA}},
		{"opensearch_create_pit.json", CreatePITFields(), []string{"pit:" + pitA}},
		{"opensearch_msearch_pit.json", MsearchFields(), []string{"pit:69qFQQIFY3VyLWEWYXhTREUwZ2ZUZnUyRTV5c0xRT3JKQQAWRUs1MFNGbVZUUmVPcmhobXJOb0RPQQAAAAAAAAAADxYzRURtYVpjMlE1LTdSa1lOOGpUMHBnBWN1ci1hFmF4U0RFMGdmVGZ1MkU1eXNMUU9ySkEBFkVLNTBTRm1WVFJlT3JoaG1yTm9ET0EAAAAAAAAAABAWM0VEbWFaYzJRNS03UmtZTjhqVDBwZwEWYXhTREUwZ2ZUZnUyRTV5c0xRT3JKQQAA"}},
		{"opensearch_delete_all_pits_two.json", DeletePITFields(), []string{
			"pit:69qFQQIFY3VyLWEWYXhTREUwZ2ZUZnUyRTV5c0xRT3JKQQAWRUs1MFNGbVZUUmVPcmhobXJOb0RPQQAAAAAAAAAAERYzRURtYVpjMlE1LTdSa1lOOGpUMHBnBWN1ci1hFmF4U0RFMGdmVGZ1MkU1eXNMUU9ySkEBFkVLNTBTRm1WVFJlT3JoaG1yTm9ET0EAAAAAAAAAABIWM0VEbWFaYzJRNS03UmtZTjhqVDBwZwEWYXhTREUwZ2ZUZnUyRTV5c0xRT3JKQQAA",
			"pit:69qFQQEFY3VyLWIWcHRGNnpCSHlTQTJLVnEzTHZvR0Z2dwAWRUs1MFNGbVZUUmVPcmhobXJOb0RPQQAAAAAAAAAAExYzRURtYVpjMlE1LTdSa1lOOGpUMHBnARZwdEY2ekJIeVNBMktWcTNMdm9HRnZ3AAA="}},
		{"opensearch_delete_all_pits.json", DeletePITFields(), []string{"pit:69qFQQEFY3VyLWIWcHRGNnpCSHlTQTJLVnEzTHZvR0Z2dwAWRUs1MFNGbVZUUmVPcmhobXJOb0RPQQAAAAAAAAAABhYzRURtYVpjMlE1LTdSa1lOOGpUMHBnARZwdEY2ekJIeVNBMktWcTNMdm9HRnZ3AAA="}},
		{"opensearch_clear_scroll.json", SearchFields(), nil},
		// The 404 of a scroll whose context is gone names no id.
		{"opensearch_scroll_missing.json", SearchFields(), nil},
		{"elasticsearch_open_pit.json", OpenPITFields(), []string{"pit:" + esPIT}},
		{"elasticsearch_async_search.json", AsyncSearchFields(), []string{"async:" + esAsync, "pit:" + esPIT}},
		{"elasticsearch_sql.json", SQLFields(), []string{
			"async:FnR0TDhyWUVmUmVtWXRWZER4MXZiNFEad2F5UDk2ZVdTVHV1S0xDUy00SklUdzozMTU=",
			"sql_cursor:sDXF1ZXJ5QW5kRmV0Y2gBAAAAAAAAAAEWWWdrRlVfSS1TbDYtcW9lc1FJNmlYdw==:BAFmBmF1dGhvcgFmBG5hbWUBZgpwYWdlX2NvdW50AWYMcmVsZWFzZV9kYXRl+v///w8="}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			in := fixture(t, tt.fixture)
			var rec recorder
			var out bytes.Buffer
			if err := RewriteIDs(&out, bytes.NewReader(in), tt.fields, rec.replace); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rec.calls, tt.wantCalls) {
				t.Fatalf("replaced %q, want %q", rec.calls, tt.wantCalls)
			}
			for _, call := range rec.calls {
				if id := call[strings.IndexByte(call, ':')+1:]; strings.Contains(out.String(), id) {
					t.Errorf("output still holds cluster id %.20s…", id)
				}
			}
			if got := rec.restore(out.String()); got != string(in) {
				t.Errorf("output differs from the input beyond the ids:\n got %s\nwant %s", got, in)
			}
		})
	}
}

func TestRewriteIDsShapes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		fields  []Field
		want    string
		wantErr bool
	}{
		{name: "escaped id is unescaped for the callback", in: `{"_scroll_id":"a\u002fb\"c"}`, fields: SearchFields(),
			want: `{"_scroll_id":"TOKEN-1-scroll"}`},
		{name: "white space kept", in: "\n {\t\"pit_id\" :  \"p\" ,\"x\":[ 1 , 2 ] }\n\n", fields: SearchFields(),
			want: "\n {\t\"pit_id\" :  \"TOKEN-1-pit\" ,\"x\":[ 1 , 2 ] }\n\n"},
		{name: "duplicate members both replaced", in: `{"id":"a","id":"b"}`, fields: AsyncFields(),
			want: `{"id":"TOKEN-1-async","id":"TOKEN-2-async"}`},
		{name: "nested names are not top-level", in: `{"hits":{"_scroll_id":"n","hits":[{"_scroll_id":"m"}]},"_scroll_id":"s"}`, fields: SearchFields(),
			want: `{"hits":{"_scroll_id":"n","hits":[{"_scroll_id":"m"}]},"_scroll_id":"TOKEN-1-scroll"}`},
		{name: "parent of another shape left alone", in: `{"response":null,"id":"a","pits":{"pit_id":"x"}}`,
			fields: append(AsyncSearchFields(), DeletePITFields()...), want: `{"response":null,"id":"TOKEN-1-async","pits":{"pit_id":"x"}}`},
		{name: "array element of another shape", in: `{"responses":[1,null,{"pit_id":"p"},[{"pit_id":"q"}]]}`, fields: MsearchFields(),
			want: `{"responses":[1,null,{"pit_id":"TOKEN-1-pit"},[{"pit_id":"q"}]]}`},
		{name: "array of ids", in: `{"ids":["a","b"],"n":1}`, fields: []Field{{Path: "ids[]", Kind: KindPIT}},
			want: `{"ids":["TOKEN-1-pit","TOKEN-2-pit"],"n":1}`},
		{name: "empty cursor is no id", in: `{"rows":[],"cursor":""}`, fields: SQLFields(), want: `{"rows":[],"cursor":""}`},
		{name: "top-level array copied", in: `[{"_scroll_id":"s"}]`, fields: SearchFields(), want: `[{"_scroll_id":"s"}]`},
		{name: "top-level scalar copied", in: ` "x" `, fields: SearchFields(), want: ` "x" `},
		{name: "no fields", in: `{"_scroll_id":"s"}`, want: `{"_scroll_id":"s"}`},
		{name: "number id refused", in: `{"_scroll_id":5}`, fields: SearchFields(), wantErr: true},
		{name: "null id refused", in: `{"pit_id":null}`, fields: SearchFields(), wantErr: true},
		{name: "object id refused", in: `{"id":{"a":"b"}}`, fields: AsyncFields(), wantErr: true},
		{name: "empty input", in: ``, fields: SearchFields(), wantErr: true},
		{name: "truncated", in: `{"_scroll_id":"s","hits":{"hits":[`, fields: SearchFields(), wantErr: true},
		{name: "truncated in the id", in: `{"_scroll_id":"s`, fields: SearchFields(), wantErr: true},
		{name: "second value", in: `{"_scroll_id":"s"} {}`, fields: SearchFields(), wantErr: true},
		{name: "invalid JSON", in: `{"_scroll_id":'s'}`, fields: SearchFields(), wantErr: true},
		{name: "invalid UTF-8", in: "{\"a\":\"\xff\"}", fields: SearchFields(), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			var out bytes.Buffer
			err := RewriteIDs(&out, strings.NewReader(tt.in), tt.fields, rec.replace)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("no error; output %s", out.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("output %q, want %q", out.String(), tt.want)
			}
		})
	}
}

func TestRewriteIDsStopsOnReplaceError(t *testing.T) {
	in := `{"took":1,"_scroll_id":"SECRET-UPSTREAM-ID","hits":{}}`
	var out bytes.Buffer
	refuse := func(Kind, string) (string, error) { return "", errors.New("registry full") }
	err := RewriteIDs(&out, strings.NewReader(in), SearchFields(), refuse)
	if err == nil || !strings.Contains(err.Error(), "registry full") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(out.String(), "SECRET") {
		t.Fatalf("the cluster id reached the output: %s", out.String())
	}
}

func TestCompileFieldsRefusesBadPaths(t *testing.T) {
	tests := [][]Field{
		{{Path: "", Kind: KindScroll}},
		{{Path: "a..b", Kind: KindScroll}},
		{{Path: "[]", Kind: KindScroll}},
		{{Path: "a", Kind: 0}},
		{{Path: "a", Kind: KindScroll}, {Path: "a.b", Kind: KindPIT}},
		{{Path: "a.b", Kind: KindScroll}, {Path: "a", Kind: KindPIT}},
		{{Path: "a[].b", Kind: KindScroll}, {Path: "a.b", Kind: KindScroll}},
		{{Path: "a", Kind: KindScroll}, {Path: "a", Kind: KindPIT}},
	}
	for _, fields := range tests {
		if err := RewriteIDs(io.Discard, strings.NewReader(`{}`), fields, (&recorder{}).replace); err == nil {
			t.Errorf("fields %v accepted", fields)
		}
	}
}

// bigResponse streams a search response of about size bytes: a scroll id,
// many hits, then a point-in-time id at the end.
func bigResponse(size int) io.Reader {
	hit := `{"_index":"logs","_id":"%d","_score":1.0,"_source":{"message":"` + strings.Repeat("lorem ipsum ", 40) + `","_scroll_id":"inner","n":%d}}`
	n := size / (len(hit) + 8)
	parts := []io.Reader{strings.NewReader(`{"_scroll_id":"SCROLL-UPSTREAM","took":5,"hits":{"total":{"value":1,"relation":"eq"},"hits":[`)}
	parts = append(parts, &hitStream{parts: strings.SplitN(hit, "%d", 3), n: n})
	parts = append(parts, strings.NewReader(`]},"pit_id":"PIT-UPSTREAM"}`))
	return io.MultiReader(parts...)
}

// hitStream generates n comma-separated hits without holding them, in
// one reused buffer, so that it allocates (almost) nothing itself.
type hitStream struct {
	parts    []string // the hit around its two numbers
	n, i     int
	buf      []byte
	consumed int
}

func (h *hitStream) Read(p []byte) (int, error) {
	for h.consumed == len(h.buf) {
		if h.i == h.n {
			return 0, io.EOF
		}
		h.buf, h.consumed = h.buf[:0], 0
		if h.i > 0 {
			h.buf = append(h.buf, ',')
		}
		// strconv, not fmt: boxing the numbers would allocate per hit.
		h.buf = append(h.buf, h.parts[0]...)
		h.buf = strconv.AppendInt(h.buf, int64(h.i), 10)
		h.buf = append(h.buf, h.parts[1]...)
		h.buf = strconv.AppendInt(h.buf, int64(h.i), 10)
		h.buf = append(h.buf, h.parts[2]...)
		h.i++
	}
	n := copy(p, h.buf[h.consumed:])
	h.consumed += n
	return n, nil
}

// tailWriter counts what is written and keeps the last bytes.
type tailWriter struct {
	n    int64
	tail []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	w.tail = append(w.tail, p...)
	if len(w.tail) > 256 {
		w.tail = append(w.tail[:0], w.tail[len(w.tail)-256:]...)
	}
	return len(p), nil
}

func TestRewriteIDsMemoryIsBounded(t *testing.T) {
	// The allocation does not depend on the size (measured: 162 KB for
	// 10 MB to 200 MB), so a smaller response proves the bound as well
	// where time is short.
	size := 100 << 20
	if testing.Short() || raceEnabled {
		size = 8 << 20
	}
	var rec recorder
	w := &tailWriter{}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := RewriteIDs(w, bigResponse(size), SearchFields(), rec.replace); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if !slices.Equal(rec.calls, []string{"scroll:SCROLL-UPSTREAM", "pit:PIT-UPSTREAM"}) {
		t.Fatalf("replaced %v", rec.calls)
	}
	if !bytes.HasSuffix(w.tail, []byte(`]},"pit_id":"TOKEN-2-pit"}`)) {
		t.Fatalf("output ends with %s", w.tail)
	}
	if w.n < int64(size)*9/10 {
		t.Fatalf("wrote %d bytes of a %d byte response", w.n, size)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d MB response: %d KB allocated", size>>20, allocated>>10)
	if allocated > 1<<20 {
		t.Fatalf("allocated %d bytes for a %d byte response: memory is not bounded", allocated, size)
	}
}

func BenchmarkRewriteIDs(b *testing.B) {
	const size = 10 << 20
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, bigResponse(size)); err != nil {
		b.Fatal(err)
	}
	in := buf.Bytes()
	replace := func(k Kind, id string) (string, error) { return "T", nil }
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := RewriteIDs(io.Discard, bytes.NewReader(in), SearchFields(), replace); err != nil {
			b.Fatal(err)
		}
	}
}
