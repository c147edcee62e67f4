package server

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// TestRefClauseNamesTheRouting: the visibility check of a document names
// its routing, or the absence of one, so that a copy of the _id written
// with another routing (on another shard) cannot stand in for it.
func TestRefClauseNamesTheRouting(t *testing.T) {
	for _, tc := range []struct {
		ref  docRef
		want string
	}{
		{docRef{id: "dup"}, `{"bool":{"filter":[{"ids":{"values":["dup"]}}],"must_not":[{"exists":{"field":"_routing"}}]}}`},
		{docRef{id: "dup", routing: "r1,x"}, `{"bool":{"filter":[{"ids":{"values":["dup"]}},{"term":{"_routing":"r1,x"}}]}}`},
	} {
		b, err := esbody.Encode(refClause(tc.ref))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("%+v: got %s, want %s", tc.ref, b, tc.want)
		}
	}
}

// TestMgetPinsHides: an _mget document of an index under DLS comes back
// only if it is the version the check found visible.
func TestMgetPinsHides(t *testing.T) {
	p := &mgetPins{
		restricted: map[string]bool{"ix": true},
		visible:    map[mgetKey]docPin{{"ix", "a", ""}: {version: 1, seqNo: 5, primaryTerm: 1}, {"ix", "b", "r"}: {version: 2, seqNo: 7, primaryTerm: 2}},
	}
	str := func(s string) *string { return &s }
	num := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		name        string
		index, id   string
		routing     *string
		seqNo, term *int64
		hidden      bool
	}{
		{"the checked version", "ix", "a", nil, num(5), num(1), false},
		{"routed copy checked", "ix", "b", str("r"), num(7), num(2), false},
		{"a newer version", "ix", "a", nil, num(6), num(1), true},
		{"another primary term", "ix", "a", nil, num(5), num(2), true},
		{"a copy with another routing", "ix", "a", str("r"), num(5), num(1), true},
		{"the default-routed copy of a routed id", "ix", "b", nil, num(7), num(2), true},
		{"never checked", "ix", "c", nil, num(1), num(1), true},
		{"no _seq_no in the answer", "ix", "a", nil, nil, num(1), true},
		{"index without DLS", "other", "z", nil, num(1), num(1), false},
	} {
		if got := p.hides(tc.index, tc.id, tc.routing, tc.seqNo, tc.term); got != tc.hidden {
			t.Errorf("%s: hides = %v, want %v", tc.name, got, tc.hidden)
		}
	}
	var none *mgetPins
	if none.hides("ix", "a", nil, nil, nil) {
		t.Error("without DLS nothing is hidden")
	}
}

// TestSetRawParams: the pinned parameters replace the client's, the others
// stay exactly as written (the cluster does not read '+' as a space).
func TestSetRawParams(t *testing.T) {
	r := httptest.NewRequest("GET", "/ix/_doc/a?realtime=true&_source_includes=a+b&versio%6E=3&routing=x", nil)
	setRawParams(r, "realtime", "false", "version", "7")
	if want := "_source_includes=a+b&routing=x&realtime=false&version=7"; r.URL.RawQuery != want {
		t.Errorf("got %s, want %s", r.URL.RawQuery, want)
	}
	if r.RequestURI != "/ix/_doc/a?"+r.URL.RawQuery {
		t.Errorf("RequestURI %s", r.RequestURI)
	}
}

// TestPinnedExplainDropsOtherVersions: the document an _explain answer
// carries ("get") must be the version the visibility check found visible;
// another one (a refresh between the check and the explain published a
// hidden version) is dropped.
func TestPinnedExplainDropsOtherVersions(t *testing.T) {
	pin := &docPin{version: 1, seqNo: 4, primaryTerm: 1}
	for _, tc := range []struct{ name, in, want string }{
		{"checked version", `{"_index":"i","_id":"a","matched":true,"explanation":{"value":1},"get":{"_seq_no":4,"_primary_term":1,"found":true,"_source":{"t":"acme"}}}`,
			`{"_index":"i","_id":"a","matched":true,"explanation":{"value":1},"get":{"_seq_no":4,"_primary_term":1,"found":true,"_source":{"t":"acme"}}}`},
		{"newer version", `{"_index":"i","_id":"a","matched":false,"get":{"_seq_no":5,"_primary_term":1,"found":true,"_source":{"t":"CANARY"}},"explanation":{"value":0}}`,
			`{"_index":"i","_id":"a","matched":false,"explanation":{"value":0}}`},
		{"other primary term", `{"_index":"i","_id":"a","get":{"_seq_no":4,"_primary_term":2,"_source":{}}}`, `{"_index":"i","_id":"a"}`},
		{"no version", `{"_index":"i","get":{"found":true,"_source":{}}}`, `{"_index":"i"}`},
		{"same sequence number on another shard", `{"_index":"i","get":{"_seq_no":4,"_primary_term":1,"_routing":"r9","_source":{}}}`, `{"_index":"i"}`},
		{"no get", `{"_index":"i","matched":true}`, `{"_index":"i","matched":true}`},
	} {
		var out strings.Builder
		if err := pinnedExplain(pin, nil)(&out, strings.NewReader(tc.in)); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := strings.TrimSpace(out.String()); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
	// Chained with a further filter, which sees the pinned answer.
	var seen string
	next := func(dst io.Writer, src io.Reader) error {
		b, err := io.ReadAll(src)
		seen = string(b)
		_, _ = dst.Write(b)
		return err
	}
	var out strings.Builder
	if err := pinnedExplain(pin, next)(&out, strings.NewReader(`{"get":{"_seq_no":9,"_primary_term":1}}`)); err != nil || strings.Contains(seen, "get") {
		t.Errorf("chained: %v, next saw %s", err, seen)
	}
}
