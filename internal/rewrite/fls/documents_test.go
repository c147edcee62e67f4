package fls

import "testing"

func TestFilterDocuments(t *testing.T) {
	runFilterCases(t, []filterCase{{
		name: "get",
		kind: KindDocument,
		in:   `{"_index":"i","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":1,"secret":2,"o":{"s":3}},"fields":{"secret":[2],"a":[1]}}`,
		want: `{"_index":"i","_id":"1","_version":1,"_seq_no":0,"_primary_term":1,"found":true,"_source":{"a":1},"fields":{"a":[1]}}`,
	}, {
		name: "get of a missing document",
		kind: KindDocument,
		in:   `{"_index":"i","_id":"x","found":false}`,
		want: `{"_index":"i","_id":"x","found":false}`,
	}, {
		name:    "get in an unknown index",
		kind:    KindDocument,
		in:      `{"_index":"x","_id":"1","found":true,"_source":{"a":1}}`,
		want:    `{"_index":"x","_id":"1","found":true,"_source":{}}`,
		unknown: []string{"x"},
	}, {
		name: "mget: each document by its index; errors kept",
		kind: KindDocument,
		in: `{"docs":[{"_index":"i","_id":"1","found":true,"_source":{"a":1,"secret":2}},{"_index":"open","_id":"2","found":true,"_source":{"secret":2}},` +
			`{"_index":"i","_id":"3","error":{"type":"x","reason":"y"}},{"_index":"i","_id":"4","found":false}]}`,
		want: `{"docs":[{"_index":"i","_id":"1","found":true,"_source":{"a":1}},{"_index":"open","_id":"2","found":true,"_source":{"secret":2}},` +
			`{"_index":"i","_id":"3","error":{"type":"x","reason":"y"}},{"_index":"i","_id":"4","found":false}]}`,
	}, {
		name: "explain: get takes the response's index, even when it comes first",
		kind: KindDocument,
		in:   `{"get":{"_seq_no":0,"found":true,"_source":{"a":1,"secret":2},"fields":{"secret":[2]}},"_id":"1","_index":"i","matched":true,"explanation":{"value":1.0,"description":"a:1","details":[]}}`,
		want: `{"get":{"_seq_no":0,"found":true,"_source":{"a":1}},"_id":"1","_index":"i","matched":true,"explanation":{"value":1.0,"description":"a:1","details":[]}}`,
	}, {
		name: "termvectors and mtermvectors",
		kind: KindDocument,
		in: `{"docs":[{"_index":"i","_id":"1","found":true,"took":1,"term_vectors":{"secret":{"terms":{"S":{"term_freq":1}}},"t":{"terms":{"T":{"term_freq":1}}},"t.kw":{"terms":{}}}},` +
			`{"_index":"i","_id":"2","found":true,"term_vectors":{"o.s":{"terms":{"S":{}}}}}]}`,
		want: `{"docs":[{"_index":"i","_id":"1","found":true,"took":1,"term_vectors":{"t":{"terms":{"T":{"term_freq":1}}},"t.kw":{"terms":{}}}},` +
			`{"_index":"i","_id":"2","found":true}]}`,
	}, {
		name: "get source",
		kind: KindSource,
		in:   `{"a":1,"secret":2,"o":{"x":1,"s":2},"n":[{"x":1,"s":2}]}`,
		want: `{"a":1,"o":{"x":1},"n":[{"x":1}]}`,
	}})
}

func TestFilterSourceIndices(t *testing.T) {
	var reported []string
	f := &Filter{Policy: smallPolicy(t, "i_except"), OnUnknownIndex: func(i string) { reported = append(reported, i) }}
	for _, tc := range []struct{ index, in, want string }{
		{"i", `{"secret":1,"a":2}`, `{"a":2}`},
		{"open", `{"secret":1,"a":2}`, `{"secret":1,"a":2}`},
		{"x", `{"secret":1,"a":2}`, `{}`},
	} {
		var out = new(stringsBuilder)
		if err := f.Source(out, stringsReader(tc.in), tc.index); err != nil {
			t.Fatal(err)
		}
		if out.String() != tc.want {
			t.Errorf("%s: got %s, want %s", tc.index, out.String(), tc.want)
		}
	}
	if len(reported) != 1 || reported[0] != "x" {
		t.Errorf("reported %q", reported)
	}
}
