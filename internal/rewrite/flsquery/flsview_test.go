package flsquery

import (
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
)

// corpusLogsMapping is the mapping of the corpus logs-* indices, with the
// Elasticsearch runtime field, as GET /<index>/_mapping returns it.
const corpusLogsMapping = `{"logs-acme-2024":{"mappings":{
 "runtime":{"user.rt_secret":{"type":"keyword","script":{"source":"emit(params._source.secret_note)"}}},
 "properties":{
  "@timestamp":{"type":"date"},"tenant":{"type":"keyword"},"tenant_internal":{"type":"keyword"},
  "message":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},
  "user":{"properties":{"name":{"type":"keyword"},"email":{"type":"keyword"},"ssn_alias":{"type":"alias","path":"user_ssn"}}},
  "secret_note":{"type":"text","store":true,"copy_to":"all_text","fields":{"keyword":{"type":"keyword"}}},
  "all_text":{"type":"text"},"salary":{"type":"long"},"user_ssn":{"type":"keyword"},"code":{"type":"keyword"},
  "comments":{"type":"nested","properties":{"author":{"type":"keyword"},"text":{"type":"text"}}},
  "event":{"properties":{"category":{"type":"keyword"}}}}}}}`

// alicePredicate is the corpus role acme_reader's field_security.
type alicePredicate struct{}

func (alicePredicate) Allows(field string) bool {
	return matchesAny([]string{"@timestamp", "tenant", "message", "user.*"}, field) && field != "user.email"
}

// TestWithFLSView runs the corpus FLS cases against the mapping-aware
// view of package fls, checking that it meets the FieldView contract this
// package relies on (Expand yields visible leaves only; aliases, runtime
// fields, multi-fields and copy_to targets of hidden fields are hidden).
func TestWithFLSView(t *testing.T) {
	maps, err := fls.ParseMappings([]byte(corpusLogsMapping))
	if err != nil {
		t.Fatal(err)
	}
	view := fls.NewView(alicePredicate{}, maps["logs-acme-2024"])
	scope := oneIndex("logs-acme-2024", view)
	n := neutral
	runCases(t, Search, scope, []rewriteCase{
		{name: "alias to hidden", body: `{"aggs":{"a":{"terms":{"field":"user.ssn_alias"}}}}`,
			want: `{"aggs":{"a":{"terms":{"field":` + n + `}}}}`},
		{name: "runtime field", body: `{"query":{"term":{"user.rt_secret":"x"}}}`, want: `{"query":{"term":{` + n + `:"x"}}}`},
		{name: "copy_to target", body: `{"query":{"match":{"all_text":"amber"}}}`, want: `{"query":{"match":{` + n + `:"amber"}}}`},
		{name: "nested path", body: `{"query":{"nested":{"path":"comments","query":{"match_all":{}}}}}`,
			want: `{"query":{"nested":{"path":` + n + `,"query":{"match_all":{}},"ignore_unmapped":true}}}`},
	})
	// Whatever the view decides for multi-fields (the corpus says
	// message.keyword is not granted by "message"), the rewritten body
	// must reference only fields it calls visible.
	for _, body := range fuzzSeeds() {
		o, err := esbody.ParseObject([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		out, err := Rewrite(o, scope)
		if err != nil {
			continue
		}
		if err := checkNoHiddenReference(Search, out, view); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}
