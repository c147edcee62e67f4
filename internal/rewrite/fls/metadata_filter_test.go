package fls

import "testing"

func TestFilterMapping(t *testing.T) {
	mappingIn := `{"i":{"aliases":{"al":{"filter":{"term":{"secret":"x"}}}},"mappings":{"dynamic":"strict","_source":{"excludes":["secret"]},` +
		`"runtime":{"r":{"type":"keyword","script":{"source":"emit(params._source.secret)"}}},` +
		`"properties":{"a":{"type":"keyword","copy_to":["secret","t"]},"secret":{"type":"keyword"},` +
		`"t":{"type":"text","fields":{"kw":{"type":"keyword"}}},"o":{"properties":{"x":{"type":"keyword"},"s":{"type":"keyword"}}},` +
		`"n":{"type":"nested","properties":{"x":{"type":"keyword"},"s":{"type":"keyword"},"m":{"type":"nested","properties":{"s":{"type":"keyword"}}}}},` +
		`"bank":{"properties":{"iban":{"type":"keyword"}}},"g":{"type":"geo_point"}}},"settings":{"index":{"number_of_shards":"1"}}}}`
	runFilterCases(t, []filterCase{{
		name: "grant * except",
		kind: KindMapping,
		in:   mappingIn,
		want: `{"i":{"aliases":{"al":{"filter":{"term":{"secret":"x"}}}},"mappings":{"dynamic":"strict","_source":{"excludes":["secret"]},` +
			`"properties":{"a":{"type":"keyword","copy_to":["t"]},` +
			`"t":{"type":"text","fields":{"kw":{"type":"keyword"}}},"o":{"properties":{"x":{"type":"keyword"}}},` +
			`"n":{"type":"nested","properties":{"x":{"type":"keyword"},"m":{"type":"nested","properties":{}}}},` +
			`"bank":{"properties":{}},"g":{"type":"geo_point"}}},"settings":{"index":{"number_of_shards":"1"}}}}`,
	}, {
		name: "grant list",
		kind: KindMapping, role: "i_grant",
		in: mappingIn,
		want: `{"i":{"aliases":{"al":{"filter":{"term":{"secret":"x"}}}},"mappings":{"dynamic":"strict","_source":{"excludes":["secret"]},` +
			`"properties":{"a":{"type":"keyword","copy_to":["t"]},` +
			`"t":{"type":"text","fields":{"kw":{"type":"keyword"}}},"o":{"properties":{"x":{"type":"keyword"}}},` +
			`"n":{"type":"nested","properties":{"x":{"type":"keyword"}}}}},"settings":{"index":{"number_of_shards":"1"}}}}`,
	}, {
		name:    "unknown and unrestricted indices",
		kind:    KindMapping,
		in:      `{"x":{"mappings":{"properties":{"a":{"type":"keyword"}}}},"open":{"mappings":{"properties":{"secret":{"type":"keyword"}}}}}`,
		want:    `{"x":{"mappings":{"properties":{}}},"open":{"mappings":{"properties":{"secret":{"type":"keyword"}}}}}`,
		unknown: []string{"x"},
	}, {
		name: "a field the policy's mapping does not know is judged by the response's",
		kind: KindMapping,
		in:   `{"i":{"mappings":{"properties":{"new":{"type":"keyword","copy_to":"all"},"secret":{"type":"keyword","copy_to":"all"},"all":{"type":"text"},"t":{"type":"text","fields":{"new":{"type":"keyword","copy_to":["all","a"]}}},"a":{"type":"text"}}}}}`,
		want: `{"i":{"mappings":{"properties":{"new":{"type":"keyword"},"t":{"type":"text","fields":{"new":{"type":"keyword","copy_to":["a"]}}},"a":{"type":"text"}}}}}`,
	}, {
		name: "typed mapping",
		kind: KindMapping,
		in:   `{"i":{"mappings":{"_doc":{"properties":{"a":{"type":"keyword"},"secret":{"type":"keyword"}}}}}}`,
		want: `{"i":{"mappings":{"_doc":{"properties":{"a":{"type":"keyword"}}}}}}`,
	}})
}

func TestFilterFieldMapping(t *testing.T) {
	runFilterCases(t, []filterCase{{
		name: "entries of hidden fields removed",
		kind: KindFieldMapping,
		in: `{"i":{"mappings":{"_id":{"full_name":"_id","mapping":{}},"secret":{"full_name":"secret","mapping":{"secret":{"type":"keyword"}}},` +
			`"a":{"full_name":"a","mapping":{"a":{"type":"keyword","copy_to":["secret"]}}},"o.s":{"full_name":"o.s","mapping":{"s":{"type":"keyword"}}},` +
			`"t.kw":{"full_name":"t.kw","mapping":{"kw":{"type":"keyword"}}},"_field_names":{"full_name":"_field_names","mapping":{}},` +
			`"_doc":{"secret":{"full_name":"secret"}}}},"open":{"mappings":{"secret":{"full_name":"secret","mapping":{}}}}}`,
		want: `{"i":{"mappings":{"_id":{"full_name":"_id","mapping":{}},` +
			`"a":{"full_name":"a","mapping":{"a":{"type":"keyword"}}},` +
			`"t.kw":{"full_name":"t.kw","mapping":{"kw":{"type":"keyword"}}},` +
			`"_doc":{}}},"open":{"mappings":{"secret":{"full_name":"secret","mapping":{}}}}}`,
	}})
}

func TestFilterFieldCaps(t *testing.T) {
	runFilterCases(t, []filterCase{{
		name: "one type, all indices: visible in every index",
		kind: KindFieldCaps,
		in: `{"indices":["i","open"],"fields":{"a":{"keyword":{"type":"keyword","searchable":true,"aggregatable":true}},` +
			`"secret":{"keyword":{"type":"keyword","searchable":true,"aggregatable":true}},` +
			`"_id":{"_id":{"type":"_id","searchable":true,"aggregatable":true}},"_field_names":{"_field_names":{"type":"_field_names"}}}}`,
		want: `{"indices":["i","open"],"fields":{"a":{"keyword":{"type":"keyword","searchable":true,"aggregatable":true}},` +
			`"_id":{"_id":{"type":"_id","searchable":true,"aggregatable":true}}}}`,
	}, {
		name: "types listed per index: kept where visible, lists cut",
		kind: KindFieldCaps,
		in: `{"indices":["i","open","j"],"fields":{"secret":{"text":{"type":"text","searchable":true,"aggregatable":false,"indices":["open"]},` +
			`"keyword":{"type":"keyword","searchable":true,"aggregatable":true,"indices":["i","j"],"non_aggregatable_indices":["j"]}},` +
			`"a":{"long":{"type":"long","indices":["i","open"],"non_searchable_indices":["i","open"]},"keyword":{"type":"keyword","indices":["j"]}}}}`,
		want: `{"indices":["i","open","j"],"fields":{"secret":{"text":{"type":"text","searchable":true,"aggregatable":false,"indices":["open"]}},` +
			`"a":{"long":{"type":"long","indices":["i","open"],"non_searchable_indices":["i","open"]},"keyword":{"type":"keyword","indices":["j"]}}}}`,
	}, {
		name:    "fields before indices; unknown index",
		kind:    KindFieldCaps,
		in:      `{"fields":{"a":{"keyword":{"type":"keyword"}},"b":{"keyword":{"type":"keyword","indices":["open"]}}},"indices":["open","x"]}`,
		want:    `{"fields":{"b":{"keyword":{"type":"keyword","indices":["open"]}}},"indices":["open","x"]}`,
		unknown: []string{"x"},
	}, {
		name: "no indices: nothing can be judged",
		kind: KindFieldCaps,
		in:   `{"fields":{"a":{"keyword":{"type":"keyword"}}}}`,
		want: `{"fields":{}}`,
	}})
}
