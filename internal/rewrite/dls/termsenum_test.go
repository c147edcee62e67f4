package dls

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestTermsEnumIndices(t *testing.T) {
	indices := []IndexDLS{
		{Index: "open"},
		{Index: "dls", Queries: raws(acme)},
		{Index: "dls-but-all", Queries: raws(acme, `{"match_all":{"boost":2}}`)},
		{Index: "template", Queries: raws(`{"template":{"source":"{\"match_all\":{}}"}}`)},
	}
	got := TermsEnumIndices(indices)
	if want := []string{"open", "dls-but-all"}; !slices.Equal(got, want) {
		t.Fatalf("TermsEnumIndices = %v, want %v", got, want)
	}
	if got := TermsEnumIndices(indices[1:2]); len(got) != 0 {
		t.Fatalf("TermsEnumIndices = %v, want none", got)
	}
}

func TestEmptyTermsEnumResponse(t *testing.T) {
	var resp struct {
		Shards   struct{ Total, Successful, Failed int } `json:"_shards"`
		Terms    []string                                `json:"terms"`
		Complete bool                                    `json:"complete"`
	}
	if err := json.Unmarshal(EmptyTermsEnumResponse(3), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Shards.Total != 3 || resp.Shards.Successful != 3 || resp.Shards.Failed != 0 || resp.Terms == nil || len(resp.Terms) != 0 || !resp.Complete {
		t.Fatalf("response = %+v", resp)
	}
}
