package fls

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

func TestSubtreePatternAnalysis(t *testing.T) {
	tests := []struct {
		grant, except []string
		prefix        string
		all, none     bool
	}{
		{[]string{"*"}, nil, "http.", true, false},
		{[]string{"http.*"}, nil, "http.", true, false},
		{[]string{"ht*"}, nil, "http.", true, false},
		{[]string{"http.*"}, []string{"http.secret"}, "http.", false, false},
		{[]string{"*"}, []string{"user.*"}, "http.", true, false},
		{[]string{"*"}, []string{"*.secret"}, "http.", false, false},
		{[]string{"*"}, []string{"h?tp.x"}, "http.", false, false},
		{[]string{"*"}, []string{"/http.*/"}, "geo.", false, false},
		{[]string{"http.a*b*"}, nil, "http.", false, false},
		{[]string{"http.?*"}, nil, "http.", false, false},
		{[]string{"/http.*/"}, nil, "http.", false, false},
		{[]string{`http\.*`}, nil, "http.", false, false},
		{[]string{"user.*"}, nil, "http.", false, true},
		{[]string{"http"}, nil, "http.", false, true},
		{[]string{"http.x"}, nil, "http.", false, false},
		{[]string{"h*"}, []string{"h*"}, "geo.", false, true},
		{[]string{"*"}, nil, "geo.", true, false},
		{[]string{"/g.*/"}, nil, "geo.", false, false},
		{[]string{"g?o.*"}, nil, "geo.", false, false},
		{[]string{"ge"}, nil, "geo.", false, true},
		{[]string{"geo.location.*"}, nil, "geo.", false, false},
	}
	for _, tt := range tests {
		fa := fieldAccessFrom(t, `r:
  indices:
    - names: ['i']
      privileges: [read]
      field_security: {grant: [`+quoteList(tt.grant)+`], except: [`+quoteList(tt.except)+`]}
`, "i", "r")
		if got := grantsEverythingUnder(fa, tt.prefix); got != tt.all {
			t.Errorf("grant %q except %q: everything under %q = %v", tt.grant, tt.except, tt.prefix, got)
		}
		if got := grantsNothingUnder(fa, tt.prefix); got != tt.none {
			t.Errorf("grant %q except %q: nothing under %q = %v", tt.grant, tt.except, tt.prefix, got)
		}
		// The analysis must agree with the predicate on sample paths.
		for _, suffix := range []string{"a", "secret", "x", "location.lat", "b.c", "z*y"} {
			path := tt.prefix + suffix
			if tt.all && !fa.Allows(path) {
				t.Errorf("grant %q except %q: %q denied under a granted subtree", tt.grant, tt.except, path)
			}
			if tt.none && fa.Allows(path) {
				t.Errorf("grant %q except %q: %q granted under a hidden subtree", tt.grant, tt.except, path)
			}
		}
	}
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}

func TestSubtreeNeedsTheMapping(t *testing.T) {
	ms, err := ParseMappings([]byte(`{"i":{"mappings":{"runtime":{"o.r":{"type":"keyword"}},"properties":{
		"o":{"properties":{"x":{"type":"keyword"}}},
		"c":{"properties":{"src":{"type":"keyword","copy_to":"c.all"},"all":{"type":"text"}}},
		"g":{"type":"geo_point"}, "h":{"type":"keyword"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	all := fieldAccessFrom(t, `r:
  indices:
    - names: ['i']
      privileges: [read]
      field_security: {grant: ['*'], except: ['h']}
`, "i", "r")
	v := NewView(all, ms["i"])
	for path, want := range map[string]bool{
		"o": false, // a runtime field under it
		"c": true,  // the copy_to source is visible
		"g": true,  // a visible geo_point's keys
		"h": false, // a hidden leaf's sub-keys
		"z": true,  // unmapped
	} {
		if got := v.allVisibleUnder(path); got != want {
			t.Errorf("allVisibleUnder(%q) = %v", path, got)
		}
	}
}

// filterBothWays runs a filter with and without whole-subtree shortcuts
// and requires the same output, whitespace aside.
func filterBothWays(t *testing.T, p Policy, kind Kind, in []byte) {
	t.Helper()
	run := func(noShortcuts bool) (string, error) {
		f := &Filter{Policy: p, noShortcuts: noShortcuts}
		var out bytes.Buffer
		err := f.Apply(&out, io.NopCloser(bytes.NewReader(in)), kind, 200, "i")
		return out.String(), err
	}
	fast, errFast := run(false)
	slow, errSlow := run(true)
	if (errFast == nil) != (errSlow == nil) {
		t.Fatalf("shortcuts error %v, per-member error %v, input %q", errFast, errSlow, in)
	}
	if errFast != nil || fast == "" {
		return
	}
	if a, b := compactJSON(t, fast), compactJSON(t, slow); a != b {
		t.Fatalf("shortcuts and per-member filtering differ\nfast %s\nslow %s\ninput %s", a, b, in)
	}
}

func TestSubtreeShortcutsMatchFixtures(t *testing.T) {
	for _, role := range []string{"people_except", "people_grant", "metadata_only", "customer_subtree", "customer_names", "keyword_only"} {
		p := fixturePolicy(t, role)
		for name, kind := range fixtureKinds {
			if kind <= KindSource {
				filterBothWays(t, p, kind, readFixture(t, name))
			}
		}
	}
}

func FuzzSubtreeShortcuts(f *testing.F) {
	addFixtureSeeds(f, KindSearch, KindDocument, KindSource)
	for _, s := range []string{
		`{"a":1,"o":{"x":1,"xy":{"z":[1,{"q":2}]},"s":3},"n":[{"m":{"s":1,"x":[]},"q":{}}],"bank":{"iban":{}},"t":{"kw":1},"g":{"lat":1}}`,
		`{"x*y":{"a":1},"x\\*yz":{"b":[]},"n":{"a":{"deep":1,"flat":2}},"g":[[{"a":{}}]]}`,
	} {
		f.Add([]byte(s))
		f.Add([]byte(`{"hits":{"hits":[{"_index":"i","_source":` + s + `}]}}`))
	}
	var policies []Policy
	for _, role := range []string{"i_except", "i_grant", "i_patterns"} {
		policies = append(policies, smallPolicy(f, role))
	}
	policies = append(policies, fixturePolicy(f, "people_except"), fixturePolicy(f, "customer_subtree"))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, p := range policies {
			for _, kind := range []Kind{KindSearch, KindDocument, KindSource} {
				filterBothWays(t, p, kind, in)
			}
		}
	})
}

var _ = authz.FieldSecurity{}
