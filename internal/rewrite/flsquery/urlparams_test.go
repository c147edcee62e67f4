package flsquery

import (
	"slices"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// TestQueryFromURL checks the query built from URL parameters and its
// rewrite.
func TestQueryFromURL(t *testing.T) {
	scope := oneIndex("logs-acme-2024", aliceView())
	cases := []struct {
		name   string
		params URLQuery
		want   string
		refuse bool
	}{
		{name: "no q", params: URLQuery{DF: "message"}, want: ""},
		{name: "empty q", params: URLQuery{HasQ: true},
			want: `{"query":{"query_string":{"query":"","fields":["@timestamp","tenant","message","user.name"],"lenient":true}}}`},
		{name: "hidden prefix", params: URLQuery{Q: "tenant:globex OR salary:>1", DF: "message"},
			want: `{"query":{"query_string":{"query":"tenant:globex OR .portcullis_hidden_field:>1","default_field":"message"}}}`},
		{name: "hidden df", params: URLQuery{Q: "amber", DF: "secret_note", AnalyzeWildcard: "true", Lenient: "false", DefaultOperator: "AND"},
			want: `{"query":{"query_string":{"query":"amber","default_field":".portcullis_hidden_field","analyze_wildcard":true,"lenient":false,"default_operator":"AND"}}}`},
		{name: "bad boolean", params: URLQuery{Q: "a", Lenient: "yes"}, refuse: true},
		{name: "bad operator", params: URLQuery{Q: "a", DefaultOperator: "xor"}, refuse: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := QueryFromURL(tc.params)
			if tc.refuse {
				if err == nil {
					t.Fatalf("want a refusal, got %v", q)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q == nil {
				if tc.want != "" {
					t.Fatalf("got no query, want %s", tc.want)
				}
				return
			}
			body := single("query", q)
			out, err := Rewrite(body, scope)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := esbody.Encode(out)
			if string(b) != compact(t, tc.want) {
				t.Fatalf("got %s\nwant %s", b, compact(t, tc.want))
			}
		})
	}
}

// TestSortFromURL checks the URL sort parameter conversion.
func TestSortFromURL(t *testing.T) {
	got, err := SortFromURL("salary:desc, _score ,tenant:asc,a:b:asc")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := esbody.Encode(got)
	want := `[{"salary":"desc"},"_score",{"tenant":"asc"},{"a:b":"asc"}]`
	if string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	if _, err := SortFromURL("salary:sideways"); err == nil {
		t.Fatal("an unknown order must be refused")
	}
	body := single("sort", got)
	out, err := Rewrite(body, oneIndex("i", aliceView()))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = esbody.Encode(out)
	if want := `{"sort":[{` + neutral + `:{"order":"desc","unmapped_type":"keyword"}},"_score",{"tenant":"asc"},{` + neutral + `:{"order":"asc","unmapped_type":"keyword"}}]}`; string(b) != want {
		t.Fatalf("rewritten sort %s, want %s", b, want)
	}
}

// TestSuggestFromURL checks the URL suggester conversion and its rewrite.
func TestSuggestFromURL(t *testing.T) {
	s, err := SuggestFromURL("secret_note", "amber", "always", "5")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Rewrite(single("suggest", s), oneIndex("i", aliceView()))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := esbody.Encode(out)
	want := `{"suggest":{"secret_note":{"text":"amber","term":{"field":` + neutral + `,"suggest_mode":"always","size":5}}}}`
	if string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	if s, err := SuggestFromURL("", "x", "", ""); s != nil || err != nil {
		t.Fatalf("no suggest_field gave %v, %v", s, err)
	}
	if _, err := SuggestFromURL("f", "x", "", "many"); err == nil {
		t.Fatal("a bad suggest_size must be refused")
	}
}

// TestVisibilityHelpers checks FieldVisible and VisibleFields over one
// and several views.
func TestVisibilityHelpers(t *testing.T) {
	wide := &fakeView{mapped: logsMapping(), grant: []string{"*"}}
	scope := Scope{Indices: []IndexFields{{Index: "a", Fields: aliceView()}, {Index: "b", Fields: wide}, {Index: "c"}}}
	cases := []struct {
		field string
		want  bool
	}{
		{"tenant", true}, {"user.name", true}, {"secret_note", false}, {"user.email", false}, {"_id", true},
		{"_field_names", false}, {"_exists_", false}, {"user.*", false}, {"", false}, {NeutralField, true},
	}
	for _, tc := range cases {
		if got := FieldVisible(scope, tc.field); got != tc.want {
			t.Errorf("FieldVisible(%q) = %v, want %v", tc.field, got, tc.want)
		}
	}
	if got := VisibleFields(scope, "user.*"); !slices.Equal(got, []string{"user.name"}) {
		t.Errorf("VisibleFields(user.*) = %v", got)
	}
	if got := VisibleFields(scope, "s*"); len(got) != 0 {
		t.Errorf("VisibleFields(s*) = %v, want none", got)
	}
	free := Scope{Indices: []IndexFields{{Index: "c"}}}
	if !FieldVisible(free, "secret_note") || VisibleFields(free, "*") != nil || HasFLS(free) {
		t.Error("without FLS every field is visible and patterns are left to the caller")
	}
}
