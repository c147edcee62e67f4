package dls

import (
	"strconv"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// fieldQuery splits the body of a single-field query ({"<field>": x} with
// optional boost and _name beside it) into the field and its value.
func fieldQuery(typ string, body esbody.Value) (string, esbody.Value, error) {
	o, ok := body.(*esbody.Object)
	if !ok {
		return "", nil, unsupported("%s must be an object", typ)
	}
	field, val := "", esbody.Value(nil)
	for name, v := range o.All() {
		if name == "boost" || name == "_name" {
			continue
		}
		if field != "" {
			return "", nil, unsupported("%s on more than one field", typ)
		}
		field, val = name, v
	}
	if field == "" {
		return "", nil, unsupported("%s without a field", typ)
	}
	return field, val, nil
}

// evalTerm evaluates {"term":{"f":v}} and {"term":{"f":{"value":v}}}.
func (m *matcher) evalTerm(body esbody.Value) (truth, error) {
	field, v, err := fieldQuery("term", body)
	if err != nil {
		return 0, err
	}
	if o, ok := v.(*esbody.Object); ok {
		if v, err = termOptions(o); err != nil {
			return 0, err
		}
	}
	return m.compareField(field, esbody.Array{v}, termCompare)
}

// termOptions reads the long form of a term; case_insensitive matching is
// unsupported.
func termOptions(o *esbody.Object) (esbody.Value, error) {
	var val esbody.Value
	for name, v := range o.All() {
		switch name {
		case "value":
			val = v
		case "boost", "_name":
		case "case_insensitive":
			if v != esbody.Bool(false) {
				return nil, unsupported("case-insensitive term")
			}
		default:
			return nil, unsupported("term option [%s]", name)
		}
	}
	if val == nil {
		return nil, unsupported("term without a value")
	}
	return val, nil
}

// evalTerms evaluates {"terms":{"f":[v…]}}; a terms lookup is unsupported.
func (m *matcher) evalTerms(body esbody.Value) (truth, error) {
	field, v, err := fieldQuery("terms", body)
	if err != nil {
		return 0, err
	}
	a, ok := v.(esbody.Array)
	if !ok {
		return 0, unsupported("terms lookup")
	}
	return m.compareField(field, a, termCompare)
}

// evalMatch evaluates {"match":{"f":v}} and the long form with "query".
func (m *matcher) evalMatch(body esbody.Value) (truth, error) {
	field, v, err := fieldQuery("match", body)
	if err != nil {
		return 0, err
	}
	cmp := matchCompare
	if o, ok := v.(*esbody.Object); ok {
		if v, cmp, err = matchOptions(o); err != nil {
			return 0, err
		}
	}
	return m.compareField(field, esbody.Array{v}, cmp)
}

// matchOptions reads the long form of match and picks the comparison:
// fuzziness and zero_terms_query widen what matches (an inequality becomes
// undecidable); a search analyzer of its own is unsupported (it may split
// the query differently from the indexed value); options that only affect
// scoring are ignored.
func matchOptions(o *esbody.Object) (esbody.Value, func(doc, q esbody.Value) (truth, error), error) {
	var val esbody.Value
	cmp := matchCompare
	for name, v := range o.All() {
		switch name {
		case "query":
			val = v
		case "boost", "_name", "lenient", "auto_generate_synonyms_phrase_query", "operator",
			"minimum_should_match", "prefix_length", "max_expansions", "fuzzy_transpositions",
			"fuzzy_rewrite", "cutoff_frequency":
		case "fuzziness", "zero_terms_query":
			cmp = fuzzyCompare
		case "analyzer":
			return nil, nil, unsupported("match with its own analyzer")
		default:
			return nil, nil, unsupported("match option [%s]", name)
		}
	}
	if val == nil {
		return nil, nil, unsupported("match without a query")
	}
	return val, cmp, nil
}

// compareField matches the field's values against any of the wanted
// values.
func (m *matcher) compareField(field string, wanted esbody.Array, cmp func(doc, q esbody.Value) (truth, error)) (truth, error) {
	fl, err := m.field(field)
	if err != nil {
		return 0, err
	}
	if fl.multiField {
		return isUnknown, nil
	}
	keyword := strings.HasSuffix(field, ".keyword") || field == "_id" // never analysed
	res := isFalse
	for _, fv := range fl.values {
		for _, w := range wanted {
			t, err := cmp(fv.v, w)
			if err != nil {
				return 0, err
			}
			ds, dok := fv.v.(esbody.String)
			ws, wok := w.(esbody.String)
			if keyword && dok && wok {
				// A keyword sub-field is not analysed: exact equality.
				t = isFalse
				if ds == ws {
					t = isTrue
				}
			}
			if t == isTrue && fv.mayBeHidden {
				t = isUnknown
			}
			res = or(res, t)
		}
	}
	return res, nil
}

// evalExists evaluates {"exists":{"field":"f"}}: a non-null value.
func (m *matcher) evalExists(body esbody.Value) (truth, error) {
	o, ok := body.(*esbody.Object)
	f, _ := o.Get("field")
	name, isStr := f.(esbody.String)
	if !ok || !isStr {
		return 0, unsupported("exists without a field")
	}
	fl, err := m.field(string(name))
	if err != nil {
		return 0, err
	}
	if fl.multiField {
		return isUnknown, nil
	}
	res := isFalse
	for _, fv := range fl.values {
		t := valueExists(fv.v)
		if t == isTrue && fv.mayBeHidden {
			t = isUnknown
		}
		res = or(res, t)
	}
	return res, nil
}

// valueExists: null is no value; an empty string is a value for a keyword
// but no token for a text field; an object exists if a leaf does.
func valueExists(v esbody.Value) truth {
	switch v := v.(type) {
	case esbody.Null:
		return isFalse
	case esbody.String:
		if v == "" {
			return isUnknown
		}
	case *esbody.Object:
		res := isFalse
		for _, c := range v.All() {
			res = or(res, valueExists(c))
		}
		return res
	case esbody.Array:
		res := isFalse
		for _, c := range v {
			res = or(res, valueExists(c))
		}
		return res
	}
	return isTrue
}

// evalIDs evaluates {"ids":{"values":[…]}}.
func (m *matcher) evalIDs(body esbody.Value) (truth, error) {
	o, ok := body.(*esbody.Object)
	vals, has := o.Get("values")
	arr, isArr := vals.(esbody.Array)
	if !ok || !has || !isArr {
		return 0, unsupported("ids without values")
	}
	if len(arr) == 0 {
		return isFalse, nil
	}
	if m.id == "" {
		return 0, unsupported("the document has no _id yet")
	}
	for _, v := range arr {
		switch v := v.(type) {
		case esbody.String:
			if string(v) == m.id {
				return isTrue, nil
			}
		case esbody.Number:
			if string(v) == m.id {
				return isTrue, nil
			}
		default:
			return 0, unsupported("ids values must be strings")
		}
	}
	return isFalse, nil
}

// minimumShouldMatch computes Elasticsearch's minimum_should_match for n
// optional clauses (Queries.calculateMinShouldMatch): an integer or a
// percentage, negative meaning "all but". Combinations ("3<90%") are
// unsupported.
func minimumShouldMatch(v esbody.Value, n int) (int, error) {
	var spec string
	switch v := v.(type) {
	case esbody.Number:
		spec = string(v)
	case esbody.String:
		spec = strings.TrimSpace(string(v))
	default:
		return 0, unsupported("minimum_should_match must be a number or a string")
	}
	var calc int
	if pct, ok := strings.CutSuffix(spec, "%"); ok {
		p, err := strconv.Atoi(pct)
		if err != nil {
			return 0, unsupported("minimum_should_match %q", spec)
		}
		calc = p * n / 100
	} else {
		i, err := strconv.Atoi(spec)
		if err != nil {
			return 0, unsupported("minimum_should_match %q", spec)
		}
		calc = i
	}
	if calc < 0 {
		calc += n
	}
	return max(calc, 0), nil
}
