package cursor

import (
	"encoding/json"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// fls builds a FieldAccess from (grant, except) pairs. Only Sets matter to
// the fingerprint.
func fls(sets ...[2][]string) *authz.FieldAccess {
	fa := &authz.FieldAccess{}
	for _, s := range sets {
		fa.Sets = append(fa.Sets, authz.FieldSecurity{Grant: s[0], Except: s[1]})
	}
	return fa
}

func queries(qs ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(qs))
	for i, q := range qs {
		out[i] = json.RawMessage(q)
	}
	return out
}

func TestFingerprintIgnoresOrderAndSpelling(t *testing.T) {
	base := []authz.IndexAccess{
		{Index: "a", Queries: queries(`{"term":{"dept":"x"}}`, `{"range":{"n":{"gte":1,"lt":10}}}`), Fields: fls([2][]string{{"title", "body"}, {"body.secret"}})},
		{Index: "b", Fields: fls([2][]string{{"*"}, nil}, [2][]string{{"x"}, {"y"}})},
	}
	tests := []struct {
		name   string
		access []authz.IndexAccess
	}{
		{"indices reordered", []authz.IndexAccess{base[1], base[0]}},
		{"queries reordered", []authz.IndexAccess{
			{Index: "a", Queries: queries(`{"range":{"n":{"gte":1,"lt":10}}}`, `{"term":{"dept":"x"}}`), Fields: base[0].Fields}, base[1]}},
		{"query members reordered and spaced", []authz.IndexAccess{
			{Index: "a", Queries: queries(` { "term" : { "dept" : "x" } } `, `{"range":{"n":{"lt":10,"gte":1}}}`), Fields: base[0].Fields}, base[1]}},
		{"query repeated", []authz.IndexAccess{
			{Index: "a", Queries: queries(`{"term":{"dept":"x"}}`, `{"term":{"dept":"x"}}`, `{"range":{"n":{"gte":1,"lt":10}}}`), Fields: base[0].Fields}, base[1]}},
		{"field sets and patterns reordered", []authz.IndexAccess{
			{Index: "a", Queries: base[0].Queries, Fields: fls([2][]string{{"body", "title"}, {"body.secret"}})},
			{Index: "b", Fields: fls([2][]string{{"x"}, {"y"}}, [2][]string{{"*"}, nil})}}},
		{"unrestricted index added", append([]authz.IndexAccess{{Index: "c"}}, base...)},
	}
	want := FingerprintOf(base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FingerprintOf(tt.access); got != want {
				t.Fatalf("fingerprint %s differs from %s", got, want)
			}
		})
	}
	if FingerprintOf(nil) != FingerprintOf([]authz.IndexAccess{{Index: "x"}, {Index: "y"}}) {
		t.Error("no access and all-unrestricted access differ")
	}
}

func TestFingerprintSeesEveryRestrictionChange(t *testing.T) {
	base := []authz.IndexAccess{
		{Index: "a", Queries: queries(`{"term":{"id":12345678901234567890}}`), Fields: fls([2][]string{{"title"}, {"title.raw"}})},
	}
	tests := []struct {
		name   string
		access []authz.IndexAccess
	}{
		{"no restriction", nil},
		{"other index", []authz.IndexAccess{{Index: "b", Queries: base[0].Queries, Fields: base[0].Fields}}},
		{"big number differs in the last digit", []authz.IndexAccess{{Index: "a", Queries: queries(`{"term":{"id":12345678901234567891}}`), Fields: base[0].Fields}}},
		{"number spelled as a float", []authz.IndexAccess{{Index: "a", Queries: queries(`{"term":{"id":1.2345678901234567890e19}}`), Fields: base[0].Fields}}},
		{"number as a string", []authz.IndexAccess{{Index: "a", Queries: queries(`{"term":{"id":"12345678901234567890"}}`), Fields: base[0].Fields}}},
		{"a query OR-ed in", []authz.IndexAccess{{Index: "a", Queries: queries(`{"term":{"id":12345678901234567890}}`, `{"match_all":{}}`), Fields: base[0].Fields}}},
		{"DLS lifted", []authz.IndexAccess{{Index: "a", Fields: base[0].Fields}}},
		{"FLS lifted", []authz.IndexAccess{{Index: "a", Queries: base[0].Queries}}},
		{"grant widened", []authz.IndexAccess{{Index: "a", Queries: base[0].Queries, Fields: fls([2][]string{{"title", "body"}, {"title.raw"}})}}},
		{"except dropped", []authz.IndexAccess{{Index: "a", Queries: base[0].Queries, Fields: fls([2][]string{{"title"}, nil})}}},
		{"grant moved to except", []authz.IndexAccess{{Index: "a", Queries: base[0].Queries, Fields: fls([2][]string{{"title.raw"}, {"title"}})}}},
		{"second field set", []authz.IndexAccess{{Index: "a", Queries: base[0].Queries, Fields: fls([2][]string{{"title"}, {"title.raw"}}, [2][]string{{"x"}, nil})}}},
		{"empty grant instead of all fields", []authz.IndexAccess{{Index: "a", Queries: base[0].Queries, Fields: fls([2][]string{nil, nil})}}},
		{"unparsable query", []authz.IndexAccess{{Index: "a", Queries: queries(`{"term":`), Fields: base[0].Fields}}},
	}
	want := FingerprintOf(base)
	seen := map[Fingerprint]string{want: "base"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FingerprintOf(tt.access)
			if prev, dup := seen[got]; dup {
				t.Fatalf("fingerprint equals the one of %q", prev)
			}
			seen[got] = tt.name
		})
	}
}

func TestNewBindingFingerprintsTheAccess(t *testing.T) {
	access := []authz.IndexAccess{{Index: "a", Queries: queries(`{"match_all":{}}`)}}
	indices := []string{"a"}
	bd := NewBinding(alice, indices, access, bindingFor(alice).Created)
	indices[0] = "changed"
	if bd.Indices[0] != "a" {
		t.Error("NewBinding shares the caller's indices slice")
	}
	if !bd.SameRestrictions(FingerprintOf(access)) || bd.SameRestrictions(FingerprintOf(nil)) {
		t.Error("binding fingerprint does not match its access")
	}
	if err := bd.Check(alice, FingerprintOf(access)); err != nil {
		t.Errorf("Check: %v", err)
	}
}
