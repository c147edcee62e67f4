package authz

import (
	"slices"
	"testing"
)

func TestNewMetadata(t *testing.T) {
	md := NewMetadata(
		[]ConcreteIndex{
			{Name: "a", Aliases: []string{"al", "al2"}},
			{Name: "b", Closed: true},
			{Name: "a"}, // duplicate: the first wins
			{Name: ""},  // ignored
			{Name: ".sys", System: true},
			{Name: "clash"},
		},
		[]Alias{
			{Name: "al", Indices: []string{"b", "new"}, WriteIndex: "b", Hidden: true},
			{Name: "clash", Indices: []string{"a"}}, // an index has that name: dropped
			{Name: "ds-alias", DataStreams: []string{"ds", "nope"}},
			{Name: "sys-alias", Indices: []string{".sys"}},
		},
		[]DataStream{
			{Name: "ds", Indices: []string{".ds-ds-1", ".ds-ds-2"}, FailureIndices: []string{".fs-ds-3"}, Hidden: true},
			{Name: "a", Indices: []string{"x"}}, // an index has that name: dropped
		},
	)
	if got := md.Names(); !slices.Equal(got, []string{".ds-ds-1", ".ds-ds-2", ".fs-ds-3", ".sys", "a", "al", "al2", "b", "clash",
		"ds", "ds-alias", "new", "sys-alias"}) {
		t.Fatalf("names %q", got)
	}
	if md.Len() != 13 {
		t.Fatal(md.Len())
	}
	a, _ := md.Index("a")
	if !slices.Equal(a.Aliases, []string{"al", "al2"}) {
		t.Fatalf("a aliases %q", a.Aliases)
	}
	al, ok := md.Alias("al")
	if !ok || !slices.Equal(al.Indices, []string{"a", "b", "new"}) || al.WriteIndex != "b" || !al.Hidden {
		t.Fatalf("al %+v", al)
	}
	if nw, ok := md.Index("new"); !ok || nw.Hidden || !slices.Equal(nw.Aliases, []string{"al"}) {
		t.Fatalf("index named only by an alias: %+v", nw)
	}
	if _, ok := md.Alias("clash"); ok {
		t.Fatal("alias named like an index kept")
	}
	b1, _ := md.Index(".ds-ds-1")
	fs, _ := md.Index(".fs-ds-3")
	if b1.DataStream != "ds" || !b1.Hidden || b1.FailureStore || fs.DataStream != "ds" || !fs.FailureStore {
		t.Fatalf("backing %+v failure %+v", b1, fs)
	}
	if ds, _ := md.DataStream("a"); ds.Name != "" {
		t.Fatal("data stream named like an index kept")
	}
	if got := md.ConcreteIndices("ds-alias"); !slices.Equal(got, []string{".ds-ds-1", ".ds-ds-2"}) {
		t.Fatalf("data stream alias reaches %q", got)
	}
	if got := md.ConcreteIndices("al"); !slices.Equal(got, []string{"a", "b", "new"}) {
		t.Fatalf("alias reaches %q", got)
	}
	if md.ConcreteIndices("unknown") != nil {
		t.Fatal("unknown name reaches something")
	}
	for name, want := range map[string]bool{".sys": true, "sys-alias": true, "a": false, ".security-7": true, "unknown": false, "al": false} {
		if md.IsRestricted(name) != want {
			t.Errorf("IsRestricted(%q) = %v", name, !want)
		}
	}
	// Accessors return copies.
	a.Aliases[0] = "changed"
	if again, _ := md.Index("a"); again.Aliases[0] != "al" {
		t.Fatal("Index returned shared state")
	}
}

func TestNilMetadata(t *testing.T) {
	var md *Metadata
	if md.Len() != 0 || md.Names() != nil || md.ConcreteIndices("x") != nil || md.IsRestricted("x") || !md.IsRestricted(".security") {
		t.Fatal("nil metadata must behave as an empty cluster")
	}
	if _, ok := md.Index("x"); ok {
		t.Fatal("nil metadata has an index")
	}
	if _, ok := md.Alias("x"); ok {
		t.Fatal("nil metadata has an alias")
	}
	if _, ok := md.DataStream("x"); ok {
		t.Fatal("nil metadata has a data stream")
	}
}

func TestParseExpandWildcards(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{in: "", want: "open"}, {in: "open", want: "open"}, {in: "all", want: "all"}, {in: "none", want: "none"},
		{in: "open,hidden", want: "open,hidden"}, {in: "closed", want: "closed"}, {in: "none,open", want: "open"},
		{in: "open,none", want: "none"}, {in: "OPEN, Closed", want: "open,closed"}, {in: "hidden", want: "hidden"},
		{in: "bogus", err: true}, {in: "open,", err: true},
	} {
		e, err := ParseExpandWildcards(tc.in)
		if (err != nil) != tc.err || (err == nil && e.String() != tc.want) {
			t.Errorf("ParseExpandWildcards(%q) = %v, %v; want %q (error %v)", tc.in, e, err, tc.want, tc.err)
		}
	}
	if ExpandHidden.expands() || !ExpandClosed.expands() || ExpandNone.expands() || !ExpandWildcards(0).expands() {
		t.Fatal("expands")
	}
}

func TestSimpleMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*", "abc", true}, {"a*", "bac", false}, {"*c", "abc", true},
		{"a*c", "abc", true}, {"a*c", "ac", true}, {"a*a", "a", false}, {"ab*bc", "abc", false}, {"a*b*c", "axbyc", true},
		{"a*b*c", "acb", false}, {"**", "x", true}, {"a?c", "abc", false}, {"a?c", "a?c", true}, {"abc", "abc", true},
		{"*b*", "abc", true}, {"*x*", "abc", false}, {"a*b*b*c", "abbc", true}, {"a*b*b*c", "abc", false},
		{"na*", "name", true}, {"*me", "name", true}, {"n*m*", "name", true}, {"n*x", "name", false},
		{"nam", "name", false}, {"a*a", "aa", true}, {"?ame", "name", false},
	} {
		if got := SimpleMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("SimpleMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestParseExpression(t *testing.T) {
	for _, tc := range []struct {
		raw          string
		wildcardSeen bool
		want         expression
	}{
		{raw: "logs", want: expression{text: "logs", name: "logs"}},
		{raw: "-logs", want: expression{text: "-logs", name: "-logs"}},
		{raw: "-logs", wildcardSeen: true, want: expression{text: "logs", name: "logs", exclude: true}},
		{raw: "-", wildcardSeen: true, want: expression{text: "-", name: "-"}},
		{raw: "rc:logs", want: expression{text: "rc:logs", name: "rc:logs", remote: true}},
		{raw: "logs::data", want: expression{text: "logs::data", name: "logs"}},
		{raw: "logs::failures", want: expression{text: "logs::failures", name: "logs", failures: true}},
		{raw: "logs::*", want: expression{text: "logs::*", name: "logs", failures: true}},
		{raw: "rc:logs::data", want: expression{text: "rc:logs::data", name: "rc:logs", remote: true}},
		{raw: "<logs-{now/d{yyyy.MM.dd|+01:00}}>", want: expression{text: "<logs-{now/d{yyyy.MM.dd|+01:00}}>", name: "logs-2024.03.05"}},
		{raw: "<rc:logs>", want: expression{text: "<rc:logs>", name: "rc:logs", remote: true}},
		{raw: "-<logs-{now/d}>", wildcardSeen: true, want: expression{text: "<logs-{now/d}>", name: "logs-2024.03.05", exclude: true}},
	} {
		got, err := parseExpression(tc.raw, tc.wildcardSeen, fixtureNow)
		if err != nil || got != tc.want {
			t.Errorf("parseExpression(%q) = %+v, %v; want %+v", tc.raw, got, err, tc.want)
		}
	}
}

func TestMetadataHas(t *testing.T) {
	md := seedMetadata()
	for name, want := range map[string]bool{
		"logs-acme-2024": true, "logs-all": true, "payroll-stream": true, backingIndex: true,
		"logs-nope": false, "logs-*": false, "": false,
	} {
		if got := md.Has(name); got != want {
			t.Errorf("Has(%q) = %v, want %v", name, got, want)
		}
	}
	var none *Metadata
	if none.Has("logs-all") {
		t.Error("nil metadata has no names")
	}
}

// TestWriteTarget: the index a document write goes to, as the cluster
// picks it through aliases and data streams.
func TestWriteTarget(t *testing.T) {
	md := NewMetadata(
		[]ConcreteIndex{{Name: "c"}, {Name: "d"}, {Name: "only"}},
		[]Alias{
			{Name: "pair", Indices: []string{"c", "d"}, WriteIndex: "d"},
			{Name: "nowrite", Indices: []string{"c", "d"}},
			{Name: "single", Indices: []string{"only"}},
			{Name: "dsw", DataStreams: []string{"ds"}, WriteIndex: "ds"},
			{Name: "dsnowrite", DataStreams: []string{"ds"}},
		},
		[]DataStream{{Name: "ds", Indices: []string{".ds-ds-1", ".ds-ds-2"}}},
	)
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"c", "c", true},
		{"pair", "d", true}, // not the first of its indices
		{"nowrite", "", false},
		{"single", "only", true},
		{"ds", ".ds-ds-2", true},
		{"dsw", ".ds-ds-2", true},
		{"dsnowrite", "", false},
		{"missing", "", false},
	} {
		if got, ok := md.WriteTarget(tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("WriteTarget(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	var none *Metadata
	if _, ok := none.WriteTarget("c"); ok {
		t.Error("no metadata: no write target")
	}
}
