package filterpath

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// The two documents and the answers below were recorded from OpenSearch
// 2.19 (GET /<index>/_doc/<id>?filter_path=…); the end-to-end test
// TestFilterPathUnderFLSMatchesTheNode compares with a live node.
const (
	doc1 = `{"_index":"fp1","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":1,"c":2},"d":[{"e":1,"f":2},{"f":3},{"e":9,"k":{"e":4}}],"g":{"b":1},"x.y":7,"h":[],"n":[5,6]}}`
	doc3 = `{"_index":"rt9c-fp","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":1,"x":{"b":2,"y":{"b":3}}},"c":{"b":4}}}`
	doc4 = `{"_index":"rt9c-fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":[1,{"b":2,"c":[{"b":3},[{"b":4}]]}],"x.y":{"b":5},"e":{}},"b":[[],[[]],{}],"c":null,"d":{"a":{"b":{"a":{"b":6}}}},"ab":{"b":7},"a.b":8}}`
	doc2 = `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"m":[[{"e":1,"f":1}],[[{"e":3}],{"f":2}]],"o":{"p":{"q":1}},"s":"str","t":null,"u":{},"w":[[1,2],[]]}}`
)

func TestApplyMatchesTheCluster(t *testing.T) {
	tests := []struct{ doc, filter, want string }{
		{doc1, "_source.a.b", `{"_source":{"a":{"b":1}}}`},
		{doc1, "_source.d.e", `{"_source":{"d":[{"e":1},{"e":9}]}}`},
		{doc1, "_source.d.f", `{"_source":{"d":[{"f":2},{"f":3}]}}`},
		{doc1, "-_source.a.b", `{"_index":"fp1","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"c":2},"d":[{"e":1,"f":2},{"f":3},{"e":9,"k":{"e":4}}],"g":{"b":1},"x.y":7,"h":[],"n":[5,6]}}`},
		{doc1, "-_source.g.b", `{"_index":"fp1","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":1,"c":2},"d":[{"e":1,"f":2},{"f":3},{"e":9,"k":{"e":4}}],"x.y":7,"h":[],"n":[5,6]}}`},
		{doc1, "_source.g.x", `{}`},
		{doc1, "_source.h", `{"_source":{"h":[]}}`},
		{doc1, "_source.h.z", `{}`},
		{doc1, "_source.x.y", `{}`},
		{doc1, "_source.x", `{}`},
		{doc1, "_source.x\\.y", `{"_source":{"x.y":7}}`},
		{doc1, "_source.**.e", `{"_source":{"d":[{"e":1},{"e":9,"k":{"e":4}}]}}`},
		{doc1, "**.e", `{"_source":{"d":[{"e":1},{"e":9,"k":{"e":4}}]}}`},
		{doc1, "_source.*.b", `{"_source":{"a":{"b":1},"g":{"b":1}}}`},
		{doc1, "_s*.a", `{"_source":{"a":{"b":1,"c":2}}}`},
		{doc1, "-_source.d.e,_source.d", `{"_source":{"d":[{"f":2},{"f":3},{"k":{"e":4}}]}}`},
		{doc1, "-_source,_source.a", `{}`},
		{doc1, "_source.a.b.c", `{}`},
		{doc1, "nothing", `{}`},
		{doc1, "_source.a,-_source.a.c", `{"_source":{"a":{"b":1}}}`},
		{doc1, "-_source.d.f", `{"_index":"fp1","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":1,"c":2},"d":[{"e":1},{"e":9,"k":{"e":4}}],"g":{"b":1},"x.y":7,"h":[],"n":[5,6]}}`},
		{doc1, "_source.a.*", `{"_source":{"a":{"b":1,"c":2}}}`},
		{doc1, "_source.n", `{"_source":{"n":[5,6]}}`},
		{doc1, "_source.n.x", `{}`},
		{doc1, "-_source.d.k", `{"_index":"fp1","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":1,"c":2},"d":[{"e":1,"f":2},{"f":3},{"e":9}],"g":{"b":1},"x.y":7,"h":[],"n":[5,6]}}`},
		{doc1, "*", `{"_index":"fp1","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":1,"c":2},"d":[{"e":1,"f":2},{"f":3},{"e":9,"k":{"e":4}}],"g":{"b":1},"x.y":7,"h":[],"n":[5,6]}}`},
		{doc1, "**", `{"_index":"fp1","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":1,"c":2},"d":[{"e":1,"f":2},{"f":3},{"e":9,"k":{"e":4}}],"g":{"b":1},"x.y":7,"h":[],"n":[5,6]}}`},
		{doc1, "-**", `{}`},
		{doc1, "-*", `{}`},
		{doc1, "_source.d.k.e", `{"_source":{"d":[{"k":{"e":4}}]}}`},
		{doc1, "-_source.d", `{"_index":"fp1","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":1,"c":2},"g":{"b":1},"x.y":7,"h":[],"n":[5,6]}}`},
		{doc1, "_source..a", `{}`},
		{doc1, "_source", `{"_source":{"a":{"b":1,"c":2},"d":[{"e":1,"f":2},{"f":3},{"e":9,"k":{"e":4}}],"g":{"b":1},"x.y":7,"h":[],"n":[5,6]}}`},
		{doc1, ",", `{"_index":"fp1","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":1,"c":2},"d":[{"e":1,"f":2},{"f":3},{"e":9,"k":{"e":4}}],"g":{"b":1},"x.y":7,"h":[],"n":[5,6]}}`},
		{doc1, "_source.**", `{"_source":{"a":{"b":1,"c":2},"d":[{"e":1,"f":2},{"f":3},{"e":9,"k":{"e":4}}],"g":{"b":1},"x.y":7,"h":[],"n":[5,6]}}`},
		{doc1, "**.b", `{"_source":{"a":{"b":1},"g":{"b":1}}}`},
		{doc1, "-**.e", `{"_index":"fp1","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":1,"c":2},"d":[{"f":2},{"f":3}],"g":{"b":1},"x.y":7,"n":[5,6]}}`},
		{doc1, "_source.a.b*", `{"_source":{"a":{"b":1}}}`},
		{doc1, "_so*ce.a", `{"_source":{"a":{"b":1,"c":2}}}`},
		{doc1, "_source.a,,_source.g", `{"_source":{"a":{"b":1,"c":2},"g":{"b":1}}}`},
		{doc1, " _source.n , found ", `{"found":true,"_source":{"n":[5,6]}}`},
		{doc1, "found", `{"found":true}`},
		{doc1, "-found,-_*", `{}`},
		{doc2, "_source.m.e", `{"_source":{"m":[[{"e":1}],[[{"e":3}]]]}}`},
		{doc2, "-_source.m.e", `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"m":[[{"f":1}],[{"f":2}]],"o":{"p":{"q":1}},"s":"str","t":null,"u":{},"w":[[1,2],[]]}}`},
		{doc2, "_source.o.p", `{"_source":{"o":{"p":{"q":1}}}}`},
		{doc2, "-_source.o.p.q", `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"m":[[{"e":1,"f":1}],[[{"e":3}],{"f":2}]],"s":"str","t":null,"u":{},"w":[[1,2],[]]}}`},
		{doc2, "_source.u", `{"_source":{"u":{}}}`},
		{doc2, "_source.t", `{"_source":{"t":null}}`},
		{doc2, "-_source.u", `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"m":[[{"e":1,"f":1}],[[{"e":3}],{"f":2}]],"o":{"p":{"q":1}},"s":"str","t":null,"w":[[1,2],[]]}}`},
		{doc2, "-_source.t", `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"m":[[{"e":1,"f":1}],[[{"e":3}],{"f":2}]],"o":{"p":{"q":1}},"s":"str","u":{},"w":[[1,2],[]]}}`},
		{doc2, "_source.u.z", `{}`},
		{doc2, "-_source.o.*", `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"m":[[{"e":1,"f":1}],[[{"e":3}],{"f":2}]],"s":"str","t":null,"u":{},"w":[[1,2],[]]}}`},
		{doc2, "_source.*", `{"_source":{"m":[[{"e":1,"f":1}],[[{"e":3}],{"f":2}]],"o":{"p":{"q":1}},"s":"str","t":null,"u":{},"w":[[1,2],[]]}}`},
		{doc2, "_source.s.z", `{}`},
		{doc2, "_source.S", `{}`},
		{doc2, "_source.o.**", `{"_source":{"o":{"p":{"q":1}}}}`},
		{doc2, "_source.**.q", `{"_source":{"o":{"p":{"q":1}}}}`},
		{doc2, "_source.o.**.q", `{"_source":{"o":{"p":{"q":1}}}}`},
		{doc2, "**.o.**", `{"_source":{"o":{"p":{"q":1}}}}`},
		{doc2, "-_source.m", `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"o":{"p":{"q":1}},"s":"str","t":null,"u":{},"w":[[1,2],[]]}}`},
		{doc2, "_source.w", `{"_source":{"w":[[1,2],[]]}}`},
		{doc2, "_source.w.x", `{}`},
		{doc2, "-_source.w.x", `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"m":[[{"e":1,"f":1}],[[{"e":3}],{"f":2}]],"o":{"p":{"q":1}},"s":"str","t":null,"u":{},"w":[[1,2]]}}`},
		{doc2, "-**.x", `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"m":[[{"e":1,"f":1}],[[{"e":3}],{"f":2}]],"o":{"p":{"q":1}},"s":"str","t":null,"w":[[1,2]]}}`},
		{doc2, "-_source.o.p.*", `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"m":[[{"e":1,"f":1}],[[{"e":3}],{"f":2}]],"s":"str","t":null,"u":{},"w":[[1,2],[]]}}`},
		{doc2, "_source.o.p.q,-_source.o", `{}`},
		{doc2, "_source.m.*", `{"_source":{"m":[[{"e":1,"f":1}],[[{"e":3}],{"f":2}]]}}`},
		{doc2, "-_source.m.*", `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"o":{"p":{"q":1}},"s":"str","t":null,"u":{},"w":[[1,2],[]]}}`},
		{doc2, "_source.m.f,-**.e", `{"_source":{"m":[[{"f":1}],[{"f":2}]]}}`},
		{doc2, "-_source.m.f,-_source.w", `{"_index":"fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"m":[[{"e":1}],[[{"e":3}]]],"o":{"p":{"q":1}},"s":"str","t":null,"u":{}}}`},
		// "**" stands for one or more segments, never none (recorded
		// from OpenSearch 2.19 as the others).
		{doc3, "_source.a.**.**.b", `{"_source":{"a":{"x":{"y":{"b":3}}}}}`},
		{doc3, "_source.a.**.b", `{"_source":{"a":{"x":{"b":2,"y":{"b":3}}}}}`},
		{doc3, "_source.**.**.b", `{"_source":{"a":{"x":{"b":2,"y":{"b":3}}}}}`},
		{doc3, "_source.**.b", `{"_source":{"a":{"b":1,"x":{"b":2,"y":{"b":3}}},"c":{"b":4}}}`},
		{doc3, "_source.a.**.**", `{"_source":{"a":{"x":{"b":2,"y":{"b":3}}}}}`},
		{doc3, "_source.a.**", `{"_source":{"a":{"b":1,"x":{"b":2,"y":{"b":3}}}}}`},
		{doc3, "_source.**.**", `{"_source":{"a":{"b":1,"x":{"b":2,"y":{"b":3}}},"c":{"b":4}}}`},
		{doc3, "_source.**.**.**", `{"_source":{"a":{"x":{"b":2,"y":{"b":3}}}}}`},
		{doc3, "**.**.**", `{"_source":{"a":{"b":1,"x":{"b":2,"y":{"b":3}}},"c":{"b":4}}}`},
		{doc3, "-_source.a.**.**.b", `{"_index":"rt9c-fp","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":1,"x":{"b":2}},"c":{"b":4}}}`},
		{doc3, "-_source.**.**", `{"_index":"rt9c-fp","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true}`},
		{doc3, "-**.**", `{"_index":"rt9c-fp","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true}`},
		{doc3, "_source.a.**.x.**.b", `{}`},
		{doc3, "_source.a.**.**.x.**.**.b", `{}`},
		{doc3, "_source.**.x.**", `{"_source":{"a":{"x":{"b":2,"y":{"b":3}}}}}`},
		{doc3, "_source.**.y", `{"_source":{"a":{"x":{"y":{"b":3}}}}}`},
		{doc3, "_source.**.**.y", `{"_source":{"a":{"x":{"y":{"b":3}}}}}`},
		{doc3, "_source.a.x.**", `{"_source":{"a":{"x":{"b":2,"y":{"b":3}}}}}`},
		{doc3, "_source.a.*.**", `{"_source":{"a":{"x":{"b":2,"y":{"b":3}}}}}`},
		{doc3, "_source.a.**.*", `{"_source":{"a":{"x":{"b":2,"y":{"b":3}}}}}`},
		{doc3, "_source.*.**.b", `{"_source":{"a":{"x":{"b":2,"y":{"b":3}}}}}`},
		{doc3, "_source.a***.b", `{"_source":{"a":{"b":1}}}`},
		{doc3, "_source.a**.b", `{"_source":{"a":{"b":1}}}`},
		{doc3, "_source.**a.b", `{"_source":{"a":{"b":1}}}`},
		{doc3, "_source.**b", `{}`},
		{doc3, "**.**", `{"_source":{"a":{"b":1,"x":{"b":2,"y":{"b":3}}},"c":{"b":4}}}`},
		// Spaces after "-", empty segments, empty containers
		// (recorded from OpenSearch 2.19 as the others).
		{doc4, "- _source.a", `{"_index":"rt9c-fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"b":[[],[[]],{}],"c":null,"d":{"a":{"b":{"a":{"b":6}}}},"ab":{"b":7},"a.b":8}}`},
		{doc4, "_source..a", `{}`},
		{doc4, "_source.b", `{"_source":{"b":[[],[[]],{}]}}`},
		{doc4, "-_source.b", `{"_index":"rt9c-fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":[1,{"b":2,"c":[{"b":3},[{"b":4}]]}],"x.y":{"b":5},"e":{}},"c":null,"d":{"a":{"b":{"a":{"b":6}}}},"ab":{"b":7},"a.b":8}}`},
		{doc4, "_source.b.*", `{}`},
		{doc4, "-_source.c.x", `{"_index":"rt9c-fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":[1,{"b":2,"c":[{"b":3},[{"b":4}]]}],"x.y":{"b":5},"e":{}},"b":[[],[[]],{}],"c":null,"d":{"a":{"b":{"a":{"b":6}}}},"ab":{"b":7},"a.b":8}}`},
		{doc4, "_source.a.e", `{"_source":{"a":{"e":{}}}}`},
		{doc4, "-_source.a.e.x", `{"_index":"rt9c-fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":[1,{"b":2,"c":[{"b":3},[{"b":4}]]}],"x.y":{"b":5}},"b":[[],[[]],{}],"c":null,"d":{"a":{"b":{"a":{"b":6}}}},"ab":{"b":7},"a.b":8}}`},
		{doc4, "_source.a.x\\.y.b", `{"_source":{"a":{"x.y":{"b":5}}}}`},
		{doc4, "_source.d.**.a.b", `{"_source":{"d":{"a":{"b":{"a":{"b":6}}}}}}`},
		{doc4, "-_source.d.**.b", `{"_index":"rt9c-fp2","_id":"2","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":{"b":[1,{"b":2,"c":[{"b":3},[{"b":4}]]}],"x.y":{"b":5},"e":{}},"b":[[],[[]],{}],"c":null,"ab":{"b":7},"a.b":8}}`},
		{doc4, "_source.a.b.b", `{"_source":{"a":{"b":[{"b":2}]}}}`},
	}
	for _, tc := range tests {
		f, err := Compile(tc.filter)
		if err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		var out bytes.Buffer
		if err := f.Apply(&out, strings.NewReader(tc.doc)); err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		if strings.TrimSuffix(out.String(), "\n") != tc.want {
			t.Errorf("filter_path=%s\n got %s\nwant %s", tc.filter, out.String(), tc.want)
		}
	}
}

// TestApplyTopLevel: arrays and scalars at the top (the _cat APIs' JSON)
// and a root that loses everything.
func TestApplyTopLevel(t *testing.T) {
	tests := []struct{ doc, filter, want string }{
		{`[{"index":"a","health":"green"},{"index":"b"}]`, "health", `[{"health":"green"}]`},
		{`[{"index":"a"},{"index":"b"}]`, "-index", `[]`},
		{`7`, "a.b", `7`},
		{`{"a":1}`, "b", `{}`},
	}
	for _, tc := range tests {
		f, err := Compile(tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := f.Apply(&out, strings.NewReader(tc.doc)); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out.String()); got != tc.want {
			t.Errorf("%s with filter_path=%s: got %s, want %s", tc.doc, tc.filter, got, tc.want)
		}
	}
}

// TestCompile: blank values filter nothing; what the proxy cannot read as
// the cluster does is an error (the caller refuses the request).
func TestCompile(t *testing.T) {
	for _, v := range []string{"", ",", " , "} {
		if f, err := Compile(v); f != nil || err != nil {
			t.Errorf("Compile(%q) = %v, %v; want no filter", v, f, err)
		}
	}
	for _, v := range []string{`a\b`, `a\`, strings.Repeat("a,", maxPaths+1), strings.Repeat("a.", maxSegments+1),
		// The cluster refuses an empty exclusion.
		"-", "a,-", "- ,a",
		// OpenSearch and Elasticsearch read a path ending with a dot
		// differently.
		"_source.a.", "_source.a..", ".", "-_source.a.",
		// Longer than the cluster's request line (4096 bytes).
		strings.Repeat("*a", maxValue/2) + "*"} {
		if _, err := Compile(v); err == nil {
			t.Errorf("Compile(%.40q) accepted", v)
		}
	}
}

// TestApplyRefusesBrokenJSON: an answer that is not one JSON value is an
// error, never a partial copy taken for a whole one.
func TestApplyRefusesBrokenJSON(t *testing.T) {
	f, _ := Compile("a")
	for _, doc := range []string{`{"a":1`, `{"a":}`, `{"a":1}{`, ``, `{"a":[1,}`} {
		if err := f.Apply(&bytes.Buffer{}, strings.NewReader(doc)); err == nil {
			t.Errorf("%q: no error", doc)
		}
	}
}

// FuzzApply: no panic; the output is one valid JSON value; and filtering
// only removes: every string of the output is a string of the input.
func FuzzApply(f *testing.F) {
	f.Add(doc1, "_source.d.e")
	f.Add(doc2, "-_source.m.e,_source.**")
	f.Add(`[[{"a":"x"}],"y"]`, "**.a")
	f.Fuzz(func(t *testing.T, doc, filter string) {
		fp, err := Compile(filter)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := fp.Apply(&out, strings.NewReader(doc)); err != nil {
			return
		}
		in := stringsOf(t, doc)
		for s := range stringsOf(t, out.String()) {
			if !in[s] {
				t.Fatalf("filter_path=%q put %q in the output of %s", filter, s, doc)
			}
		}
	})
}

// stringsOf returns the member names and string values of a JSON value.
func stringsOf(t *testing.T, doc string) map[string]bool {
	dec := jsontext.NewDecoder(strings.NewReader(doc), jsontext.AllowDuplicateNames(true))
	out := map[string]bool{}
	for {
		tok, err := dec.ReadToken()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("invalid JSON %q: %v", doc, err)
		}
		if tok.Kind() == '"' {
			out[tok.String()] = true
		}
	}
}
