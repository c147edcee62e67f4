package dls

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

func TestQueryFromURL(t *testing.T) {
	tests := []struct {
		name, query, want string
		consumed          []string
	}{
		{"none", "size=1", "", nil},
		{"q only", "q=tenant:acme", `{"query_string":{"query":"tenant:acme"}}`, []string{"q"}},
		{"all", "q=a+b&df=message&default_operator=and&analyzer=standard&analyze_wildcard=true&lenient=false",
			`{"query_string":{"query":"a b","default_field":"message","default_operator":"AND","analyzer":"standard","analyze_wildcard":true,"lenient":false}}`,
			[]string{"q", "df", "default_operator", "analyzer", "analyze_wildcard", "lenient"}},
		{"operator case", "q=x&default_operator=Or", `{"query_string":{"query":"x","default_operator":"OR"}}`, []string{"q", "default_operator"}},
		{"empty q", "q=", `{"query_string":{"query":""}}`, []string{"q"}},
		{"empty boolean is default", "q=x&lenient=", `{"query_string":{"query":"x"}}`, []string{"q", "lenient"}},
		{"df without q still consumed", "df=message", "", []string{"df"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			q, consumed, err := QueryFromURL(values)
			if err != nil {
				t.Fatalf("QueryFromURL: %v", err)
			}
			if (q == nil) != (tt.want == "") || (q != nil && encode(t, q) != canonical(t, tt.want)) {
				t.Fatalf("query = %v, want %s", q, tt.want)
			}
			if !slices.Equal(consumed, tt.consumed) {
				t.Fatalf("consumed = %v, want %v", consumed, tt.consumed)
			}
		})
	}
}

func TestQueryFromURLRefusals(t *testing.T) {
	for _, query := range []string{"q=a&q=b", "q=a&df=x&df=y", "q=a&default_operator=xor", "q=a&lenient=yes", "q=a&analyze_wildcard=1"} {
		values, _ := url.ParseQuery(query)
		_, _, err := QueryFromURL(values)
		wantRefusal(t, err, http.StatusBadRequest, "")
	}
}

func TestApplyURLQuery(t *testing.T) {
	qs := `{"query_string":{"query":"tenant:acme"}}`
	tests := []struct {
		name   string
		kind   BodyKind
		body   string
		values string
		want   string // "" for a nil body; "refuse" for a refusal
	}{
		{"search: q replaces the body query", Search, `{"query":{"match_none":{}},"size":1}`, "q=tenant:acme", `{"query":` + qs + `,"size":1}`},
		{"search: q without body", Search, "", "q=tenant:acme", `{"query":` + qs + `}`},
		{"search: no q", Search, `{"size":1}`, "size=2", `{"size":1}`},
		{"search: no q, no body", Search, "", "", ""},
		{"delete by query", DeleteByQuery, `{"query":{"match_all":{}}}`, "q=tenant:acme", `{"query":` + qs + `}`},
		{"explain: body wins", Explain, `{"query":{"match_none":{}}}`, "q=tenant:acme", `{"query":{"match_none":{}}}`},
		{"explain: q without body", Explain, "", "q=tenant:acme", `{"query":` + qs + `}`},
		{"count: q without body", Count, "", "q=tenant:acme", `{"query":` + qs + `}`},
		{"count: body and q", Count, `{"query":{"match_none":{}}}`, "q=tenant:acme", "refuse"},
		{"count: empty body and q", Count, `{}`, "q=tenant:acme", `{"query":` + qs + `}`},
		{"explain: empty body and q", Explain, `{}`, "q=tenant:acme", `{"query":` + qs + `}`},
		{"validate: body and q", ValidateQuery, `{"query":{"match_all":{}}}`, "q=tenant:acme", "refuse"},
		{"knn search: q", KnnSearch, "", "q=x", "refuse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *esbody.Object
			if tt.body != "" {
				body = mustObject(t, tt.body)
			}
			before := ""
			if body != nil {
				before = encode(t, body)
			}
			values, _ := url.ParseQuery(tt.values)
			out, consumed, err := ApplyURLQuery(tt.kind, body, values)
			if tt.want == "refuse" {
				wantRefusal(t, err, http.StatusBadRequest, "[q]")
				return
			}
			if err != nil {
				t.Fatalf("ApplyURLQuery: %v", err)
			}
			if values.Has("q") && !slices.Contains(consumed, "q") {
				t.Fatalf("q not consumed: %v", consumed)
			}
			if tt.want == "" {
				if out != nil {
					t.Fatalf("body = %s, want none", encode(t, out))
				}
				return
			}
			if got := encode(t, out); got != canonical(t, tt.want) {
				t.Fatalf("body = %s, want %s", got, canonical(t, tt.want))
			}
			if body != nil && encode(t, body) != before {
				t.Fatal("ApplyURLQuery modified its input")
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		kind   BodyKind
		query  string
		reason string // "" when allowed
	}{
		{Search, "q=x&size=1&scroll=1m", ""},
		{Search, "suggest_field=m&suggest_text=x", reasonSuggest},
		{DeleteByQuery, "suggest_mode=always", reasonSuggest},
		{Search, "search_pipeline=p", "[search_pipeline]"},
		{ValidateQuery, "rewrite=true", reasonRewrite},
		{ValidateQuery, "rewrite=yes", reasonRewrite},
		{ValidateQuery, "rewrite=false&explain=true", ""},
		{ValidateQuery, "rewrite=", reasonRewrite},             // the cluster reads an empty flag as true
		{ValidateQuery, "explain=true&rewrite", reasonRewrite}, // and a valueless one
		{ValidateQuery, "explain=true", ""},
		{Count, "suggest_field=x", ""},
	}
	for _, tt := range tests {
		values, _ := url.ParseQuery(tt.query)
		err := CheckURL(tt.kind, values)
		if tt.reason == "" {
			if err != nil {
				t.Errorf("%s?%s: %v", tt.kind, tt.query, err)
			}
			continue
		}
		wantRefusal(t, err, http.StatusBadRequest, tt.reason)
	}
}
