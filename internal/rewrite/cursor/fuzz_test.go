package cursor

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// fuzzTokens are the only tokens FuzzUnwrap may see accepted: made by a
// binder with a fixed key and seeded salts, so every fuzz worker and every
// run knows the same set.
func fuzzTokens(t testing.TB) (*Binder, map[string]Kind) {
	bd := newDeterministicBinder(t, "fuzz", 42)
	valid := map[string]Kind{}
	for i, kind := range []Kind{KindScroll, KindPIT, KindAsync, KindSQLCursor} {
		indices := []string{"idx", "logs-ü"}[:i%3]
		tok := mustWrap(t, bd, kind, "UPSTREAM-"+kind.String(), bindingFor(alice, indices...))
		valid[tok] = kind
	}
	return bd, valid
}

func FuzzUnwrap(f *testing.F) {
	bd, valid := fuzzTokens(f)
	for tok, kind := range valid {
		f.Add(uint8(kind-1), tok)
		f.Add(uint8(kind), tok)
		f.Add(uint8(kind-1), tok[:len(tok)-1])
		f.Add(uint8(kind-1), tok+"A")
	}
	f.Add(uint8(0), "")
	f.Add(uint8(1), "pc1p_")
	f.Add(uint8(0), "FGluY2x1ZGVfY29udGV4dF91dWlk==")
	f.Fuzz(func(t *testing.T, k uint8, token string) {
		kind := Kind(k%4 + 1)
		up, b, err := bd.Unwrap(kind, token)
		if err != nil {
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("Unwrap(%s, %q) = %v, want ErrTampered", kind, token, err)
			}
			return
		}
		if valid[token] != kind {
			t.Fatalf("Unwrap accepted a token it never issued as %s: %q", kind, token)
		}
		if up != "UPSTREAM-"+kind.String() || b.Owner != alice {
			t.Fatalf("Unwrap(%q) = %q, %+v", token, up, b)
		}
	})
}

// topLevelFields are the members FuzzRewriteTopLevel replaces.
func topLevelFields() []Field {
	return []Field{
		{Path: "_scroll_id", Kind: KindScroll},
		{Path: "pit_id", Kind: KindPIT},
		{Path: "id", Kind: KindAsync},
		{Path: "cursor", Kind: KindSQLCursor},
	}
}

func FuzzRewriteTopLevel(f *testing.F) {
	for _, name := range []string{
		"opensearch_scroll_first.json", "opensearch_scroll_pretty.json", "opensearch_search_pit.json",
		"opensearch_get_all_pits.json", "opensearch_get_all_pits_two.json", "opensearch_scroll_missing.json", "elasticsearch_sql.json",
		"elasticsearch_async_search.json",
	} {
		f.Add(fixture(f, name))
	}
	for _, s := range []string{
		`{"_scroll_id":"a\u0041","id":"x","id":"y"}`, `{"pit_id":5}`, `[{"id":"x"}]`, ` {"cursor" : "c" } `,
		`{"a":{"id":"n"},"cursor":""}`, `{"id":"x"} {}`, `{"id":"x`, ``, `"id"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec recorder
		var out bytes.Buffer
		err := RewriteIDs(&out, bytes.NewReader(data), topLevelFields(), rec.replace)
		want, wantErr := spliceTopLevel(data)
		if wantErr != nil {
			if err == nil {
				t.Fatalf("RewriteIDs accepted %q (reference: %v)", data, wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("RewriteIDs(%q) = %v, want %q", data, err, want)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("RewriteIDs(%q)\n got %q\nwant %q", data, out.Bytes(), want)
		}
	})
}

// spliceTopLevel is the reference for FuzzRewriteTopLevel: it reads the
// whole document at once, then replaces the values of the top-level
// members of topLevelFields with the tokens recorder would issue, in
// order. It fails where RewriteIDs must: invalid JSON, more than one
// value, a named member that is not a string.
func spliceTopLevel(data []byte) ([]byte, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true))
	raw, err := dec.ReadValue()
	if err != nil {
		return nil, err
	}
	// The value is only valid until the next read: keep a copy.
	v := slices.Clone(raw)
	start := dec.InputOffset() - int64(len(v))
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, errors.New("more than one value")
	}
	if v.Kind() != '{' {
		return data, nil
	}
	kinds := map[string]Kind{}
	for _, f := range topLevelFields() {
		kinds[f.Path] = f.Kind
	}
	var rec recorder
	var out []byte
	last := int64(0)
	inner := jsontext.NewDecoder(bytes.NewReader(v), jsontext.AllowDuplicateNames(true))
	if _, err := inner.ReadToken(); err != nil {
		return nil, err
	}
	for inner.PeekKind() != '}' {
		name, err := inner.ReadToken()
		if err != nil {
			return nil, err
		}
		kind, named := kinds[name.String()]
		val, err := inner.ReadValue()
		if err != nil {
			return nil, err
		}
		if !named {
			continue
		}
		if val.Kind() != '"' {
			return nil, errors.New("named member is not a string")
		}
		id, _ := jsontext.AppendUnquote(nil, val)
		if len(id) == 0 {
			continue
		}
		end := start + inner.InputOffset()
		begin := end - int64(len(val))
		tok, _ := rec.replace(kind, string(id))
		out = append(out, data[last:begin]...)
		out, _ = jsontext.AppendQuote(out, tok)
		last = end
	}
	return append(out, data[last:]...), nil
}
