package fls

import (
	"slices"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// TestUnmappedFields: the fields a document would add to the mapping.
func TestUnmappedFields(t *testing.T) {
	ms, err := ParseMappings([]byte(`{"ds":{"mappings":{"properties":{
		"@timestamp":{"type":"date"},
		"message":{"type":"text","fields":{"keyword":{"type":"keyword"}}},
		"host":{"properties":{"name":{"type":"keyword"}}},
		"loc":{"type":"geo_point"},
		"labels":{"type":"flattened"},
		"raw":{"type":"object","enabled":false},
		"items":{"type":"nested","properties":{"sku":{"type":"keyword"}}},
		"code":{"type":"keyword","copy_to":["all_codes","code_copy"]},
		"code_copy":{"type":"keyword"},
		"tag":{"type":"keyword","copy_to":"code_copy"},
		"tag2":{"type":"keyword","copy_to":"tag2_all"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	m := ms["ds"]
	for _, tt := range []struct {
		doc  string
		want []string
	}{
		{`{"@timestamp":"2024-01-01","message":"x","host":{"name":"a"}}`, nil},
		{`{"host.name":"a","loc":{"lat":1,"lon":2},"loc.lat":1,"labels":{"a":{"b":1}},"raw":{"anything":{"x":1}},"raw.y":2}`, nil},
		{`{"items":[{"sku":"a"},{"sku":"b"}]}`, nil},
		{`{"message":"x","new_field":1}`, []string{"new_field"}},
		{`{"host":{"name":"a","ip":"1.2.3.4"}}`, []string{"host.ip"}},
		{`{"host.os.name":"linux"}`, []string{"host.os.name"}},
		{`{"items":[{"sku":"a"},{"qty":2}]}`, []string{"items.qty"}},
		{`{"obj":{"a":{"b":1}}}`, []string{"obj"}},
		{`{"n":null}`, []string{"n"}},
		// A copy_to target the mapping lacks is mapped by the cluster
		// from the copied value (a number makes it a long).
		{`{"code":5,"tag":"t"}`, []string{"all_codes"}},
		{`{"tag":"t","host":{"name":"a"}}`, nil},
		{`{"tag2":"t"}`, []string{"tag2_all"}},
		{`{"code":"a","extra":1}`, []string{"all_codes", "extra"}},
	} {
		v, err := esbody.ParseJSON([]byte(tt.doc))
		if err != nil {
			t.Fatal(err)
		}
		o, _ := v.(*esbody.Object)
		if got := UnmappedFields(m, o); !slices.Equal(got, tt.want) {
			t.Errorf("UnmappedFields(%s) = %q, want %q", tt.doc, got, tt.want)
		}
	}
}

// TestUnmappedFieldsDynamic: new fields under an object (or a mapping)
// whose dynamic setting is false add nothing to the mapping, nor under
// strict (the cluster refuses the document); the nearest setting applies,
// true and runtime map new fields.
func TestUnmappedFieldsDynamic(t *testing.T) {
	ms, err := ParseMappings([]byte(`{
		"root_false":{"mappings":{"dynamic":false,"properties":{
			"open":{"dynamic":"true","properties":{"known":{"type":"keyword"}}},
			"closed":{"properties":{"known":{"type":"keyword"}}}}}},
		"objects":{"mappings":{"properties":{
			"quiet":{"type":"object","dynamic":"false","properties":{
				"loud":{"type":"object","dynamic":true}}},
			"strict":{"dynamic":"strict","properties":{}},
			"rt":{"dynamic":"runtime","properties":{}},
			"items":{"type":"nested","dynamic":false}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		index, doc string
		want       []string
	}{
		{"root_false", `{"new":1,"closed":{"new":1},"closed.other":{"x":1}}`, nil},
		{"root_false", `{"open":{"known":"a","new":1}}`, []string{"open.new"}},
		{"root_false", `{"open.new":1}`, []string{"open.new"}},
		{"objects", `{"quiet":{"new":{"deep":1}},"quiet.other":1,"strict":{"new":1},"items":[{"new":1}]}`, nil},
		{"objects", `{"quiet":{"loud":{"new":1}}}`, []string{"quiet.loud.new"}},
		{"objects", `{"rt":{"new":1},"top":1}`, []string{"rt.new", "top"}},
	} {
		v, err := esbody.ParseJSON([]byte(tt.doc))
		if err != nil {
			t.Fatal(err)
		}
		o, _ := v.(*esbody.Object)
		if got := UnmappedFields(ms[tt.index], o); !slices.Equal(got, tt.want) {
			t.Errorf("%s: UnmappedFields(%s) = %q, want %q", tt.index, tt.doc, got, tt.want)
		}
	}
	if m := ms["root_false"].WithField("@timestamp", "date"); m.dynamicAbove("new") != "false" {
		t.Error("WithField lost the mapping's dynamic setting")
	}
}
