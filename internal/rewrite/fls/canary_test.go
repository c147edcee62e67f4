package fls

import (
	"fmt"
	"strings"
	"testing"
)

// fixtureKinds maps each captured response to the filter that reads it:
// those of OpenSearch 2.19 and, prefixed es_, of Elasticsearch 7.17.
var fixtureKinds = withElasticsearchFixtures(map[string]Kind{
	"search_full": KindSearch, "search_inner_multilevel": KindSearch, "search_multi_index": KindSearch,
	"search_scroll": KindSearch, "search_scroll_next": KindSearch, "search_suggest": KindSearch,
	"search_pit": KindSearch, "search_ignored": KindSearch, "search_all_fields": KindSearch, "msearch": KindSearch,
	"doc_get": KindDocument, "doc_get_escaped": KindDocument, "doc_missing": KindDocument, "mget": KindDocument,
	"explain": KindDocument, "termvectors": KindDocument, "mtermvectors": KindDocument,
	"doc_source": KindSource,
	"mapping":    KindMapping, "get_index": KindMapping, "mapping_derived": KindMapping,
	"field_mapping": KindFieldMapping, "field_caps": KindFieldCaps, "field_caps_one": KindFieldCaps,
})

// withElasticsearchFixtures adds the es_ twin of each fixture (all but
// OpenSearch's derived fields) and Elasticsearch's runtime-field ones.
func withElasticsearchFixtures(kinds map[string]Kind) map[string]Kind {
	all := map[string]Kind{
		"es_mapping_runtime": KindMapping, "es_search_runtime": KindSearch, "es_field_caps_runtime": KindFieldCaps,
	}
	for name, kind := range kinds {
		all[name] = kind
		if name != "mapping_derived" {
			all["es_"+name] = kind
		}
	}
	return all
}

// TestCanariesCapturedResponses filters every response captured from the
// real cluster under roles that hide every canary-carrying field: no canary
// may survive, in values or (for metadata responses) in field names.
func TestCanariesCapturedResponses(t *testing.T) {
	hiddenNames := []string{`"ssn"`, "secret_note", "iban", `"salary"`, `"pay"`, "all_text", `"title`,
		"hidden_code", "unknown_secret"}
	for _, role := range []string{"people_except", "people_grant", "metadata_only"} {
		f := &Filter{Policy: fixturePolicy(t, role)}
		f.Policy.(Views)["fls-derived"] = NewView(fieldAccess(t, "fls-people", role), nil)
		for name, kind := range fixtureKinds {
			t.Run(role+"/"+name, func(t *testing.T) {
				in := readFixture(t, name)
				if !strings.Contains(name, "missing") && !strings.Contains(string(in), "CANARY-FLS") && kind < KindMapping && !strings.HasSuffix(name, "search_scroll_next") {
					t.Fatalf("fixture %s carries no canary: the test would prove nothing", name)
				}
				out := apply(t, f, kind, in)
				assertNoCanary(t, out, hiddenCanaries...)
				if kind >= KindMapping {
					assertNoCanary(t, out, hiddenNames...)
				}
			})
		}
	}
}

// TestCapturedResponsesKeepVisibleData guards against a filter that passes
// the canary tests by dropping everything.
func TestCapturedResponsesKeepVisibleData(t *testing.T) {
	f := &Filter{Policy: fixturePolicy(t, "people_except")}
	tests := []struct {
		name  string
		wants []string
	}{
		{"search_full", []string{`"name":"Alice Example"`, `"customer":{"name":"acme","address":{"city":"Lyon"`, `"highlight":{"comments.text":["nice <em>work</em>"`,
			`"comments.author":["bob","dave"]`, `"_explanation":`, `"top_comments":{"hits":`, `"_nested":{"field":"comments","offset":0}`, `"sort":["1"]`}},
		{"search_inner_multilevel", []string{`"_source":{"weight":3,"voter":"carol"}`, `"_source":{"author":"bob","votes":[{"weight":3,"voter":"carol"}],"text":"nice work"}`}},
		{"doc_get_escaped", []string{`"name": "Bob Builder"`[:0] + `"name":"Bob Builder"`, `"tags":"c"`}},
		{"search_multi_index", []string{`"note":"work note"`, `"_index":"fls-other"`}},
		{"mapping", []string{`"public_text":{"type":"text"}`, `"name":{"type":"text","fields":{"keyword":{"type":"keyword"}}}`}},
		{"field_caps", []string{`"public_text":{"text"`, `"name":{"text":{"type":"text","searchable":true,"aggregatable":false,"indices":["fls-people"]}`}},
		{"termvectors", []string{`"bio":{"field_statistics"`, `"name.keyword":`}},
	}
	for _, tt := range tests {
		out := compactJSON(t, apply(t, f, fixtureKinds[tt.name], readFixture(t, tt.name)))
		assertContains(t, out, tt.wants...)
	}
}

// hiddenSpellings are ways to write the name of the hidden field "secret"
// (or the hidden "o.s") as a member name.
var hiddenSpellings = []string{`"secret"`, `"s\u0065cret"`, `"\u0073\u0065\u0063\u0072\u0065\u0074"`, `"o.s"`, `"o\u002es"`, `"bank.iban"`}

// canaryTemplates place %s (a member "name":value carrying the canary,
// written in a hidden spelling) in every position a response can carry
// field content.
var canaryTemplates = []struct {
	name string
	kind Kind
	tmpl string
}{
	{"source", KindSearch, `{"hits":{"hits":[{"_index":"i","_source":{"a":1,%s}}]}}`},
	{"source before _index", KindSearch, `{"hits":{"hits":[{"_source":{%s},"_index":"i"}]}}`},
	{"fields", KindSearch, `{"hits":{"hits":[{"_index":"i","fields":{%s}}]}}`},
	{"highlight", KindSearch, `{"hits":{"hits":[{"_index":"i","highlight":{%s}}]}}`},
	{"ignored_field_values", KindSearch, `{"hits":{"hits":[{"_index":"i","ignored_field_values":{%s}}]}}`},
	{"inner hits", KindSearch, `{"hits":{"hits":[{"_index":"i","inner_hits":{"x":{"hits":{"hits":[{"_index":"i","_source":{%s},"fields":{%s}}]}}}}]}}`},
	{"top_hits", KindSearch, `{"aggregations":{"t":{"hits":{"hits":[{"_index":"i","_source":{%s}}]}}}}`},
	{"top_hits in buckets", KindSearch, `{"aggregations":{"t":{"buckets":[{"key":"k","h":{"hits":{"hits":[{"_index":"i","_source":{%s}}]}}}]}}}`},
	{"completion suggestion", KindSearch, `{"suggest":{"s":[{"options":[{"_index":"i","_source":{%s}}]}]}}`},
	{"msearch", KindSearch, `{"responses":[{"hits":{"hits":[{"_index":"i","_source":{%s}}]}}]}`},
	{"async search", KindSearch, `{"id":"x","response":{"hits":{"hits":[{"_index":"i","_source":{%s}}]}}}`},
	{"unknown index", KindSearch, `{"hits":{"hits":[{"_index":"nope","_source":{"a":"CANARY-FLS-Z",%s},"fields":{"a":["CANARY-FLS-Z"]}}]}}`},
	{"no index", KindSearch, `{"hits":{"hits":[{"_source":{"a":"CANARY-FLS-Z",%s}}]}}`},
	{"unknown hit member", KindSearch, `{"hits":{"hits":[{"_index":"i","_new_member":{%s}}]}}`},
	{"get", KindDocument, `{"_index":"i","found":true,"_source":{%s},"fields":{%s}}`},
	{"mget", KindDocument, `{"docs":[{"_index":"i","_source":{%s}}]}`},
	{"explain", KindDocument, `{"get":{"_source":{%s}},"_index":"i"}`},
	{"termvectors", KindDocument, `{"_index":"i","term_vectors":{%s}}`},
	{"get source", KindSource, `{"a":1,%s}`},
	{"mapping", KindMapping, `{"i":{"mappings":{"properties":{"a":{"type":"keyword"},%s}}}}`},
	{"field mapping", KindFieldMapping, `{"i":{"mappings":{%s}}}`},
	{"field caps", KindFieldCaps, `{"indices":["i"],"fields":{%s}}`},
}

// canaryValue is a value carrying the canary, shaped for the position.
func canaryValue(kind Kind, n int) string {
	c := fmt.Sprintf(`"CANARY-FLS-%d"`, n)
	switch kind {
	case KindMapping:
		return `{"type":"keyword","meta":{"c":` + c + `}}`
	case KindFieldMapping:
		return `{"full_name":` + c + `,"mapping":{"x":{"type":"keyword","meta":{"c":` + c + `}}}}`
	case KindFieldCaps:
		return `{"keyword":{"type":"keyword","meta":{"c":[` + c + `]}}}`
	}
	return `[` + c + `,{"v":` + c + `}]`
}

func TestCanariesEveryPosition(t *testing.T) {
	for _, role := range []string{"i_except", "i_grant"} {
		f := &Filter{Policy: smallPolicy(t, role)}
		for _, tmpl := range canaryTemplates {
			for i, name := range hiddenSpellings {
				if tmpl.kind >= KindMapping && strings.Contains(name, "o") && !strings.Contains(name, "secret") {
					// Mapping members are single path segments.
					continue
				}
				member := name + ":" + canaryValue(tmpl.kind, i)
				in := strings.ReplaceAll(tmpl.tmpl, "%s", member)
				t.Run(role+"/"+tmpl.name+"/"+name, func(t *testing.T) {
					out := applyIndex(t, f, tmpl.kind, []byte(in), "i")
					assertNoCanary(t, out, "CANARY-FLS")
				})
			}
		}
	}
}

// TestCanaryNestedObjectSpellings hides o.s written as an object, a flat
// key and mixes of both, at every depth of _source.
func TestCanaryNestedObjectSpellings(t *testing.T) {
	f := &Filter{Policy: smallPolicy(t, "i_except")}
	for _, src := range []string{
		`{"o":{"s":"CANARY-FLS-1"}}`, `{"o.s":"CANARY-FLS-2"}`, `{"o":[{"s":"CANARY-FLS-3"}]}`,
		`{"o":{"s":["CANARY-FLS-4",{"deep":"CANARY-FLS-5"}]}}`, `{"bank":{"iban":{"x":"CANARY-FLS-6"}}}`,
		`{"n":[{"m":[{"s":"CANARY-FLS-7"}]}]}`, `{"n.m":{"s":"CANARY-FLS-8"}}`, `{"\u006f":{"\u0073":"CANARY-FLS-9"}}`,
	} {
		in := `{"hits":{"hits":[{"_index":"i","_source":` + src + `}]}}`
		out := apply(t, f, KindSearch, []byte(in))
		assertNoCanary(t, out, "CANARY-FLS")
	}
}

// TestConcurrentUse filters responses in parallel through one Filter and
// shared views (run with -race): the views' lazily computed decisions are
// shared.
func TestConcurrentUse(t *testing.T) {
	f := &Filter{Policy: fixturePolicy(t, "people_except")}
	want := apply(t, f, KindSearch, readFixture(t, "es_search_full"))
	f = &Filter{Policy: fixturePolicy(t, "people_except")}
	errs := make(chan string, 8)
	for range 8 {
		go func() {
			var out strings.Builder
			err := f.Search(&out, strings.NewReader(string(readFixture(t, "es_search_full"))))
			switch {
			case err != nil:
				errs <- err.Error()
			case out.String() != want:
				errs <- "different output"
			default:
				errs <- ""
			}
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}
