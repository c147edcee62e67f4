package flsquery

import (
	"errors"
	"testing"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// fuzzSeeds are bodies that reach every part of the walker.
func fuzzSeeds() []string {
	return []string{
		`{"query":{"bool":{"must":[{"match":{"secret_note":"amber"}},{"term":{"tenant":"acme"}}],"filter":{"range":{"salary":{"gte":1}}},"should":[{"exists":{"field":"user"}}],"must_not":{"prefix":{"code":"k9"}}}}}`,
		`{"query":{"query_string":{"query":"secret_note:amber OR *:x OR _exists_:user OR user.\\*:(a b) OR code:*","default_field":"*"}}}`,
		`{"query":{"multi_match":{"query":"a","fields":["message^2","s*"]}},"post_filter":{"terms":{"code":["a"]}}}`,
		`{"query":{"simple_query_string":{"query":"a"}},"rescore":{"window_size":5,"query":{"rescore_query":{"match":{"all_text":"x"}}}}}`,
		`{"query":{"function_score":{"query":{"match_all":{}},"functions":[{"filter":{"term":{"code":"a"}},"field_value_factor":{"field":"salary","missing":1}},{"gauss":{"salary":{"origin":0,"scale":1}}}]}}}`,
		`{"query":{"nested":{"path":"comments","query":{"match":{"comments.text":"x"}},"inner_hits":{"highlight":{"fields":{"comments.text":{}}}}}}}`,
		`{"query":{"span_near":{"clauses":[{"span_term":{"message":"a"}},{"span_multi":{"match":{"prefix":{"code":"k"}}}},{"field_masking_span":{"query":{"span_term":{"secret_note":"b"}},"field":"message"}}]}}}`,
		`{"query":{"intervals":{"message":{"all_of":{"intervals":[{"match":{"query":"a","use_field":"secret_note"}}],"filter":{"before":{"prefix":{"prefix":"b"}}}}}}}}`,
		`{"query":{"geo_distance":{"distance":"1km","code":"1,1"}},"sort":[{"_geo_distance":{"salary":"1,1"}}]}`,
		`{"query":{"more_like_this":{"like":"quokka"}}}`,
		`{"query":{"wrapper":{"query":"eyJtYXRjaCI6eyJzZWNyZXRfbm90ZSI6ImFtYmVyIn19"}}}`,
		`{"query":{"knn":{"code":{"vector":[1],"k":1,"filter":{"term":{"salary":1}}}}},"knn":{"field":"code","query_vector":[1],"k":1,"num_candidates":1}}`,
		`{"query":{"terms_set":{"tenant":{"terms":["a"],"minimum_should_match_field":"salary"}}}}`,
		`{"aggs":{"t":{"terms":{"field":"secret_note.keyword"},"aggs":{"m":{"max":{"field":"salary"}},"h":{"top_hits":{"sort":["salary"],"docvalue_fields":["code"]}}}},"f":{"filters":{"filters":{"a":{"term":{"code":"x"}}}}},"c":{"composite":{"sources":[{"a":{"terms":{"field":"code"}}}]}}}}`,
		`{"aggs":{"n":{"nested":{"path":"comments"},"aggs":{"r":{"reverse_nested":{}}}},"w":{"weighted_avg":{"value":{"field":"salary"},"weight":{"field":"tenant"}}},"mt":{"multi_terms":{"terms":[{"field":"code"},{"field":"tenant"}]}}}}`,
		`{"sort":["salary",{"code":{"order":"desc","nested":{"path":"comments","filter":{"term":{"comments.author":"x"}}}}}],"collapse":{"field":"code","inner_hits":{"name":"i"}}}`,
		`{"highlight":{"require_field_match":false,"highlight_query":{"match":{"secret_note":"x"}},"fields":{"*":{"matched_fields":["message","secret_note"]},"code":{}}}}`,
		`{"suggest":{"text":"x","a":{"term":{"field":"secret_note"}},"b":{"phrase":{"field":"message","direct_generator":[{"field":"code"}]}},"c":{"prefix":"x","completion":{"field":"code"}}}}`,
		`{"_source":["secret_note"],"fields":["user.*",{"field":"code"}],"docvalue_fields":["salary"],"stored_fields":["secret_note"],"slice":{"id":0,"max":2,"field":"code"}}`,
		`{"query":{"script":{"script":"1"}},"script_fields":{"a":{}},"runtime_mappings":{}}`,
		`{"query":{"has_child":{"type":"c","query":{"match_all":{}}}}}`,
		`{"query":{"percolate":{"field":"query","document":{"salary":1}}}}`,
	}
}

// FuzzRewrite feeds random and mutated bodies through Rewrite. It must
// never panic; it must answer with a *Refusal or a body that encodes and
// parses back; and for a single view, walking the rewritten body again
// must change nothing and find no hidden field in any field position.
func FuzzRewrite(f *testing.F) {
	for _, s := range fuzzSeeds() {
		for mode := range uint8(4) {
			f.Add([]byte(s), mode)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		body, err := esbody.ParseObject(data)
		if err != nil {
			return
		}
		view, scope := fuzzScope(mode)
		before, _ := esbody.Encode(body)
		for _, api := range []API{Search, Count, DeleteByQuery, TermsEnum, FieldCaps} {
			out, err := RewriteBody(api, body, scope)
			if after, _ := esbody.Encode(body); string(after) != string(before) {
				t.Fatalf("the input body was modified")
			}
			if err != nil {
				var refusal *Refusal
				if !errors.As(err, &refusal) || refusal.Status != 400 {
					t.Fatalf("error is not a 400 refusal: %T %v", err, err)
				}
				continue
			}
			raw, err := esbody.Encode(out)
			if err != nil {
				t.Fatalf("rewritten body does not encode: %v", err)
			}
			if _, err := esbody.ParseObject(raw); err != nil {
				t.Fatalf("rewritten body does not parse: %v\n%s", err, raw)
			}
			if view != nil {
				if err := checkNoHiddenReference(api, out, view); err != nil {
					t.Fatalf("%v\ninput: %s", err, data)
				}
			}
		}
	})
}

// fuzzScope returns the scope for a fuzz mode, and the single view when
// there is one.
func fuzzScope(mode uint8) (FieldView, Scope) {
	switch mode % 4 {
	case 0:
		v := aliceView()
		return v, oneIndex("logs-acme-2024", v)
	case 1:
		v := harryView()
		return v, oneIndex("hr-payroll", v)
	case 2:
		wide := &fakeView{mapped: logsMapping(), grant: []string{"*"}, except: []string{"salary"}}
		return nil, Scope{Indices: []IndexFields{{Index: "a", Fields: aliceView()}, {Index: "b", Fields: wide}}}
	}
	return nil, Scope{Indices: []IndexFields{{Index: "a", Fields: aliceView()}, {Index: "b"}}}
}

// FuzzQueryText feeds random query_string text through the field-prefix
// rewrite: no panic, and a rewritten text must tokenize, come back
// unchanged from a second rewrite, and name only visible fields.
func FuzzQueryText(f *testing.F) {
	for _, s := range []string{`secret_note:amber AND tenant:acme`, `*:*`, `*:x^2`, `user.\*:(a OR b:c)`,
		`_exists_:user`, `f:[a TO "b ]"]`, `\u0073ecret:x`, `a~2 b:/x:y/ "c:d"`, `+code:* -(x:y)^3`, `a\:b:c`} {
		f.Add(s)
	}
	view := aliceView()
	f.Fuzz(func(t *testing.T, text string) {
		r := &rewriter{plan: newPlan(oneIndex("i", view)), view: view}
		out, err := r.queryText("q", text)
		if err != nil {
			return
		}
		again, err := r.queryText("q", out)
		if err != nil || again != out {
			t.Fatalf("second rewrite of %q gave %q, %v (first gave %q)", text, again, err, out)
		}
		runes := []rune(out)
		toks, err := lexLucene(runes)
		if err != nil {
			t.Fatalf("rewritten %q does not tokenize", out)
		}
		for i := 0; i+1 < len(toks); i++ {
			if toks[i].kind != tokTerm || toks[i+1].kind != tokColon {
				continue
			}
			name, err := unescapeLucene(string(runes[toks[i].start:toks[i].end]))
			if err != nil {
				t.Fatalf("rewritten %q holds an unreadable field", out)
			}
			if name == "_exists_" && i+2 < len(toks) && toks[i+2].kind == tokTerm {
				name, err = unescapeLucene(string(runes[toks[i+2].start:toks[i+2].end]))
				if err != nil {
					t.Fatalf("rewritten %q holds an unreadable _exists_ field", out)
				}
			}
			if name != NeutralField && name != "_exists_" && !view.Visible(name) {
				t.Fatalf("rewritten %q (from %q) still names hidden field %q", out, text, name)
			}
		}
	})
}
