package fls

import (
	"slices"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// TestVisibleRoles checks each visibility rule on the fixture mapping with
// field security built by the authorization engine from role definitions.
func TestVisibleRoles(t *testing.T) {
	tests := []struct {
		name            string
		roles           []string
		visible, hidden []string
	}{
		{
			name:  "grant * except, object subtree and nested",
			roles: []string{"people_except"},
			visible: []string{"name", "name.keyword", "bio", "customer", "customer.name", "customer.address",
				"customer.address.city", "comments", "comments.author", "comments.votes", "comments.votes.voter",
				"tags", "location", "created", "loose.known", "suggest_name",
				"_id", "_index", "_routing", "_source", "_seq_no", "_version"},
			hidden: []string{"ssn", "customer.ssn", "comments.secret_note", "bank", "bank.iban", "salary",
				"_field_names", "_ignored", "_tsid", "extra"},
		},
		{
			name:    "multi-fields follow their parent",
			roles:   []string{"people_except"},
			visible: []string{"name.keyword"},
			hidden:  []string{"title", "title.keyword", "title.raw"},
		},
		{
			name:    "a granted multi-field of a hidden parent stays hidden",
			roles:   []string{"keyword_only"},
			visible: []string{"name", "name.keyword", "bio"},
			hidden:  []string{"title.keyword", "title"},
		},
		{
			name:    "alias needs a visible target",
			roles:   []string{"people_except"},
			hidden:  []string{"pay"},
			visible: []string{"name"},
		},
		{
			name:    "granted alias with hidden target",
			roles:   []string{"title_only"},
			visible: []string{"title", "title.keyword", "title.raw"},
			hidden:  []string{"pay", "salary"},
		},
		{
			name:    "copy_to target with a hidden source",
			roles:   []string{"people_except"},
			visible: []string{"public_text"},
			hidden:  []string{"all_text"},
		},
		{
			name:    "copy_to target granted, sources partly hidden",
			roles:   []string{"keyword_only"},
			visible: []string{"public_text"},
			hidden:  []string{"all_text"},
		},
		{
			name:    "grant list with except inside an object",
			roles:   []string{"people_grant"},
			visible: []string{"name", "name.keyword", "customer", "customer.name", "customer.address.city", "comments.author", "comments.votes.weight", "public_text"},
			hidden:  []string{"customer.ssn", "comments.secret_note", "title", "all_text", "ssn", "salary", "pay", "bank.iban", "loose.known"},
		},
		{
			name:    "object subtree grant",
			roles:   []string{"customer_subtree"},
			visible: []string{"customer", "customer.name", "customer.ssn", "customer.address", "customer.address.street"},
			hidden:  []string{"name", "comments", "tags", "bank"},
		},
		{
			name:    "object visible as a container only",
			roles:   []string{"customer_names"},
			visible: []string{"customer", "customer.name"},
			hidden:  []string{"customer.address", "customer.address.city", "customer.ssn"},
		},
		{
			name:    "grant [] leaves metadata only",
			roles:   []string{"metadata_only"},
			visible: []string{"_id", "_index", "_routing", "_source", "_score"},
			hidden:  []string{"name", "name.keyword", "customer", "customer.name", "tags", "public_text", "_field_names", "_ignored"},
		},
		{
			name:    "roles are unioned",
			roles:   []string{"people_grant", "title_only"},
			visible: []string{"name", "title", "title.keyword", "customer.name"},
			hidden:  []string{"customer.ssn", "pay", "salary", "all_text"},
		},
		{
			name:    "a role without FLS exposes everything",
			roles:   []string{"metadata_only", "no_fls"},
			visible: []string{"ssn", "salary", "pay", "all_text", "title.keyword", "_field_names"},
		},
		{
			name:    "unmapped paths: prefixes of a stale field must be allowed",
			roles:   []string{"people_except"},
			visible: []string{"newfield", "newfield.keyword", "customer.nick", "customer.nick.keyword"},
			hidden:  []string{"ssn.keyword", "title.new", "customer.ssn.keyword", "salary.x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := peopleView(t, tt.roles...)
			for _, f := range tt.visible {
				if !v.Visible(f) {
					t.Errorf("Visible(%q) = false, want true", f)
				}
			}
			for _, f := range tt.hidden {
				if v.Visible(f) {
					t.Errorf("Visible(%q) = true, want false", f)
				}
			}
		})
	}
}

// TestSourceAllows checks the _source rules: mapped fields as Visible,
// unmapped content by the predicate, sub-keys of a leaf need the leaf.
func TestSourceAllows(t *testing.T) {
	tests := []struct {
		name            string
		roles           []string
		allowed, denied []string
	}{
		{
			name:    "grant * except",
			roles:   []string{"people_except"},
			allowed: []string{"name", "customer.name", "comments.author", "extra.color", "loose.known", "loose.other", "location.lat", "bank"},
			denied:  []string{"ssn", "title", "customer.ssn", "comments.secret_note", "bank.iban", "extra.hidden_code", "loose.unknown_secret", "salary", "all_text", "title.keyword"},
		},
		{
			name:    "grant list: a geo_point's keys need their own grant, as in Elasticsearch",
			roles:   []string{"people_grant"},
			allowed: []string{"name", "customer.address.city", "extra.color", "location"},
			denied:  []string{"location.lat", "extra.hidden_code", "title", "customer.ssn"},
		},
		{
			name:   "grant []",
			roles:  []string{"metadata_only"},
			denied: []string{"name", "customer.name", "extra.color", "anything"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := peopleView(t, tt.roles...)
			for _, p := range tt.allowed {
				if !v.SourceAllows(p) {
					t.Errorf("SourceAllows(%q) = false, want true", p)
				}
			}
			for _, p := range tt.denied {
				if v.SourceAllows(p) {
					t.Errorf("SourceAllows(%q) = true, want false", p)
				}
			}
		})
	}
}

// TestVisibleAgreesWithSourceAllows checks the consistency property on
// every mapped leaf of the fixture, for every role.
func TestVisibleAgreesWithSourceAllows(t *testing.T) {
	m := fixtureMappings(t)["fls-people"]
	for _, role := range []string{"people_except", "people_grant", "metadata_only", "title_only", "keyword_only", "customer_subtree", "customer_names", "customer_ssn_only"} {
		v := peopleView(t, role)
		for _, p := range m.Paths() {
			if k := v.Kind(p); k.container() {
				continue
			}
			if v.Visible(p) != v.SourceAllows(p) {
				t.Errorf("%s: %q: Visible %v, SourceAllows %v", role, p, v.Visible(p), v.SourceAllows(p))
			}
		}
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		roles   []string
		pattern string
		want    []string
	}{
		{[]string{"people_except"}, "customer.*", []string{"customer.address.city", "customer.address.street", "customer.name"}},
		{[]string{"people_except"}, "title*", nil},
		{[]string{"people_except"}, "*name*", []string{"customer.name", "name", "name.keyword", "suggest_name"}},
		{[]string{"people_except"}, "name", []string{"name"}},
		{[]string{"people_except"}, "ssn", nil},
		{[]string{"people_except"}, "*text", []string{"comments.text", "public_text"}},
		{[]string{"keyword_only"}, "*", []string{"bio", "name", "name.keyword", "public_text"}},
		{[]string{"metadata_only"}, "*", nil},
		{[]string{"title_only"}, "*", []string{"title", "title.keyword", "title.raw"}},
	}
	for _, tt := range tests {
		got := peopleView(t, tt.roles...).Expand(tt.pattern)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%v Expand(%q) = %q, want %q", tt.roles, tt.pattern, got, tt.want)
		}
	}
}

func TestExpandAllIsVisibleAndSorted(t *testing.T) {
	v := peopleView(t, "people_except")
	got := v.Expand("*")
	if !slices.IsSorted(got) {
		t.Fatalf("not sorted: %q", got)
	}
	for _, f := range got {
		if !v.Visible(f) {
			t.Errorf("Expand returned hidden %q", f)
		}
	}
	for _, f := range []string{"ssn", "all_text", "pay", "title.keyword", "customer"} {
		if slices.Contains(got, f) {
			t.Errorf("Expand(*) contains %q", f)
		}
	}
	if NewView(fieldAccess(t, "fls-people", "people_except"), nil).Expand("*") != nil {
		t.Error("Expand without a mapping returned fields")
	}
}

// TestViewWithoutMapping checks the decisions on names alone.
func TestViewWithoutMapping(t *testing.T) {
	v := NewView(fieldAccess(t, "fls-people", "people_except"), nil)
	for f, want := range map[string]bool{
		"name": true, "ssn": false, "title": false,
		"title.keyword": false, // may be a multi-field of title
		"customer.name": true, "customer.ssn": false, "_id": true, "_field_names": false,
	} {
		if got := v.Visible(f); got != want {
			t.Errorf("Visible(%q) = %v, want %v", f, got, want)
		}
	}
	sub := NewView(fieldAccess(t, "fls-people", "customer_subtree"), nil)
	if sub.Visible("customer.name") {
		t.Error("without a mapping, customer.name is visible although customer is not granted")
	}
	if !sub.SourceAllows("customer.name") || sub.SourceAllows("name") {
		t.Error("SourceAllows without a mapping does not follow the predicate")
	}
}

func TestUnrestrictedViews(t *testing.T) {
	var nilView *View
	views := map[string]*View{
		"nil view":            nilView,
		"nil predicate":       NewView(nil, fixtureMappings(t)["fls-people"]),
		"nil *FieldAccess":    NewView(fieldAccess(t, "fls-people", "no_fls"), nil),
		"role union with all": peopleView(t, "people_grant", "no_fls"),
	}
	for name, v := range views {
		if !v.Unrestricted() {
			t.Errorf("%s: not unrestricted", name)
		}
		for _, f := range []string{"ssn", "title.keyword", "_field_names", "anything.at.all"} {
			if !v.Visible(f) || !v.SourceAllows(f) {
				t.Errorf("%s: %q hidden", name, f)
			}
		}
	}
}

// TestRuntimeAndEdgeMappings covers what the fixture cluster cannot show:
// runtime fields, shadowing, copy_to chains and cycles, passthrough.
func TestRuntimeAndEdgeMappings(t *testing.T) {
	ms, err := ParseMappings([]byte(`{"i":{"mappings":{
		"runtime":{"day":{"type":"keyword","script":{"source":"emit('x')"}},
		           "salary":{"type":"long"},
		           "http":{"type":"composite","script":"emit(Map.of())","fields":{"ip":{"type":"ip"}}}},
		"properties":{
			"salary":{"type":"long"},
			"a":{"type":"keyword","copy_to":"b"},
			"b":{"type":"keyword","copy_to":"c"},
			"c":{"type":"keyword"},
			"x":{"type":"keyword","copy_to":"y"},
			"y":{"type":"keyword","copy_to":"x"},
			"attrs":{"type":"passthrough","priority":10,"properties":{"host":{"type":"keyword"},"secret":{"type":"keyword"}}},
			"pay":{"type":"alias","path":"salary"}
		}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	m := ms["i"]
	all := predicate{"day": true, "salary": true, "http.ip": true, "http": true, "a": true, "b": true, "c": true,
		"x": true, "y": true, "attrs.host": true, "host": true, "secret": true, "pay": true}
	v := NewView(all, m)
	for f, want := range map[string]bool{
		"day": false, "http.ip": false, "salary": false, // runtime: hidden under FLS, shadowing too
		"a": true, "b": true, "c": true, // chain of visible copies
		"x": false, "y": false, // a copy_to cycle fails closed
		"host":   true,  // passthrough: attrs.host by its short name
		"secret": false, // attrs.secret is not granted
		"pay":    false, // alias to a field shadowed by a runtime field
	} {
		if got := v.Visible(f); got != want {
			t.Errorf("Visible(%q) = %v, want %v", f, got, want)
		}
	}
	if v.SourceAllows("salary") {
		t.Error("SourceAllows(salary) with a shadowing runtime field")
	}
	chain := NewView(predicate{"b": true, "c": true}, m)
	if chain.Visible("c") || chain.Visible("b") {
		t.Error("copy_to chain: c visible although a, copied into b, is hidden")
	}
	if !NewView(nil, m).Visible("day") {
		t.Error("runtime field hidden without FLS")
	}
	if got := NewView(nil, m).Expand("h*"); !slices.Equal(got, []string{"host", "http.ip"}) {
		t.Errorf("Expand(h*) = %q", got)
	}
	if f, ok := m.Lookup("http.ip"); !ok || f.Kind != KindRuntime {
		t.Errorf("Lookup(http.ip) = %+v, %v", f, ok)
	}
}

// TestDependenciesOnObjects covers mappings Elasticsearch would refuse:
// copy_to from an object, multi-fields on an object. The fields depending
// on them are hidden (and deciding does not deadlock).
func TestDependenciesOnObjects(t *testing.T) {
	ms, err := ParseMappings([]byte(`{"i":{"mappings":{"properties":{
		"o":{"copy_to":"t","fields":{"kw":{"type":"keyword"}},"properties":{"x":{"type":"keyword"}}},
		"t":{"type":"text"}, "a":{"type":"alias","path":"o"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	v := NewView(predicate{"o": true, "o.x": true, "t": true, "o.kw": true, "a": true}, ms["i"])
	for f, want := range map[string]bool{"o": true, "o.x": true, "t": false, "o.kw": false, "a": false} {
		if got := v.Visible(f); got != want {
			t.Errorf("Visible(%q) = %v, want %v", f, got, want)
		}
	}
}

func TestAliasNeedsItsOwnName(t *testing.T) {
	m := fixtureMappings(t)["fls-people"]
	if NewView(predicate{"salary": true}, m).Visible("pay") {
		t.Error("alias visible although its name is not granted")
	}
	if !NewView(predicate{"salary": true, "pay": true}, m).Visible("pay") {
		t.Error("alias hidden although it and its target are granted")
	}
}

func TestSimpleMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"*", "a.b", true}, {"a*", "a.b", true}, {"*b", "a.b", true},
		{"a*b*c", "axbyc", true}, {"a*a", "a", false}, {"a*b", "ab", true}, {"a*b", "ba", false},
		{"abc", "abc", true}, {"abc", "abcd", false}, {"*.keyword", "title.keyword", true},
		{"a?c", "abc", false}, {"**", "x", true}, {"*x*", "abc", false},
	}
	for _, tt := range tests {
		if got := authz.SimpleMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("simpleMatch(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}
