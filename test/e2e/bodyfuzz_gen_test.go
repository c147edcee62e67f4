package e2e

import (
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
)

// The body fuzzer's grammar: random request bodies the cluster accepts
// (query DSL, aggregations and response-shaping options) over the fields of
// fuzzMapping, with values that aim at the seeded canaries (their shared
// prefixes, wildcards, one-edit neighbours, sometimes the canary itself).

// fuzzGen draws bodies from one seeded source.
type fuzzGen struct {
	r     *rand.Rand
	f     *fuzzFixture
	minSc bool // the body's matching set depends on scores
}

// obj is a JSON object under construction.
type obj = map[string]any

var (
	fuzzTextFields    = []string{"pub", "sec", "sectv", "pubtv", "secpfx", "secpfx._index_prefix", "secpfx._index_phrase", "secsayt", "secsayt._2gram", "secsayt._3gram", "secsayt._index_prefix", "alias_sec", "nst.sec", "flat", "flat.sec", "flat.pub"}
	fuzzKeywordFields = []string{"grp", "pub.keyword", "sec.keyword", "obj.pub", "obj.sec", "dot.pub", "dot.sec", "arr.pub", "arr.sec", "nst.pub", "nst.sec.keyword", "dis.sec", "flat.sec", "_id", "_index"}
	fuzzNumFields     = []string{"num", "secnum"}
	fuzzPatterns      = []string{"*", "s*", "*sec", "sec*", "obj.*", "nst.*", "arr.*", "dot.*", "pub*", "*.sec", "*pub", "flat.*", "a*", "*.keyword", "dis.*"}
)

func (g *fuzzGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }
func (g *fuzzGen) chance(p float64) bool   { return g.r.Float64() < p }

// anyField is a concrete field of any type.
func (g *fuzzGen) anyField() string {
	switch g.r.IntN(3) {
	case 0:
		return g.pick(fuzzTextFields)
	case 1:
		return g.pick(fuzzKeywordFields)
	}
	return g.pick(fuzzNumFields)
}

// fieldOrPattern is a field name or a wildcard pattern.
func (g *fuzzGen) fieldOrPattern() string {
	if g.chance(0.35) {
		return g.pick(fuzzPatterns)
	}
	return g.anyField()
}

// boosted is a field or pattern of a query's field list, sometimes with a
// ^boost suffix.
func (g *fuzzGen) boosted() string {
	f := g.fieldOrPattern()
	if g.chance(0.3) {
		f += g.pick([]string{"^2", "^0.5", "^10"})
	}
	return f
}

// canary is a seeded string value (never the secret index's).
func (g *fuzzGen) canary() string {
	for {
		c := g.f.canaries[g.r.IntN(len(g.f.canaries))]
		if c.index != "z" && !strings.HasPrefix(c.value, "8") {
			return c.value
		}
	}
}

// word is a value for a term-level query on a string field.
func (g *fuzzGen) word() string {
	switch g.r.IntN(8) {
	case 0:
		return g.canary()
	case 1:
		c := g.canary()
		return c[:len(c)-1] + "x" // one edit away
	case 2:
		return "shared"
	case 3:
		return "pub"
	case 4:
		return g.pick([]string{"qzc", "qzch", "qzcv", "qzchh1", "qzchh2", "qzcvv1"})
	case 5:
		c := g.canary()
		return c[:4+g.r.IntN(len(c)-5)]
	case 6:
		return "priv"
	}
	return "words"
}

// pattern is a wildcard/prefix/regexp value.
func (g *fuzzGen) pattern(kind string) string {
	p := g.word()
	if len(p) > 6 && g.chance(0.7) {
		p = p[:3+g.r.IntN(len(p)-4)]
	}
	switch kind {
	case "wildcard":
		return g.pick([]string{p + "*", "*" + p[len(p)/2:] + "*", p[:2] + "?" + "*", "*"})
	case "regexp":
		return g.pick([]string{p + ".*", ".*" + p[len(p)/2:] + ".*", "qz[a-z]+", "q.*sec.*q"})
	}
	return p
}

// number is a value for a numeric field, sometimes as a string.
func (g *fuzzGen) number() any {
	n := int64(86753090000 + g.r.IntN(500000))
	if g.chance(0.3) {
		return strconv.FormatInt(n, 10)
	}
	return n
}

// value is a term value for field f.
func (g *fuzzGen) value(f string) any {
	if f == "num" || f == "secnum" {
		return g.number()
	}
	if f == "_id" {
		return g.pick(g.f.ids)
	}
	if f == "_index" {
		return g.pick([]string{g.f.a, g.f.b, g.f.z, g.f.prefix + "*"})
	}
	return g.word()
}

// query is a random query of at most depth levels.
func (g *fuzzGen) query(depth int) obj {
	n := 26
	if depth <= 0 {
		n = 18 // leaves only
	}
	f := g.anyField()
	switch g.r.IntN(n) {
	case 0:
		return obj{"match_all": obj{}}
	case 1:
		if g.chance(0.5) {
			return obj{"term": obj{f: g.value(f)}}
		}
		return obj{"term": obj{f: obj{"value": g.value(f), "boost": 1.5}}}
	case 2:
		return obj{"terms": obj{f: []any{g.value(f), g.value(f)}}}
	case 3:
		if g.chance(0.5) {
			return obj{"prefix": obj{f: g.pattern("prefix")}}
		}
		return obj{"prefix": g.rewritten(obj{f: obj{"value": g.pattern("prefix"), "case_insensitive": g.chance(0.5)}}, f)}
	case 4:
		return obj{"wildcard": g.rewritten(obj{f: obj{g.pick([]string{"value", "wildcard"}): g.pattern("wildcard")}}, f)}
	case 5:
		return obj{"regexp": g.rewritten(obj{f: obj{"value": g.pattern("regexp")}}, f)}
	case 6:
		return obj{"fuzzy": obj{f: obj{"value": g.word(), "fuzziness": g.pick([]string{"AUTO", "1", "2"})}}}
	case 7:
		if f == "num" || f == "secnum" {
			return obj{"range": obj{f: obj{"gte": g.number()}}}
		}
		return obj{"range": obj{f: obj{g.pick([]string{"gte", "gt", "from"}): g.pattern("prefix"), g.pick([]string{"lt", "lte", "to"}): "qzd"}}}
	case 8:
		return obj{"exists": obj{"field": g.fieldOrPattern()}}
	case 9:
		tf := g.pick(fuzzTextFields)
		if g.chance(0.5) {
			return obj{"match": obj{tf: g.word() + " " + g.word()}}
		}
		mq := obj{"query": g.word()}
		typ := g.pick([]string{"match", "match_phrase", "match_phrase_prefix", "match_bool_prefix"})
		if (typ == "match" || typ == "match_bool_prefix") && g.chance(0.4) {
			mq["fuzziness"] = g.pick([]string{"AUTO", "1", "2"})
		}
		return obj{typ: obj{tf: mq}}
	case 10:
		return obj{"multi_match": obj{"query": g.word(), "fields": []any{g.boosted(), g.boosted()},
			"type": g.pick([]string{"best_fields", "most_fields", "phrase_prefix", "bool_prefix", "cross_fields", "phrase"})}}
	case 11:
		return obj{"query_string": g.queryString()}
	case 12:
		qs := obj{"query": g.pick([]string{g.word(), g.pattern("prefix") + "*", g.word() + " | " + g.word()})}
		if g.chance(0.6) {
			qs["fields"] = []any{g.boosted()}
		}
		return obj{"simple_query_string": qs}
	case 13:
		return obj{"ids": obj{"values": []any{g.pick(g.f.ids), g.pick(g.f.ids)}}}
	case 14:
		return obj{"span_term": obj{g.pick(fuzzTextFields): g.word()}}
	case 15:
		rule := [][2]string{{"prefix", "prefix"}, {"wildcard", "pattern"}, {"match", "query"}, {"fuzzy", "term"}}[g.r.IntN(4)]
		return obj{"intervals": obj{g.pick(fuzzTextFields): obj{rule[0]: obj{rule[1]: g.pattern(rule[0])}}}}
	case 16:
		return obj{"terms_set": obj{g.pick([]string{"grp", "pub.keyword", "sec.keyword"}): obj{"terms": []any{"pub", g.word()}, "minimum_should_match_field": g.pick(fuzzNumFields)}}}
	case 17:
		return obj{"more_like_this": obj{"fields": []any{g.pick(fuzzTextFields)}, "like": g.word() + " shared " + g.word(), "min_term_freq": 1, "min_doc_freq": 1}}
	case 18, 19:
		b := obj{}
		for _, occ := range []string{"must", "should", "filter", "must_not"} {
			if g.chance(0.4) {
				if g.chance(0.3) {
					b[occ] = g.query(depth - 1) // a single object where an array is usual
				} else {
					b[occ] = []any{g.query(depth - 1), g.query(depth - 1)}
				}
			}
		}
		if g.chance(0.2) {
			b["minimum_should_match"] = g.pick([]string{"1", "50%", "2"})
		}
		return obj{"bool": b}
	case 20:
		return obj{"constant_score": obj{"filter": g.query(depth - 1)}}
	case 21:
		return obj{"dis_max": obj{"queries": []any{g.query(depth - 1), g.query(depth - 1)}}}
	case 22:
		return obj{"boosting": obj{"positive": g.query(depth - 1), "negative": g.query(depth - 1), "negative_boost": 0.5}}
	case 23:
		return g.functionScore(depth)
	case 24:
		nq := g.query(depth - 1)
		if g.chance(0.6) {
			nq = g.nestedLeaf()
		}
		n := obj{"path": "nst", "query": nq}
		if g.chance(0.5) {
			n["inner_hits"] = g.innerHits()
		}
		return obj{"nested": n}
	case 25:
		if g.chance(0.5) {
			js, _ := json.Marshal(g.query(0))
			return obj{"wrapper": obj{"query": base64.StdEncoding.EncodeToString(js)}}
		}
		switch g.r.IntN(3) {
		case 0:
			return obj{"span_multi": obj{"match": obj{"prefix": obj{g.pick(fuzzTextFields): obj{"value": g.pattern("prefix")}}}}}
		case 1:
			return obj{"field_masking_span": obj{"query": obj{"span_multi": obj{"match": obj{"prefix": obj{g.pick(fuzzTextFields): obj{"value": g.pattern("prefix")}}}}}, "field": g.pick(fuzzTextFields)}}
		}
		return obj{"span_near": obj{"clauses": []any{
			obj{"span_term": obj{g.pick(fuzzTextFields): g.word()}},
			obj{"field_masking_span": obj{"query": obj{"span_term": obj{g.pick(fuzzTextFields): g.word()}}, "field": g.pick(fuzzTextFields)}},
		}, "slop": 5, "in_order": false}}
	}
	return obj{"match_all": obj{}}
}

// rewritten sometimes sets a multi-term query's rewrite method (the query
// object is {field: {options}}).
func (g *fuzzGen) rewritten(q obj, f string) obj {
	if opts, ok := q[f].(obj); ok && g.chance(0.3) {
		opts["rewrite"] = g.pick([]string{"constant_score", "scoring_boolean", "constant_score_boolean", "top_terms_10", "top_terms_boost_10", "top_terms_blended_freqs_10"})
	}
	return q
}

// queryString is a query_string body, the query text naming fields.
func (g *fuzzGen) queryString() obj {
	var q string
	switch g.r.IntN(7) {
	case 0:
		q = g.anyField() + ":" + g.pattern("prefix") + "*"
	case 1:
		q = "_exists_:" + g.fieldOrPattern()
	case 2:
		q = g.pattern("prefix") + "*"
	case 3:
		q = g.anyField() + ":/" + g.pattern("regexp") + "/"
	case 4:
		q = g.word() + "~1"
	case 5:
		q = g.fieldOrPattern() + ":" + g.word()
	default:
		q = "secnum:>" + "86753100000"
	}
	qs := obj{"query": q}
	switch g.r.IntN(3) {
	case 0:
		qs["default_field"] = g.fieldOrPattern()
	case 1:
		qs["fields"] = []any{g.boosted(), g.boosted()}
	}
	if g.chance(0.3) {
		qs["analyze_wildcard"] = true
	}
	return qs
}

// functionScore reads a numeric field into the score, sometimes with a
// min_score cut (the matching set then depends on the field's values).
func (g *fuzzGen) functionScore(depth int) obj {
	fs := obj{"query": obj{"constant_score": obj{"filter": g.query(depth - 1)}}, "boost_mode": "replace"}
	nf := g.pick(fuzzNumFields)
	switch g.r.IntN(3) {
	case 0:
		fs["field_value_factor"] = obj{"field": nf, "missing": 1}
	case 1:
		fs["functions"] = []any{obj{"gauss": obj{nf: obj{"origin": 86753190000, "scale": 10}}}}
	default:
		fs["functions"] = []any{obj{"filter": g.query(0), "weight": 5}, obj{"field_value_factor": obj{"field": nf, "missing": 0}}}
	}
	if g.chance(0.6) {
		fs["min_score"] = []any{2, 1e10, 86753190000, 0.5}[g.r.IntN(4)]
	}
	return obj{"function_score": fs}
}

// innerHits is an inner_hits option.
func (g *fuzzGen) innerHits() obj {
	ih := obj{"size": 3}
	if g.chance(0.5) {
		ih["_source"] = g.sourceOpt()
	}
	if g.chance(0.3) {
		ih["highlight"] = obj{"fields": obj{g.fieldOrPattern(): obj{}}}
	}
	if g.chance(0.3) {
		ih["docvalue_fields"] = []any{g.fieldOrPattern()}
	}
	if g.chance(0.2) {
		ih["fields"] = []any{g.fieldOrPattern()}
	}
	return ih
}

// sourceOpt is a _source option in one of its shapes.
func (g *fuzzGen) sourceOpt() any {
	switch g.r.IntN(6) {
	case 0:
		return g.chance(0.5)
	case 1:
		return g.fieldOrPattern()
	case 2:
		return []any{g.fieldOrPattern(), g.fieldOrPattern()}
	case 3:
		return obj{"includes": []any{g.fieldOrPattern()}, "excludes": []any{g.fieldOrPattern()}}
	case 4:
		return obj{"include": g.fieldOrPattern()}
	}
	return obj{"excludes": g.fieldOrPattern()}
}

// agg is a random aggregation, with sub-aggregations up to depth.
func (g *fuzzGen) agg(depth int) obj {
	kf := g.pick(append(append([]string{}, fuzzKeywordFields...), fuzzNumFields...))
	var a obj
	switch g.r.IntN(24) {
	case 0, 1:
		t := obj{"field": kf, "size": 20}
		if g.chance(0.2) {
			t["include"] = g.pattern("regexp")
		}
		if g.chance(0.2) {
			t["missing"] = "m"
		}
		if g.chance(0.1) {
			t["min_doc_count"] = 0
		}
		if g.chance(0.2) {
			t["order"] = obj{"_key": "asc"}
		}
		a = obj{"terms": t}
	case 2:
		a = obj{"rare_terms": obj{"field": g.pick(fuzzKeywordFields)}}
	case 3:
		a = obj{"multi_terms": obj{"terms": []any{obj{"field": g.pick(fuzzKeywordFields)}, obj{"field": kf}}}}
	case 4:
		a = obj{"significant_terms": obj{"field": g.pick(fuzzKeywordFields), "min_doc_count": 1}}
	case 5:
		a = obj{"significant_text": obj{"field": g.pick([]string{"pub", "sec", "sectv"}), "min_doc_count": 1}}
	case 6:
		a = obj{"composite": obj{"sources": []any{obj{"k": obj{"terms": obj{"field": kf}}}}}}
	case 7:
		a = obj{"filters": obj{"filters": obj{"x": g.query(1), "y": g.query(0)}}}
	case 8:
		a = obj{"filter": g.query(1)}
	case 9:
		a = obj{"nested": obj{"path": "nst"}}
		sub := obj{"k": obj{"terms": obj{"field": g.pick([]string{"nst.pub", "nst.sec.keyword"})}}}
		if g.chance(0.5) {
			sub["r"] = obj{"reverse_nested": obj{}, "aggs": obj{"k2": g.agg(0)}}
		}
		a["aggs"] = sub
		return a
	case 10:
		a = obj{"sampler": obj{"shard_size": 100}}
	case 11:
		th := obj{"size": 5}
		if g.chance(0.6) {
			th["_source"] = g.sourceOpt()
		}
		if g.chance(0.3) {
			th["docvalue_fields"] = []any{g.fieldOrPattern()}
		}
		if g.chance(0.3) {
			th["highlight"] = obj{"fields": obj{g.fieldOrPattern(): obj{}}, "require_field_match": false}
		}
		if g.chance(0.3) {
			th["sort"] = []any{obj{g.anyField(): obj{"order": "desc", "unmapped_type": "keyword"}}}
		}
		if g.chance(0.2) {
			th["stored_fields"] = []any{g.fieldOrPattern()}
		}
		if g.chance(0.2) {
			th["fields"] = []any{g.fieldOrPattern()}
		}
		if g.chance(0.1) {
			th["explain"] = true
		}
		a = obj{"top_hits": th}
	case 12:
		a = obj{g.pick([]string{"min", "max", "sum", "avg", "stats", "extended_stats", "value_count", "cardinality", "median_absolute_deviation"}): obj{"field": g.pick(fuzzNumFields)}}
	case 13:
		a = obj{"percentiles": obj{"field": g.pick(fuzzNumFields)}}
	case 14:
		a = obj{"histogram": obj{"field": g.pick(fuzzNumFields), "interval": 1000}}
	case 15:
		a = obj{"range": obj{"field": g.pick(fuzzNumFields), "ranges": []any{obj{"to": 86753150000}, obj{"from": 86753150000}}}}
	case 16:
		a = obj{"missing": obj{"field": g.anyField()}}
	case 17:
		a = obj{"adjacency_matrix": obj{"filters": obj{"p": g.query(0), "q": g.query(0)}}}
	case 18:
		a = obj{"diversified_sampler": obj{"field": g.pick(fuzzKeywordFields)}}
	case 19:
		a = obj{"weighted_avg": obj{"value": obj{"field": g.pick(fuzzNumFields)}, "weight": obj{"field": g.pick(fuzzNumFields)}}}
	case 20:
		a = obj{"cardinality": obj{"field": kf}}
	case 21:
		a = obj{"terms": obj{"field": g.pick([]string{"pub.keyword", "sec.keyword", "obj.sec"}), "size": 20}}
	case 22:
		a = obj{"value_count": obj{"field": g.fieldOrPattern()}}
	default:
		a = obj{"value_count": obj{"field": g.anyField()}}
	}
	if depth > 0 && g.chance(0.4) {
		if _, metric := a["terms"]; metric || a["filter"] != nil || a["filters"] != nil || a["sampler"] != nil || a["diversified_sampler"] != nil || a["composite"] != nil || a["histogram"] != nil || a["range"] != nil {
			a["aggs"] = obj{"s": g.agg(depth - 1)}
		}
	}
	return a
}

// nestedLeaf is a query on a field of the nested documents.
func (g *fuzzGen) nestedLeaf() obj {
	nf := g.pick([]string{"nst.pub", "nst.sec", "nst.sec.keyword"})
	return obj{g.pick([]string{"prefix", "wildcard"}): obj{nf: g.pattern("prefix") + "*"}}
}

// sortOpt is a sort option.
func (g *fuzzGen) sortOpt() any {
	f := g.anyField()
	switch g.r.IntN(5) {
	case 0:
		return f
	case 1:
		return []any{obj{f: obj{"order": g.pick([]string{"asc", "desc"}), "unmapped_type": "keyword", "missing": "_first"}}, "_id"}
	case 2:
		if g.chance(0.3) {
			return []any{obj{g.pick([]string{"nst.pub", "nst.sec.keyword"}): obj{"order": "asc", "nested_path": "nst", "nested_filter": g.nestedLeaf(), "mode": "min"}}, "_id"}
		}
		n := obj{"path": "nst"}
		if g.chance(0.6) {
			n["filter"] = g.nestedLeaf()
		}
		return []any{obj{g.pick([]string{"nst.pub", "nst.sec.keyword"}): obj{"order": g.pick([]string{"asc", "desc"}), "nested": n, "mode": "min"}}, "_id"}
	case 3:
		return []any{obj{f: g.pick([]string{"asc", "desc"})}, "_doc"}
	}
	return []any{"_score", obj{f: obj{"order": "asc", "unmapped_type": "long"}}}
}

// highlight is a highlight option.
func (g *fuzzGen) highlight() obj {
	fieldOpt := obj{}
	if g.chance(0.3) {
		fieldOpt["type"] = g.pick([]string{"unified", "plain", "fvh"})
	}
	if g.chance(0.2) {
		fieldOpt["matched_fields"] = []any{g.pick(fuzzTextFields), g.pick(fuzzTextFields)}
		fieldOpt["type"] = "fvh"
	}
	if g.chance(0.2) {
		fieldOpt["no_match_size"] = 50
	}
	if g.chance(0.2) {
		fieldOpt["highlight_query"] = g.query(1)
	}
	h := obj{"fields": obj{g.fieldOrPattern(): fieldOpt}}
	if g.chance(0.5) {
		h["require_field_match"] = false
	}
	if g.chance(0.4) {
		h["highlight_query"] = g.query(1)
	}
	if g.chance(0.2) {
		h["fields"] = []any{obj{g.fieldOrPattern(): obj{}}, obj{g.fieldOrPattern(): obj{}}}
	}
	return h
}

// suggest is a suggest option.
func (g *fuzzGen) suggest() obj {
	f := g.pick(fuzzTextFields)
	switch g.r.IntN(3) {
	case 0:
		return obj{"s": obj{"text": g.word(), "term": obj{"field": f, "suggest_mode": "always", "min_word_length": 2}}}
	case 1:
		return obj{"s": obj{"text": g.word() + " shared", "phrase": obj{"field": g.pick(fuzzTextFields),
			"direct_generator": []any{obj{"field": f, "suggest_mode": "always", "min_word_length": 2}}}}}
	}
	return obj{"s": obj{"text": g.word() + " shared", "phrase": obj{"field": f}}}
}

// searchBody is a random search body.
func (g *fuzzGen) searchBody() obj {
	b := obj{}
	g.minSc = false
	if g.chance(0.85) {
		b["query"] = g.query(2)
	}
	b["size"] = 20
	if g.chance(0.1) {
		b["size"] = []any{0, "20", 2}[g.r.IntN(3)]
	}
	if g.chance(0.35) {
		aggs := obj{"a": g.agg(1)}
		if g.chance(0.3) {
			aggs["b"] = g.agg(1)
		}
		b[g.pick([]string{"aggs", "aggregations"})] = aggs
	}
	if g.chance(0.35) {
		b["_source"] = g.sourceOpt()
	}
	if g.chance(0.25) {
		if g.chance(0.5) {
			b["fields"] = []any{g.fieldOrPattern(), obj{"field": g.fieldOrPattern()}}
		} else {
			b["fields"] = []any{g.fieldOrPattern()}
		}
	}
	if g.chance(0.2) {
		b["docvalue_fields"] = []any{g.fieldOrPattern(), obj{"field": g.anyField(), "format": "use_field_mapping"}}
	}
	if g.chance(0.15) {
		b["stored_fields"] = []any{"*", []any{"sectv", "_source"}, []any{g.fieldOrPattern()}}[g.r.IntN(3)]
	}
	if g.chance(0.25) {
		b["sort"] = g.sortOpt()
	}
	if g.chance(0.25) {
		b["highlight"] = g.highlight()
	}
	if g.chance(0.08) {
		b["suggest"] = g.suggest()
	}
	if g.chance(0.1) {
		c := obj{"field": g.pick([]string{"grp", "pub.keyword", "sec.keyword", "obj.sec", "num", "secnum"})}
		if g.chance(0.6) {
			c["inner_hits"] = obj{"name": "ih", "size": 3, "_source": g.sourceOpt()}
		}
		b["collapse"] = c
	}
	if g.chance(0.08) {
		b["sort"] = []any{obj{g.anyField(): obj{"order": "asc", "unmapped_type": "keyword"}}, obj{"_id": "asc"}}
		b["search_after"] = []any{g.word(), "h1"}
	}
	if g.chance(0.1) {
		b["rescore"] = obj{"window_size": 10, "query": obj{"rescore_query": g.query(1), "query_weight": 0}}
	}
	if g.chance(0.1) {
		b["post_filter"] = g.query(1)
	}
	if g.chance(0.05) {
		b["min_score"] = 0.5
		g.minSc = true
	}
	if g.chance(0.06) {
		b["profile"] = true
	}
	if g.chance(0.2) {
		b["explain"] = true
	}
	if g.chance(0.1) {
		b["track_total_hits"] = []any{true, 100, "true"}[g.r.IntN(3)]
	}
	if g.chance(0.05) {
		b["version"] = true
		b["seq_no_primary_term"] = true
	}
	if g.chance(0.05) {
		b["track_scores"] = true
	}
	if g.chance(0.04) {
		b["script_fields"] = obj{"x": obj{"script": obj{"source": "params['_source']['sec']"}}}
	}
	if g.chance(0.04) {
		b["derived"] = obj{"rt": obj{"type": "keyword", "script": obj{"source": "emit(params._source['sec'])"}}}
		b["fields"] = []any{"rt"}
	}
	if g.chance(0.04) {
		b["indices_boost"] = []any{obj{g.f.a: 2}}
	}
	return b
}
