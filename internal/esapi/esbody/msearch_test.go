package esbody

import (
	"fmt"
	"strings"
	"testing"
)

func msearchSummary(items []MsearchItem) string {
	var parts []string
	for _, it := range items {
		s := fmt.Sprintf("%d/%d", it.Line, it.BodyLine)
		if it.Indices != nil {
			s += " idx=" + strings.Join(it.Indices, "+")
		}
		if it.ExpandWildcards != nil {
			s += " ew=" + strings.Join(it.ExpandWildcards, "+")
		}
		for _, o := range []struct {
			name string
			b    *bool
		}{{"iu", it.IgnoreUnavailable}, {"ani", it.AllowNoIndices}, {"rc", it.RequestCache}} {
			if o.b != nil {
				s += fmt.Sprintf(" %s=%v", o.name, *o.b)
			}
		}
		if it.SearchType != "" {
			s += " st=" + it.SearchType
		}
		if it.Routing != "" {
			s += " r=" + it.Routing
		}
		body, _ := Encode(it.Body)
		s += " " + string(body)
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

func TestParseMsearch(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"pairs", "{\"index\":\"hr-payroll\"}\n{}\n", `1/2 idx=hr-payroll {}`},
		{"empty header object", "{}\n{\"size\":10}\n", `1/2 {"size":10}`},
		{"mid-body blank line is an empty header (PARSE-023)",
			"{}\n{}\n\n{}\n{\"index\":\"hr-payroll\"}\n{\"size\":10}\n",
			`1/2 {} | 3/4 {} | 5/6 idx=hr-payroll {"size":10}`},
		{"whitespace header is empty", " \r\n{}\n", `1/2 {}`},
		{"indices synonym (AUTHZ-019)", "{\"indices\":\"hr-payroll\"}\n{\"size\":10}\n", `1/2 idx=hr-payroll {"size":10}`},
		{"comma list", "{\"index\":\"a,b\"}\n{}\n", `1/2 idx=a+b {}`},
		{"array", "{\"index\":[\"a\",\"b*\"]}\n{}\n", `1/2 idx=a+b* {}`},
		{"options", "{\"index\":\"a\",\"expand_wildcards\":\"open,hidden\",\"ignore_unavailable\":true,\"allow_no_indices\":\"false\",\"search_type\":\"dfs_query_then_fetch\",\"routing\":\"r1\",\"preference\":\"_local\",\"request_cache\":false,\"ccs_minimize_roundtrips\":true,\"allow_partial_search_results\":false,\"ignore_throttled\":false}\n{}\n",
			`1/2 idx=a ew=open+hidden iu=true ani=false rc=false st=dfs_query_then_fetch r=r1 {}`},
		{"camelCase keys", "{\"expandWildcards\":[\"all\"],\"ignoreUnavailable\":false}\n{}\n", `1/2 ew=all iu=false {}`},
		{"crlf", "{\"index\":\"a\"}\r\n{\"size\":1}\r\n", `1/2 idx=a {"size":1}`},
		{"template body", "{}\n{\"id\":\"tmpl-all\",\"params\":{}}\n", `1/2 {"id":"tmpl-all","params":{}}`},
		{"empty", "", ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := ParseMsearch([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseMsearch: %v", err)
			}
			if got := msearchSummary(items); got != tt.want {
				t.Fatalf("items:\n got %s\nwant %s", got, tt.want)
			}
			out, err := EncodeMsearch(items)
			if err != nil {
				t.Fatalf("EncodeMsearch: %v", err)
			}
			again, err := ParseMsearch(out)
			if err != nil {
				t.Fatalf("re-parse of %q: %v", out, err)
			}
			if len(again) != len(items) {
				t.Fatalf("re-parse gave %d items, want %d", len(again), len(items))
			}
			for i := range items {
				if !sameHeaderView(&items[i], &again[i]) || !Equal(items[i].Body, again[i].Body) {
					t.Fatalf("item %d changed by re-encoding", i)
				}
			}
		})
	}
}

func TestParseMsearchRefuses(t *testing.T) {
	tests := []struct {
		name, in, typ, reason string
		line                  int
	}{
		{"not terminated", "{}\n{}", TypeIllegalArgument, "The msearch request must be terminated by a newline", 2},
		{"leading blank line (7.x and 8.x disagree)", "\n{\"index\":\"hr-payroll\"}\n{}\n", TypeIllegalArgument, "starts with an empty line", 1},
		{"header without body", "{}\n{}\n{\"index\":\"x\"}\n", TypeIllegalArgument, "msearch header on line [3] has no body line", 3},
		{"unknown key", "{\"index\":\"test\",\"unknown_key\":\"open,closed\"}\n{}\n", TypeIllegalArgument, "key [unknown_key] is not supported in the metadata section", 1},
		{"types (7.x only)", "{\"type\":\"_doc\"}\n{}\n", TypeIllegalArgument, "key [type] is not supported", 1},
		{"both spellings", "{\"index\":\"a\",\"indices\":\"hr-payroll\"}\n{}\n", TypeIllegalArgument, "both [index] and [indices]", 1},
		{"both camel and snake", "{\"ignore_unavailable\":true,\"ignoreUnavailable\":false}\n{}\n", TypeIllegalArgument, "both [ignore_unavailable] and [ignoreUnavailable]", 1},
		{"duplicate key", "{\"index\":\"a\",\"index\":\"hr-payroll\"}\n{}\n", TypeParse, "Duplicate field 'index'", 1},
		{"empty index string means all", "{\"index\":\"\"}\n{}\n", TypeIllegalArgument, "[index] must name at least one index", 1},
		{"empty index array means all", "{\"index\":[]}\n{}\n", TypeIllegalArgument, "empty list", 1},
		{"comma only", "{\"index\":\",\"}\n{}\n", TypeIllegalArgument, "must name at least one index", 1},
		{"trailing comma", "{\"index\":\"a,\"}\n{}\n", TypeIllegalArgument, "must name at least one index", 1},
		{"comma inside array element", "{\"index\":[\"logs-a,hr-payroll\"]}\n{}\n", TypeIllegalArgument, "with a comma", 1},
		{"numeric index", "{\"index\":5}\n{}\n", TypeIllegalArgument, "unsupported value for [index]", 1},
		{"null index", "{\"index\":null}\n{}\n", TypeIllegalArgument, "unsupported value for [index]", 1},
		{"non-string array element", "{\"index\":[\"a\",1]}\n{}\n", TypeIllegalArgument, "unsupported value for [index]", 1},
		{"bad expand_wildcards", "{\"expand_wildcards\":\"open,everything\"}\n{}\n", TypeIllegalArgument, "No valid expand wildcard value [everything]", 1},
		{"bad boolean", "{\"ignore_unavailable\":\"yes\"}\n{}\n", TypeIllegalArgument, "unsupported value for [ignore_unavailable]", 1},
		{"scalar header", "\"x\"\n{}\n", TypeParse, "expected a JSON object", 1},
		{"trailing data in header", "{\"index\":\"a\"} {\"index\":\"hr-payroll\"}\n{}\n", TypeParse, "unexpected content after the end of the JSON value", 1},
		{"extra brace (7.x tolerated)", "{\"index\":\"test\"}}\n{}\n", TypeParse, "unexpected content", 1},
		{"blank body", "{}\n\n", TypeParse, "line [2]: [1:1] the body contains no JSON value", 2},
		{"scalar body", "{}\n[]\n", TypeParse, "expected a JSON object", 2},
		{"comment in body", "{}\n{\"size\":1 // x\n}\n", TypeParse, "invalid character '/'", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMsearch([]byte(tt.in))
			e := wantErr(t, err, 400, tt.typ, tt.reason)
			if e.Line != tt.line {
				t.Errorf("Line = %d, want %d (%s)", e.Line, tt.line, e.Reason)
			}
		})
	}
}

func TestMsearchRewrite(t *testing.T) {
	items, err := ParseMsearch([]byte("{\"indices\":\"a\",\"routing\":\"r\"}\n{\"query\":{\"match_all\":{}}}\n\n{}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := items[0].SetIndices([]string{"b", "c"}); err != nil {
		t.Fatal(err)
	}
	if err := items[1].SetIndices([]string{}); err == nil {
		t.Fatal("SetIndices accepted an empty list")
	}
	q := items[0].Body
	wrapped, _ := NewObject(Member{"bool", mustObject(t, Member{"must", mustValue(t, q, "query")}, Member{"filter", mustParse(t, `{"term":{"tenant":"acme"}}`)})})
	q.Set("query", wrapped)
	out, err := EncodeMsearch(items)
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"routing\":\"r\",\"index\":[\"b\",\"c\"]}\n{\"query\":{\"bool\":{\"must\":{\"match_all\":{}},\"filter\":{\"term\":{\"tenant\":\"acme\"}}}}}\n{}\n{}\n"
	if string(out) != want {
		t.Fatalf("EncodeMsearch =\n%s\nwant\n%s", out, want)
	}
	bad := items[0]
	bad.Indices = []string{"hr-payroll"}
	if _, err := EncodeMsearch([]MsearchItem{bad}); err == nil {
		t.Fatal("EncodeMsearch accepted Indices that disagree with Header")
	}
	if _, err := EncodeMsearch([]MsearchItem{{Header: &Object{}}}); err == nil {
		t.Fatal("EncodeMsearch accepted an item without body")
	}
}

func mustParse(t *testing.T, s string) Value {
	t.Helper()
	v, err := ParseJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustValue(t *testing.T, o *Object, name string) Value {
	t.Helper()
	v, ok := o.Get(name)
	if !ok {
		t.Fatalf("no member %q", name)
	}
	return v
}

func mustObject(t *testing.T, members ...Member) *Object {
	t.Helper()
	o, err := NewObject(members...)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestMsearchRefresh(t *testing.T) {
	items, err := ParseMsearch([]byte("{}\n{}\n"))
	if err != nil {
		t.Fatal(err)
	}
	it := items[0]
	it.Header.Set("indices", String("x,y"))
	if err := it.Refresh(); err != nil || strings.Join(it.Indices, "+") != "x+y" || it.Body == nil || it.Line != 1 {
		t.Fatalf("Refresh: %v, %+v", err, it)
	}
	it.Header.Set("index", String("z"))
	err = it.Refresh()
	wantErr(t, err, 400, TypeIllegalArgument, "both [indices] and [index]")
}
