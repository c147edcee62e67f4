package fls

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/go-json-experiment/json/jsontext"
)

// addFixtureSeeds adds captured responses (and the small fixtures' cases)
// as seeds.
func addFixtureSeeds(f *testing.F, kinds ...Kind) {
	for name, kind := range fixtureKinds {
		for _, k := range kinds {
			if k == kind {
				f.Add(readFixture(f, name))
			}
		}
	}
}

// lexCopy reads one JSON value with the lexer, token by token, and writes
// it back compactly.
func lexCopy(r io.Reader) ([]byte, error) {
	l := newLexer(r)
	var out []byte
	if l.peek() == 0 {
		if err := l.finish(); err != nil {
			return nil, err
		}
		return nil, errors.New("no value")
	}
	if err := lexCopyValue(l, &out); err != nil {
		return nil, err
	}
	return out, l.finish()
}

func lexCopyValue(l *lexer, out *[]byte) error {
	switch l.peek() {
	case '{', '[':
		closer := byte('}')
		if l.peek() == '[' {
			closer = ']'
		}
		*out = append(*out, l.peek())
		if err := l.delim(); err != nil {
			return err
		}
		for i := 0; l.peek() != closer; i++ {
			if i > 0 {
				*out = append(*out, ',')
			}
			if closer == '}' {
				name, err := l.raw()
				if err != nil {
					return err
				}
				*out = append(append(*out, name...), ':')
			}
			if err := lexCopyValue(l, out); err != nil {
				return err
			}
		}
		*out = append(*out, closer)
		return l.delim()
	}
	v, err := l.raw()
	*out = append(*out, v...)
	return err
}

// referenceCompact is jsontext's reading of b: the compact value, or an
// error when b is not exactly one valid JSON value.
func referenceCompact(b []byte) ([]byte, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(b), jsontext.AllowDuplicateNames(true))
	v, err := dec.ReadValue()
	if err != nil {
		return nil, err
	}
	v = v.Clone()
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, errors.New("data after the value")
	}
	if err := v.Compact(jsontext.AllowDuplicateNames(true)); err != nil {
		return nil, err
	}
	return v, nil
}

// chunkReader returns its input in pieces of varying sizes.
type chunkReader struct {
	b    []byte
	size int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	c.size = c.size%7 + 1
	n := copy(p[:min(len(p), c.size)], c.b)
	c.b = c.b[n:]
	return n, nil
}

// FuzzLexerMatchesJSONText holds the lexer to jsontext: it accepts
// exactly the inputs jsontext accepts (duplicate names allowed) and reads
// the same tokens, whatever the size of the reads.
func FuzzLexerMatchesJSONText(f *testing.F) {
	addFixtureSeeds(f, KindSearch, KindDocument, KindSource, KindMapping, KindFieldMapping, KindFieldCaps)
	for _, s := range []string{`"\ud800\udc00"`, `"\ud800"`, `-0.5e+10`, `01`, `[1,]`, `{"a":1,}`, `{"a" 1}`, "\"\xff\"",
		`[[[]]]`, ` true `, `nul`, `1 2`, `{"a":{"b":[1,{"c":null}]}}`, `"\u00e9\n\/"`, `[-]`, `1.`, `1e`, `[1e5,2E-3]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantErr := referenceCompact(in)
		readers := func() map[string]io.Reader {
			return map[string]io.Reader{
				"whole":     bytes.NewReader(in),
				"bytewise":  iotest.OneByteReader(bytes.NewReader(in)),
				"chunked":   &chunkReader{b: in},
				"half-read": iotest.HalfReader(bytes.NewReader(in)),
			}
		}
		for name, r := range readers() {
			got, err := lexCopy(r)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("%s: lexer error %v, jsontext error %v, input %q", name, err, wantErr, in)
			}
			if err == nil && !bytes.Equal(got, want) {
				t.Fatalf("%s: lexer read %q, jsontext %q", name, got, want)
			}
		}
		// The whole-value paths: raw (a value read in one piece) and skip.
		for name, r := range readers() {
			l := newLexer(r)
			raw, err := l.raw()
			if err == nil {
				err = l.finish()
			}
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("raw, %s: lexer error %v, jsontext error %v, input %q", name, err, wantErr, in)
			}
			if err == nil {
				v := jsontext.Value(bytes.Clone(raw))
				if cerr := v.Compact(jsontext.AllowDuplicateNames(true)); cerr != nil || !bytes.Equal(v, want) {
					t.Fatalf("raw, %s: read %q (%v), jsontext %q", name, raw, cerr, want)
				}
			}
		}
		for name, r := range readers() {
			l := newLexer(r)
			err := l.skip()
			if err == nil {
				err = l.finish()
			}
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("skip, %s: lexer error %v, jsontext error %v, input %q", name, err, wantErr, in)
			}
		}
	})
}

// filterAndCheck runs a filter and checks its output: valid JSON whenever
// it succeeds, and the oracle finds nothing hidden in it.
func filterAndCheck(t *testing.T, in []byte, run func(io.Writer, io.Reader) error, check func(*oracle, *node)) {
	t.Helper()
	var out bytes.Buffer
	if err := run(&out, iotest.HalfReader(bytes.NewReader(in))); err != nil {
		return
	}
	if out.Len() == 0 {
		if strings.TrimSpace(string(in)) != "" {
			t.Fatalf("empty output for a non-empty input %q", in)
		}
		return
	}
	tree, err := parseTree(out.Bytes())
	if err != nil {
		t.Fatalf("invalid output %q: %v\ninput %q", out.Bytes(), err, in)
	}
	o := &oracle{}
	check(o, tree)
	if len(o.errs) > 0 {
		t.Fatalf("%s\ninput  %s\noutput %s", strings.Join(o.errs, "\n"), in, out.Bytes())
	}
}

// fuzzPolicies are the policies the filter fuzz targets run under.
func fuzzPolicies(t testing.TB) []Policy {
	return []Policy{
		fixturePolicy(t, "people_except"),
		fixturePolicy(t, "people_grant"),
		smallPolicy(t, "i_except"),
	}
}

func FuzzFilterSearch(f *testing.F) {
	addFixtureSeeds(f, KindSearch)
	for _, tmpl := range canaryTemplates {
		if tmpl.kind == KindSearch {
			f.Add([]byte(strings.ReplaceAll(tmpl.tmpl, "%s", `"secret":["x",{"y":1}]`)))
		}
	}
	policies := fuzzPolicies(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, p := range policies {
			flt := &Filter{Policy: p}
			filterAndCheck(t, in, flt.Search, func(o *oracle, n *node) {
				o.policy = p
				o.checkSearch(n)
			})
		}
	})
}

func FuzzFilterDocument(f *testing.F) {
	addFixtureSeeds(f, KindDocument)
	policies := fuzzPolicies(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, p := range policies {
			flt := &Filter{Policy: p}
			// DocumentBytes (the _mget path) agrees with Document.
			var streamed, inPlace bytes.Buffer
			errS, errB := flt.Document(&streamed, bytes.NewReader(in)), flt.DocumentBytes(&inPlace, in)
			if (errS == nil) != (errB == nil) || (errS == nil && streamed.String() != inPlace.String()) {
				t.Fatalf("Document gave %q, %v; DocumentBytes %q, %v", streamed.String(), errS, inPlace.String(), errB)
			}
			filterAndCheck(t, in, flt.Document, func(o *oracle, n *node) {
				o.policy = p
				o.checkHit(n, nil)
			})
			source := func(w io.Writer, r io.Reader) error { return flt.Source(w, r, "fls-people") }
			filterAndCheck(t, in, source, func(o *oracle, n *node) {
				o.policy = p
				if v := o.view(ptr("fls-people")); n.kind == '{' {
					o.checkSource(v, "", n)
				}
			})
		}
	})
}

func ptr(s string) *string { return &s }

func FuzzFilterMapping(f *testing.F) {
	addFixtureSeeds(f, KindMapping)
	f.Add([]byte(smallMapping))
	policies := fuzzPolicies(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		inputs, err := indexMappings(in)
		for _, p := range policies {
			flt := &Filter{Policy: p}
			filterAndCheck(t, in, flt.Mapping, func(o *oracle, n *node) {
				if err != nil {
					t.Fatalf("filtered mappings that do not parse (%v): %q", err, in)
				}
				o.policy = p
				o.checkMapping(n, inputs)
			})
		}
	})
}

// indexMappings parses the "mappings" of each index of a mapping response
// on its own, as the filter does (an index entry may lack them).
func indexMappings(in []byte) (map[string]*Mapping, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(in), jsontext.AllowDuplicateNames(true))
	out := map[string]*Mapping{}
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, errors.New("not an object")
	}
	for dec.PeekKind() == '"' {
		index, _ := dec.ReadToken()
		name := index.String()
		if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
			return nil, errors.New("an index entry is not an object")
		}
		for dec.PeekKind() == '"' {
			member, _ := dec.ReadToken()
			isMappings := member.String() == "mappings"
			raw, err := dec.ReadValue()
			if err != nil {
				return nil, err
			}
			if isMappings {
				m, err := parseMappingValue(bytes.Clone(raw))
				if err != nil {
					return nil, err
				}
				out[name] = m
			}
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func FuzzFilterFieldCaps(f *testing.F) {
	addFixtureSeeds(f, KindFieldCaps)
	policies := fuzzPolicies(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, p := range policies {
			flt := &Filter{Policy: p}
			filterAndCheck(t, in, flt.FieldCaps, func(o *oracle, n *node) {
				o.policy = p
				o.checkFieldCaps(n)
			})
		}
	})
}

// FuzzViewConsistency checks the visibility rules against each other for
// arbitrary predicates over the fixture mapping's paths.
func FuzzViewConsistency(f *testing.F) {
	f.Add(uint64(0), uint64(0))
	f.Add(^uint64(0), uint64(0))
	f.Add(uint64(0x5555555555555555), uint64(0xaaaa))
	m := fixtureMappings(f)["fls-people"]
	paths := m.Paths()
	f.Fuzz(func(t *testing.T, bits, extra uint64) {
		pred := predicate{}
		for i, p := range paths {
			if i < 64 && bits&(1<<i) != 0 || i >= 64 && extra&(1<<(i-64)) != 0 {
				pred[p] = true
			}
		}
		v := NewView(pred, m)
		for _, p := range paths {
			fld, _ := m.Lookup(p)
			vis := v.Visible(p)
			switch fld.Kind {
			case KindLeaf, KindMultiField, KindAlias:
				if vis != v.SourceAllows(p) {
					t.Fatalf("%q: Visible %v, SourceAllows %v", p, vis, v.SourceAllows(p))
				}
			}
			switch {
			case fld.Kind == KindMultiField && vis != v.Visible(fld.Parent):
				t.Fatalf("multi-field %q: %v, parent %v", p, vis, v.Visible(fld.Parent))
			case fld.Kind == KindAlias && vis && !(pred[p] && v.Visible(fld.Target)):
				t.Fatalf("alias %q visible without its name and target", p)
			case fld.Kind == KindLeaf && vis && !pred[p]:
				t.Fatalf("leaf %q visible but not granted", p)
			case fld.Kind.container() && vis != anyVisibleUnder(v, m, p):
				t.Fatalf("object %q: %v", p, vis)
			}
			if fld.Kind == KindLeaf && vis {
				for _, src := range m.CopiedFrom(p) {
					if !v.Visible(src) {
						t.Fatalf("copy_to target %q visible with hidden source %q", p, src)
					}
				}
			}
		}
		for _, p := range v.Expand("*") {
			if !v.Visible(p) {
				t.Fatalf("Expand returned hidden %q", p)
			}
		}
	})
}

func anyVisibleUnder(v *View, m *Mapping, p string) bool {
	for _, d := range m.Paths() {
		if f, _ := m.Lookup(d); strings.HasPrefix(d, p+".") && f.Kind.searchable() && v.Visible(d) {
			return true
		}
	}
	return false
}
