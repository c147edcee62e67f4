package esbody

import (
	"strings"
	"testing"
)

func mgetSummary(docs []MgetDoc, ids []string) string {
	var parts []string
	for _, d := range docs {
		s := d.Index + "/" + d.ID
		if d.Routing != "" {
			s += " r=" + d.Routing
		}
		if d.Source != nil {
			src, _ := Encode(d.Source)
			s += " src=" + string(src)
		}
		if d.StoredFields != nil {
			s += " sf=" + strings.Join(d.StoredFields, "+")
		}
		parts = append(parts, s)
	}
	if ids != nil {
		parts = append(parts, "ids="+strings.Join(ids, "+"))
	}
	return strings.Join(parts, " | ")
}

func TestParseMget(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"docs (AUTHZ-017)", `{"docs":[{"_index":"logs-acme-2024","_id":"acm-0002"},{"_index":"hr-payroll","_id":"pay-001"}]}`,
			`logs-acme-2024/acm-0002 | hr-payroll/pay-001`},
		{"per-doc _source and stored_fields (FLS-023)",
			`{"docs":[{"_index":"i","_id":"a","_source":["secret_note","user_ssn"]},{"_index":"i","_id":"b","stored_fields":["secret_note","code"]}]}`,
			`i/a src=["secret_note","user_ssn"] | i/b sf=secret_note+code`},
		{"ids (DLS-011)", `{"ids":["gxid-01","gxid-02",3]}`, `ids=gxid-01+gxid-02+3`},
		{"default index and routing", `{"docs":[{"_id":"1","routing":"r","_source":{"includes":"a","exclude":["b"]}}]}`,
			`/1 r=r src={"includes":"a","exclude":["b"]}`},
		{"single stored field", `{"docs":[{"_id":"1","stored_fields":"f","_source":false,"version":2,"version_type":"external"}]}`,
			`/1 src=false sf=f`},
		{"nulls are absent", `{"docs":[{"_index":null,"_id":"1","_source":null}]}`, `/1`},
		{"empty", `{}`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, ids, err := ParseMget([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseMget: %v", err)
			}
			if got := mgetSummary(docs, ids); got != tt.want {
				t.Fatalf("got %s\nwant %s", got, tt.want)
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
				t.Fatalf("re-parse of %s: %v", out, err)
			}
		})
	}
}

func TestParseMgetRefuses(t *testing.T) {
	tests := []struct{ name, in, typ, reason string }{
		{"docs and ids", `{"docs":[{"_id":"1"}],"ids":["2"]}`, TypeParseException, "not both"},
		{"unknown top-level key", `{"documents":[]}`, TypeParseException, "unknown key [documents] for a START_ARRAY, expected [docs] or [ids]"},
		{"top-level scalar", `{"docs":{"_id":"1"}}`, TypeParseException, "unexpected token [START_OBJECT]"},
		{"unknown object key smuggling _index", `{"docs":[{"x":{"_index":"hr-payroll"},"_id":"1"}]}`, TypeParseException, "unknown field [x]"},
		{"unknown empty array key", `{"docs":[{"x":[],"_id":"1"}]}`, TypeParseException, "unknown field [x]"},
		{"unknown null key", `{"docs":[{"x":null,"_id":"1"}]}`, TypeParseException, "unknown field [x]"},
		{"fields", `{"docs":[{"_id":"1","fields":["a"]}]}`, TypeParseException, "Unsupported field [fields] used, expected [stored_fields] instead"},
		{"_type", `{"docs":[{"_id":"1","_type":"_doc"}]}`, TypeParseException, "unknown field [_type]"},
		{"missing id", `{"docs":[{"_index":"i"}]}`, TypeParseException, "id is missing"},
		{"empty id", `{"docs":[{"_id":""}]}`, TypeParseException, "unsupported value for [_id]"},
		{"comma index", `{"docs":[{"_index":"a,b","_id":"1"}]}`, TypeParseException, "unsupported value for [_index]"},
		{"stored_fields object", `{"docs":[{"_id":"1","stored_fields":{"a":1}}]}`, TypeParseException, "unsupported value for [stored_fields]"},
		{"_source nested object", `{"docs":[{"_id":"1","_source":{"includes":{"a":1}}}]}`, TypeParseException, "unsupported value for [_source]"},
		{"_source unknown key", `{"docs":[{"_id":"1","_source":{"only":"a"}}]}`, TypeParseException, "unsupported value for [_source]"},
		{"_source array of numbers", `{"docs":[{"_id":"1","_source":[1]}]}`, TypeParseException, "unsupported value for [_source]"},
		{"doc not object", `{"docs":["1"]}`, TypeIllegalArgument, "docs array element should include an object"},
		{"null id in ids", `{"ids":[null]}`, TypeIllegalArgument, "ids array element should only contain ids"},
		{"object id in ids", `{"ids":[{}]}`, TypeIllegalArgument, "ids array element should only contain ids"},
		{"duplicate key", `{"docs":[{"_id":"1","_index":"a","_index":"b"}]}`, TypeParse, "Duplicate field '_index'"},
		{"not an object", `[]`, TypeParse, "expected a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseMget([]byte(tt.in))
			wantErr(t, err, 400, tt.typ, tt.reason)
		})
	}
}

func TestMgetRewrite(t *testing.T) {
	docs, _, err := ParseMget([]byte(`{"docs":[{"_index":"a","_id":"1"},{"_id":"2"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	docs[1].SetIndex("b")
	out, err := EncodeMget(docs[1:])
	if err != nil || string(out) != `{"docs":[{"_id":"2","_index":"b"}]}` {
		t.Fatalf("EncodeMget = %s, %v", out, err)
	}
	docs[0].Index = "c"
	if _, err := EncodeMget(docs); err == nil {
		t.Fatal("EncodeMget accepted an Index that disagrees with Raw")
	}
	if _, err := EncodeMget([]MgetDoc{{ID: "x"}}); err == nil {
		t.Fatal("EncodeMget accepted a doc without Raw")
	}
}
