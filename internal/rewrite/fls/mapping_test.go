package fls

import (
	"slices"
	"strings"
	"testing"
)

func TestParseMappingsFixture(t *testing.T) {
	ms := fixtureMappings(t)
	people := ms["fls-people"]
	tests := []struct {
		path   string
		kind   FieldKind
		typ    string
		parent string
		target string
	}{
		{"name", KindLeaf, "text", "", ""},
		{"name.keyword", KindMultiField, "keyword", "name", ""},
		{"title.raw", KindMultiField, "keyword", "title", ""},
		{"pay", KindAlias, "alias", "", "salary"},
		{"customer", KindObject, "", "", ""},
		{"customer.address.city", KindLeaf, "keyword", "", ""},
		{"comments", KindNested, "nested", "", ""},
		{"comments.votes", KindNested, "nested", "", ""},
		{"comments.votes.weight", KindLeaf, "integer", "", ""},
		{"bank", KindObject, "", "", ""},
		{"bank.iban", KindLeaf, "keyword", "", ""},
		{"extra", KindObject, "object", "", ""},
		{"loose", KindObject, "", "", ""},
	}
	for _, tt := range tests {
		f, ok := people.Lookup(tt.path)
		if !ok {
			t.Errorf("%s: not mapped", tt.path)
			continue
		}
		if f.Kind != tt.kind || f.Type != tt.typ || f.Parent != tt.parent || f.Target != tt.target {
			t.Errorf("%s: got %+v", tt.path, f)
		}
	}
	if f, _ := people.Lookup("extra"); !f.Disabled {
		t.Error("extra: enabled:false not recorded")
	}
	if got := people.CopiedFrom("all_text"); !slices.Equal(got, []string{"name", "ssn"}) {
		t.Errorf("CopiedFrom(all_text) = %q", got)
	}
	if got := people.CopiedFrom("public_text"); !slices.Equal(got, []string{"bio"}) {
		t.Errorf("CopiedFrom(public_text) = %q", got)
	}
	if _, ok := people.Lookup("loose.unknown_secret"); ok {
		t.Error("an unmapped path is mapped")
	}
	if !people.HasNested() || ms["fls-other"].HasNested() {
		t.Error("HasNested is wrong")
	}
	if !slices.IsSorted(people.Paths()) {
		t.Error("Paths not sorted")
	}
}

func TestParseMappingsShapes(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		index string
		path  string
		kind  FieldKind
	}{
		{"get index response", string(readFixture(t, "get_index")), "fls-people", "title.keyword", KindMultiField},
		{"opensearch derived fields", string(readFixture(t, "mapping_derived")), "fls-derived", "name_upper", KindRuntime},
		// OpenSearch stores a derived field with a dotted name in its parent
		// object's definition (GET _mapping after PUT {"derived":{"user.dz":…}}).
		{"opensearch derived field nested in an object", `{"i":{"mappings":{"properties":{"user":{"derived":{"dz":{"type":"keyword","script":{"source":"emit(params._source.secret)"}}},"properties":{"name":{"type":"keyword"}}}}}}}`, "i", "user.dz", KindRuntime},
		{"opensearch derived object with typed sub-fields", `{"i":{"mappings":{"properties":{"user":{"derived":{"dobj":{"type":"object","script":{"source":"emit(\"{}\")"},"properties":{"k":"keyword"}}}}}}}}`, "i", "user.dobj.k", KindRuntime},
		{"opensearch derived field nested two levels", `{"i":{"mappings":{"properties":{"a":{"properties":{"b":{"derived":{"c":{"type":"keyword"}}}}}}}}}`, "i", "a.b.c", KindRuntime},
		{"typed mapping", `{"i":{"mappings":{"_doc":{"properties":{"a":{"type":"keyword"}}}}}}`, "i", "a", KindLeaf},
		{"meta is not a type", `{"i":{"mappings":{"_meta":{"properties":{"x":{}}},"properties":{"a":{"type":"long"}}}}}`, "i", "a", KindLeaf},
		{"subobjects false", `{"i":{"mappings":{"properties":{"m":{"subobjects":false,"properties":{"cpu.usage":{"type":"float"}}}}}}}`, "i", "m.cpu.usage", KindLeaf},
		{"empty index", `{"i":{"mappings":{}}}`, "i", "", KindUnmapped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := ParseMappings([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			m, ok := ms[tt.index]
			if !ok {
				t.Fatalf("no mapping for %s", tt.index)
			}
			if tt.path == "" {
				if len(m.Paths()) != 0 {
					t.Fatalf("paths %q", m.Paths())
				}
				return
			}
			if f, _ := m.Lookup(tt.path); f.Kind != tt.kind {
				t.Fatalf("%s: kind %v, want %v", tt.path, f.Kind, tt.kind)
			}
		})
	}
	if ms, _ := ParseMappings([]byte(`{"i":{"mappings":{"_meta":{"properties":{"x":{}}}}}}`)); len(ms["i"].Paths()) != 0 {
		t.Error("_meta content taken for fields")
	}
}

func TestParseMappingsRefuses(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not an object", `[]`, "expected"},
		{"no mappings", `{"i":{"settings":{}}}`, "no \"mappings\""},
		{"path twice", `{"i":{"mappings":{"properties":{"a.b":{"type":"keyword"},"a":{"properties":{"b":{"type":"long"}}}}}}}`, "defined twice"},
		{"duplicate member", `{"i":{"mappings":{"properties":{"a":{"type":"keyword"},"a":{"type":"long"}}}}}`, "duplicate"},
		{"definition not an object", `{"i":{"mappings":{"properties":{"a":"keyword"}}}}`, "expected"},
		{"type not a string", `{"i":{"mappings":{"properties":{"a":{"type":1}}}}}`, "expected a string"},
		{"trailing data", `{"i":{"mappings":{}}} {}`, "after"},
		{"truncated", `{"i":{"mappings":{"properties":{`, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMappings([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
