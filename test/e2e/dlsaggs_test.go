package e2e

import (
	"testing"
)

// TestDLSTermsMinDocCountCoerced: min_doc_count 0 on a terms-like
// aggregation lists every term of the index, hidden documents' included,
// so it is refused under DLS; the cluster reads min_doc_count as a long,
// truncating 0.4, "0.99" or -0.5 to 0, so those are refused too.
func TestDLSTermsMinDocCountCoerced(t *testing.T) {
	f := startDLSFixture(t)
	for _, v := range []string{`0`, `0.4`, `"0.99"`, `-0.5`, `"+0"`} {
		for _, agg := range []string{"terms", "significant_terms"} {
			body := `{"size":0,"aggs":{"n":{"` + agg + `":{"field":"customer.name","min_doc_count":` + v + `,"size":50}}}}`
			f.req(t, "dls", "POST", "/"+f.index+"/_search", body, canaryHiddenDoc)
		}
	}
}
