package fls

import (
	"bytes"
	"strings"
	"testing"
)

// The small fixture: index "i" with objects, nested fields, a multi-field
// and a geo_point, under "grant * except" and "grant list" roles.
const smallMapping = `{"i":{"mappings":{"properties":{
	"a":{"type":"keyword"}, "secret":{"type":"keyword"},
	"t":{"type":"text","fields":{"kw":{"type":"keyword"}}},
	"o":{"properties":{"x":{"type":"keyword"},"s":{"type":"keyword"}}},
	"n":{"type":"nested","properties":{"x":{"type":"keyword"},"s":{"type":"keyword"},
		"m":{"type":"nested","properties":{"x":{"type":"keyword"},"s":{"type":"keyword"}}}}},
	"bank":{"properties":{"iban":{"type":"keyword"}}},
	"g":{"type":"geo_point"}
}}}}`

const smallRoles = `
i_except:
  indices:
    - names: ['i', 'j']
      privileges: [read]
      field_security:
        grant: ['*']
        except: ['secret', 'o.s', 'n.s', 'n.m.s', 'bank.*']
i_grant:
  indices:
    - names: ['i']
      privileges: [read]
      field_security:
        grant: ['a', 'o.x', 'n.x', 'n.m.x', 't']
i_patterns:
  indices:
    - names: ['i']
      privileges: [read]
      field_security:
        grant: ['o.*', 'n*', '/t.*/', 'b?nk.*', 'a', 'x\\*y*']
        except: ['n.m.s', 'o.x?', 'n.*.deep', '/n[.]q.*/']
    - names: ['i']
      privileges: [read]
      field_security:
        grant: ['g.*', 'n.m.*']
`

// smallPolicy: "i" under the role, "open" without FLS, "j" under the role
// without a mapping; any other index is unknown.
func smallPolicy(t testing.TB, role string) Views {
	t.Helper()
	ms, err := ParseMappings([]byte(smallMapping))
	if err != nil {
		t.Fatal(err)
	}
	return Views{
		"i":    NewView(fieldAccessFrom(t, smallRoles, "i", role), ms["i"]),
		"j":    NewView(fieldAccessFrom(t, smallRoles, "j", "i_except"), nil),
		"open": nil,
	}
}

// filterCase is one input and its exact expected output.
type filterCase struct {
	name     string
	kind     Kind
	role     string
	in, want string
	// unknown are the indices OnUnknownIndex must report, in order.
	unknown []string
}

func runFilterCases(t *testing.T, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			role := tc.role
			if role == "" {
				role = "i_except"
			}
			var reported []string
			f := &Filter{
				Policy:         smallPolicy(t, role),
				OnUnknownIndex: func(index string) { reported = append(reported, index) },
				TopLevel: map[string]func(string) (string, error){
					"_scroll_id": func(s string) (string, error) { return "wrapped(" + s + ")", nil },
					"id":         func(s string) (string, error) { return "wrapped(" + s + ")", nil },
				},
			}
			got := applyIndex(t, f, tc.kind, []byte(tc.in), "i")
			if got != tc.want {
				t.Fatalf("\n got: %s\nwant: %s", got, tc.want)
			}
			if strings.Join(reported, ",") != strings.Join(tc.unknown, ",") {
				t.Fatalf("reported unknown indices %q, want %q", reported, tc.unknown)
			}
		})
	}
}

func TestFilterSearchHits(t *testing.T) {
	runFilterCases(t, []filterCase{{
		name: "source, fields, highlight, _ignored",
		kind: KindSearch,
		in: `{"took":3,"hits":{"total":{"value":1},"hits":[{"_index":"i","_id":"1","_score":1.5,
			"_ignored":["secret","a","t.kw"],
			"_source":{"a":"A","secret":"S","o":{"x":"X","s":"S"},"t":"T","bank":{"iban":"I"}},
			"fields":{"a":["A"],"secret":["S"],"t.kw":["T"],"o.s":["S"]},
			"highlight":{"t":["<em>T</em>"],"secret":["<em>S</em>"]},
			"sort":["S",1],"matched_queries":["q"]}]}}`,
		want: `{"took":3,"hits":{"total":{"value":1},"hits":[{"_index":"i","_id":"1","_score":1.5,` +
			`"_ignored":["a","t.kw"],"_source":{"a":"A","o":{"x":"X"},"t":"T"},` +
			`"fields":{"a":["A"],"t.kw":["T"]},"highlight":{"t":["<em>T</em>"]},"sort":["S",1],"matched_queries":["q"]}]}}`,
	}, {
		name: "grant list: multi-field follows, subtree cut",
		kind: KindSearch, role: "i_grant",
		in:   `{"hits":{"hits":[{"_index":"i","_source":{"a":1,"t":"T","secret":"S","o":{"x":1,"s":2},"g":{"lat":1,"lon":2}},"fields":{"t.kw":["T"],"g":[{"type":"Point"}]}}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","_source":{"a":1,"t":"T","o":{"x":1}},"fields":{"t.kw":["T"]}}]}}`,
	}, {
		name: "escaped and dotted keys are judged unescaped; raw names kept",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"i","_source":{"s\u0065cret":"S","\u0061":"A","bank.iban":"I","o.s":"S","o.x":"X","bank":{"iban":"I2"}}}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","_source":{"\u0061":"A","o.x":"X"}}]}}`,
	}, {
		name: "numbers, strings and literals verbatim",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"i","_score":1.0E+2,"_source":{"a":[-0,12345678901234567890123,1e-7,true,null,"\u00e9\n"]}}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","_score":1.0E+2,"_source":{"a":[-0,12345678901234567890123,1e-7,true,null,"\u00e9\n"]}}]}}`,
	}, {
		name: "containers emptied by filtering are dropped, empty ones kept",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"i","_source":{"bank":{"iban":"I"},"o":{},"a":[],"secret":[],"n":[{"s":1},{"x":2}],"b":[[]],"c":{"d":{}}}}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","_source":{"o":{},"a":[],"n":[{"x":2}],"b":[[]],"c":{"d":{}}}}]}}`,
	}, {
		name: "_index after _source: held, then filtered",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_id":"1","_source":{"a":1,"secret":2},"_score":1,"_index":"i","fields":{"secret":[2]}}]}}`,
		want: `{"hits":{"hits":[{"_id":"1","_source":{"a":1},"_score":1,"_index":"i"}]}}`,
	}, {
		name:    "a hit without _index is hidden",
		kind:    KindSearch,
		in:      `{"hits":{"hits":[{"_id":"1","_source":{"a":1,"secret":2},"fields":{"a":[1]}}]}}`,
		want:    `{"hits":{"hits":[{"_id":"1","_source":{}}]}}`,
		unknown: []string{""},
	}, {
		name:    "an unknown index is hidden and reported; known indices unaffected",
		kind:    KindSearch,
		in:      `{"hits":{"hits":[{"_index":"x","_source":{"a":1},"highlight":{"a":["A"]},"_ignored":["a"]},{"_index":"i","_source":{"a":1}},{"_index":"x","_id":"2"}]}}`,
		want:    `{"hits":{"hits":[{"_index":"x","_source":{}},{"_index":"i","_source":{"a":1}},{"_index":"x","_id":"2"}]}}`,
		unknown: []string{"x"},
	}, {
		name: "an unrestricted index is copied",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"open","_source":{"secret":1,"x":{}},"new_member":{"secret":2},"fields":{"secret":[1]}}]}}`,
		want: `{"hits":{"hits":[{"_index":"open","_source":{"secret":1,"x":{}},"new_member":{"secret":2},"fields":{"secret":[1]}}]}}`,
	}, {
		name: "unknown hit members are dropped under FLS; odd _source shapes",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"i","new_member":{"secret":2},"_source":null},{"_index":"i","_source":"c2VjcmV0"},{"_index":"i","_source":[1]}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","_source":null},{"_index":"i"},{"_index":"i"}]}}`,
	}, {
		name: "nested fields in Elasticsearch's fields format; ignored_field_values",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"i","fields":{"n":[{"x":["X"],"s":["S"],"m":[{"s":["S"]}]},{"s":["S"]}],"secret":["S"]},"ignored_field_values":{"secret":["S"],"a":["A"]}}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","fields":{"n":[{"x":["X"]}]},"ignored_field_values":{"a":["A"]}}]}}`,
	}, {
		name: "fields values: objects are sub-fields, scalars under objects dropped",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"i","fields":{"o":[{"x":["X"],"s":["S"]},"scalar"],"n":{"s":1,"x":"X","m":[{"s":2,"x":3}]},"g":[{"type":"Point","coordinates":[1,2]}],"u":{"secret":1}}}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","fields":{"o":[{"x":["X"]}],"n":{"x":"X","m":[{"x":3}]},"g":[{"type":"Point","coordinates":[1,2]}],"u":{"secret":1}}}]}}`,
	}, {
		name: "duplicate names are judged alike",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"i","_source":{"secret":1,"a":1,"s\u0065cret":2,"a":2,"secret":{"x":3}}}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","_source":{"a":1,"a":2}}]}}`,
	}, {
		name: "an index without mapping: names alone",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"j","_source":{"a":1,"secret":2,"o":{"s":3,"x":4}},"fields":{"t.kw":["T"],"secret.kw":["S"],"a":[1]}}]}}`,
		want: `{"hits":{"hits":[{"_index":"j","_source":{"a":1,"o":{"x":4}},"fields":{"t.kw":["T"],"a":[1]}}]}}`,
	}})
}

func TestFilterSearchNested(t *testing.T) {
	runFilterCases(t, []filterCase{{
		name: "nested inner hits: _source relative to _nested, keys full",
		kind: KindSearch,
		in: `{"hits":{"hits":[{"_index":"i","_source":{"n":[{"x":1,"s":2}]},"inner_hits":{"c":{"hits":{"total":{"value":1},"hits":[` +
			`{"_index":"i","_id":"1","_nested":{"field":"n","offset":0},"_source":{"x":1,"s":2,"m":[{"x":3,"s":4}]},` +
			`"highlight":{"n.s":["S"],"n.x":["X"]},"fields":{"n.s":["S"],"n.x":["X"]},` +
			`"inner_hits":{"d":{"hits":{"hits":[{"_index":"i","_nested":{"field":"n","offset":0,"_nested":{"field":"m","offset":0}},"_source":{"x":3,"s":4}}]}}}}]}}}}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","_source":{"n":[{"x":1}]},"inner_hits":{"c":{"hits":{"total":{"value":1},"hits":[` +
			`{"_index":"i","_id":"1","_nested":{"field":"n","offset":0},"_source":{"x":1,"m":[{"x":3}]},` +
			`"highlight":{"n.x":["X"]},"fields":{"n.x":["X"]},` +
			`"inner_hits":{"d":{"hits":{"hits":[{"_index":"i","_nested":{"field":"n","offset":0,"_nested":{"field":"m","offset":0}},"_source":{"x":3}}]}}}}]}}}}]}}`,
	}, {
		name: "_nested after _source in an inner hit: held until known",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"i","inner_hits":{"c":{"hits":{"hits":[{"_index":"i","_source":{"x":1,"s":2},"_nested":{"field":"n","offset":0},"_score":1}]}}}}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","inner_hits":{"c":{"hits":{"hits":[{"_index":"i","_source":{"x":1},"_nested":{"field":"n","offset":0},"_score":1}]}}}}]}}`,
	}, {
		name: "a relative key in a nested hit must be visible both ways",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"i","inner_hits":{"c":{"hits":{"hits":[{"_index":"i","_nested":{"field":"n","offset":0},"highlight":{"s":["S"],"x":["X"],"secret":["S"]}}]}}}}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","inner_hits":{"c":{"hits":{"hits":[{"_index":"i","_nested":{"field":"n","offset":0},"highlight":{"x":["X"]}}]}}}}]}}`,
	}, {
		name: "inner hit without _index takes its parent's",
		kind: KindSearch,
		in:   `{"hits":{"hits":[{"_index":"i","inner_hits":{"c":{"hits":{"hits":[{"_source":{"a":1,"secret":2}}]}}}}]}}`,
		want: `{"hits":{"hits":[{"_index":"i","inner_hits":{"c":{"hits":{"hits":[{"_source":{"a":1}}]}}}}]}}`,
	}, {
		name: "top_hits, under a terms and a nested aggregation",
		kind: KindSearch,
		in: `{"aggregations":{"by":{"buckets":[{"key":"k","doc_count":1,"top":{"hits":{"total":{"value":1},"hits":[{"_index":"i","_source":{"a":1,"secret":2}}]}}}]},` +
			`"nest":{"doc_count":1,"top":{"hits":{"hits":[{"_index":"i","_nested":{"field":"n","offset":0},"_source":{"x":1,"s":2}}]}}},"sum":{"value":3.0}}}`,
		want: `{"aggregations":{"by":{"buckets":[{"key":"k","doc_count":1,"top":{"hits":{"total":{"value":1},"hits":[{"_index":"i","_source":{"a":1}}]}}}]},` +
			`"nest":{"doc_count":1,"top":{"hits":{"hits":[{"_index":"i","_nested":{"field":"n","offset":0},"_source":{"x":1}}]}}},"sum":{"value":3.0}}}`,
	}, {
		name: "suggest: completion options carry documents, term options do not",
		kind: KindSearch,
		in:   `{"suggest":{"s":[{"text":"a","offset":0,"length":1,"options":[{"text":"A","_index":"i","_id":"1","_score":1,"_source":{"a":1,"secret":2}},{"text":"b","score":0.5,"freq":2}]}]}}`,
		want: `{"suggest":{"s":[{"text":"a","offset":0,"length":1,"options":[{"text":"A","_index":"i","_id":"1","_score":1,"_source":{"a":1}},{"text":"b","score":0.5,"freq":2}]}]}}`,
	}})
}

func TestFilterSearchEnvelopes(t *testing.T) {
	runFilterCases(t, []filterCase{{
		name: "msearch items and errors; hooks apply per item",
		kind: KindSearch,
		in:   `{"took":1,"responses":[{"_scroll_id":"s1","hits":{"hits":[{"_index":"i","_source":{"secret":1}}]},"status":200},{"error":{"type":"x","reason":"secret"},"status":404}]}`,
		want: `{"took":1,"responses":[{"_scroll_id":"wrapped(s1)","hits":{"hits":[{"_index":"i","_source":{}}]},"status":200},{"error":{"type":"x","reason":"secret"},"status":404}]}`,
	}, {
		name: "async search: hook on id, search response under response",
		kind: KindSearch,
		in:   `{"id":"FmRl\u002f","is_running":false,"response":{"took":1,"hits":{"hits":[{"_index":"i","_source":{"a":1,"secret":2}}]}}}`,
		want: `{"id":"wrapped(FmRl/)","is_running":false,"response":{"took":1,"hits":{"hits":[{"_index":"i","_source":{"a":1}}]}}}`,
	}, {
		name: "scroll id hook; non-string values are left alone",
		kind: KindSearch,
		in:   `{"_scroll_id":"abc","id":null,"hits":{"hits":[]}}`,
		want: `{"_scroll_id":"wrapped(abc)","id":null,"hits":{"hits":[]}}`,
	}, {
		name: "whitespace is dropped",
		kind: KindSearch,
		in:   " {\n \"took\" : 1 ,\n \"hits\" : { \"hits\" : [ ] } }\n",
		want: `{"took":1,"hits":{"hits":[]}}`,
	}, {
		name: "empty body",
		kind: KindSearch,
		in:   "  ",
		want: "",
	}})
}

func TestFilterRefuses(t *testing.T) {
	f := &Filter{Policy: smallPolicy(t, "i_except"), TopLevel: map[string]func(string) (string, error){
		"_scroll_id": func(string) (string, error) { return "", errTest },
	}}
	for name, in := range map[string]string{
		"not an object":        `[]`,
		"trailing data":        `{"hits":{"hits":[]}} {}`,
		"truncated":            `{"hits":{"hits":[{"_index":"i","_source":{"a":`,
		"duplicate _index":     `{"hits":{"hits":[{"_index":"i","_id":"1","_index":"open"}]}}`,
		"invalid UTF-8":        "{\"hits\":{\"hits\":[{\"_index\":\"i\",\"_source\":{\"a\":\"\xff\"}}]}}",
		"_index not a string":  `{"hits":{"hits":[{"_index":1}]}}`,
		"hits not an object":   `{"hits":[]}`,
		"hit not an object":    `{"hits":{"hits":[1]}}`,
		"bad _nested":          `{"aggregations":{"a":{"hits":[{"_index":"i","_nested":{"offset":0},"_source":{}}]}}}`,
		"hook error":           `{"_scroll_id":"x"}`,
		"late _nested":         `{"hits":{"hits":[{"_index":"i","_source":{"x":1},"_nested":{"field":"n","offset":0}}]}}`,
		"_nested field number": `{"aggregations":{"a":{"hits":[{"_index":"i","_nested":{"field":1},"_source":{}}]}}}`,
		"comment":              `{"hits":{"hits":[]} /* x */}`,
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if err := f.Search(&out, strings.NewReader(in)); err == nil {
				t.Fatalf("accepted; output %s", out.String())
			}
		})
	}
}

func TestApplyPassesErrorsThrough(t *testing.T) {
	f := &Filter{Policy: Views{}}
	body := `{"error":{"type":"search_phase_execution_exception","reason":"CANARY"},"status":400}` + "\n"
	for _, status := range []int{400, 403, 404, 500, 503} {
		var out bytes.Buffer
		if err := f.Apply(&out, strings.NewReader(body), KindSearch, status, ""); err != nil {
			t.Fatal(err)
		}
		if out.String() != body {
			t.Fatalf("%d: %q", status, out.String())
		}
	}
	var out bytes.Buffer
	if err := f.Apply(&out, strings.NewReader(`{}`), Kind(99), 200, ""); err == nil {
		t.Fatal("unknown kind accepted")
	}
}
