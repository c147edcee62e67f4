package flsquery

import (
	"strconv"
	"testing"
)

// TestSplitViews checks requests reaching indices with different views:
// selecting queries are split per view, everything else uses the strict
// intersection.
func TestSplitViews(t *testing.T) {
	alice := aliceView()
	// wide sees secret_note too.
	wide := &fakeView{mapped: logsMapping(), grant: []string{"@timestamp", "tenant", "message", "user.*", "secret_note"},
		except: []string{"user.email"}, hidden: []string{"user.ssn_alias", "user.rt_secret"}}
	mixed := Scope{Indices: []IndexFields{
		{Index: "logs-acme-2024", Fields: alice},
		{Index: "logs-globex-2024", Fields: wide},
		{Index: "logs-acme-sandbox", Fields: alice},
	}}
	withFree := Scope{Indices: []IndexFields{
		{Index: "logs-acme-2024", Fields: alice},
		{Index: "logs-free", Fields: nil},
	}}
	n := neutral
	split := func(aliceQ, wideQ string) string {
		return `{"bool":{"should":[` +
			`{"bool":{"filter":[{"terms":{"_index":["logs-acme-2024","logs-acme-sandbox"]}}],"must":[` + aliceQ + `]}},` +
			`{"bool":{"filter":[{"terms":{"_index":["logs-globex-2024"]}}],"must":[` + wideQ + `]}}` +
			`],"minimum_should_match":1}}`
	}
	tests := []struct {
		name  string
		scope Scope
		cases []rewriteCase
	}{
		{"two views", mixed, []rewriteCase{
			{name: "same rewrite everywhere", body: `{"query":{"term":{"code":"x"}}}`, want: `{"query":{"term":{` + n + `:"x"}}}`},
			{name: "field visible in one view", body: `{"query":{"match":{"secret_note":"amber"}}}`,
				want: `{"query":` + split(`{"match":{`+n+`:"amber"}}`, `{"match":{"secret_note":"amber"}}`) + `}`},
			{name: "post_filter split", body: `{"post_filter":{"exists":{"field":"secret_note"}}}`,
				want: `{"post_filter":` + split(`{"exists":{"field":`+n+`}}`, `{"exists":{"field":"secret_note"}}`) + `}`},
			{name: "aggregation field is strict", body: `{"aggs":{"t":{"terms":{"field":"secret_note"}}}}`,
				want: `{"aggs":{"t":{"terms":{"field":` + n + `}}}}`},
			{name: "filter aggregation is split", body: `{"aggs":{"f":{"filter":{"term":{"secret_note":"a"}}}}}`,
				want: `{"aggs":{"f":{"filter":` + split(`{"term":{`+n+`:"a"}}`, `{"term":{"secret_note":"a"}}`) + `}}}`},
			{name: "sort is strict", body: `{"sort":["secret_note"]}`, want: `{"sort":[{` + n + `:{"unmapped_type":"keyword"}}]}`},
			{name: "highlight is strict", body: `{"highlight":{"fields":{"secret_note":{}}}}`, want: `{"highlight":{"fields":{}}}`},
			{name: "highlight patterns expanded", body: `{"highlight":{"fields":{"s*":{},"t*":{}}}}`,
				want: `{"highlight":{"fields":{"tenant":{}}}}`},
			{name: "inner_hits prevent the split", body: `{"query":{"bool":{"must":[{"match":{"secret_note":"a"}},{"nested":{"path":"comments","query":{"match_all":{}},"inner_hits":{}}}]}}}`,
				want: `{"query":{"bool":{"must":[{"match":{` + n + `:"a"}},{"nested":{"path":` + n + `,"query":{"match_all":{}},"inner_hits":{},"ignore_unmapped":true}}]}}}`},
			{name: "default fields differ", body: `{"query":{"multi_match":{"query":"a"}}}`,
				want: `{"query":` + split(`{"multi_match":{"query":"a","fields":["@timestamp","tenant","message","user.name"],"lenient":true}}`,
					`{"multi_match":{"query":"a","fields":["@timestamp","tenant","message","user.name","secret_note"],"lenient":true}}`) + `}`},
			{name: "refusal in any view refuses", body: `{"query":{"script":{"script":"1"}}}`, refuse: "query type [script]"},
		}},
		{"index without FLS", withFree, []rewriteCase{
			{name: "query kept for the free index", body: `{"query":{"term":{"code":"x"}}}`,
				want: `{"query":{"bool":{"should":[` +
					`{"bool":{"filter":[{"terms":{"_index":["logs-acme-2024"]}}],"must":[{"term":{` + n + `:"x"}}]}},` +
					`{"bool":{"filter":[{"terms":{"_index":["logs-free"]}}],"must":[{"term":{"code":"x"}}]}}` +
					`],"minimum_should_match":1}}}`},
			{name: "visible field needs no split", body: `{"query":{"term":{"tenant":"x"}}}`, want: `{"query":{"term":{"tenant":"x"}}}`},
			{name: "aggregations strict", body: `{"aggs":{"m":{"max":{"field":"salary"}}}}`, want: `{"aggs":{"m":{"max":{"field":` + n + `}}}}`},
			{name: "scripts still refused", body: `{"script_fields":{"a":{"script":"1"}}}`, refuse: "script_fields"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runCases(t, Search, tt.scope, tt.cases) })
	}
}

// TestSplitLimit checks that beyond MaxSplitViews distinct views the
// strict intersection is used instead of copies.
func TestSplitLimit(t *testing.T) {
	var scope Scope
	for i := range MaxSplitViews + 1 {
		v := aliceView()
		if i == 0 {
			v.grant = append(v.grant, "secret_note")
		}
		scope.Indices = append(scope.Indices, IndexFields{Index: "i" + strconv.Itoa(i), Fields: v})
	}
	runCases(t, Search, scope, []rewriteCase{
		{name: "strict", body: `{"query":{"match":{"secret_note":"a"}}}`, want: `{"query":{"match":{` + neutral + `:"a"}}}`},
	})
}

// TestSameViewGrouping checks that indices sharing a view pointer form one
// group, and that uncomparable views are kept apart without panicking.
func TestSameViewGrouping(t *testing.T) {
	v := aliceView()
	p := newPlan(Scope{Indices: []IndexFields{{Index: "a", Fields: v}, {Index: "b", Fields: v}}})
	if !p.single() || len(p.groups[0].indices) != 2 {
		t.Fatalf("one view shared by two indices gave %d groups", len(p.groups))
	}
	u1, u2 := uncomparableView{aliceView()}, uncomparableView{aliceView()}
	p = newPlan(Scope{Indices: []IndexFields{{Index: "a", Fields: u1}, {Index: "b", Fields: u2}}})
	if len(p.groups) != 2 {
		t.Fatalf("uncomparable views gave %d groups, want 2", len(p.groups))
	}
}

// uncomparableView is a FieldView value that == would panic on.
type uncomparableView []FieldView

func (u uncomparableView) Visible(f string) bool    { return u[0].Visible(f) }
func (u uncomparableView) Expand(p string) []string { return u[0].Expand(p) }
