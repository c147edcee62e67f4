package dls

import (
	"net/url"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// CheckExplanation refuses, under DLS, an explanation of a query that the
// cluster expands into indexed terms. A fuzzy query, a multi-term query
// with a scoring rewrite (rewrite, fuzzy_rewrite), fuzziness on a match
// query, a phrase prefix and span_multi are rewritten, on each shard, into
// the terms of the field's dictionary that match, and the dictionary holds
// the terms of every document, hidden ones included. The DLS filter keeps
// those documents out of the hits, but an explanation (the _explain API,
// explain:true in a search, top_hits or inner_hits, ?explain=true) prints
// the rewritten query: {"fuzzy":{"name":"smitx"}} on a visible document
// answered "no match on required clause (name:smith name:smyth)", the
// names of hidden documents. Without an explanation the rewritten query
// never reaches the response, so only the combination is refused.
//
// kind is the API, body the request body after ApplyURLQuery (a URL q
// included), values the URL parameters (explain=true on a search).
func CheckExplanation(kind BodyKind, body *esbody.Object, values url.Values) error {
	explaining := kind == Explain
	if kind == Search || kind == DeleteByQuery || kind == UpdateByQuery {
		explaining = truthy(values.Get("explain")) || asksExplanation(body, 0)
	}
	if !explaining || body == nil {
		return nil
	}
	// An explanation describes the query and the rescorers' queries (their
	// inner_hits and has_child/nested queries included) and, in collapse's
	// inner_hits, the post_filter; not the aggregations or highlight_query.
	for _, member := range []string{"query", "rescore", "post_filter"} {
		v, ok := body.Get(member)
		if !ok {
			continue
		}
		if path, ok := termExpansion(v, member, 0); ok {
			return refuse("[%s] expands to indexed terms, those of documents hidden by document level security included, which an explanation would list: explanations of such queries are not supported by the proxy if document level security is enabled", path)
		}
	}
	return nil
}

// maxExplainDepth bounds the recursion of the scans below; deeper bodies
// count as asking for (and holding) what is looked for.
const maxExplainDepth = 256

// truthy is Elasticsearch's reading of a boolean parameter: anything but
// absent or "false" is true (Booleans.parseBoolean rejects other values,
// which the cluster then answers with 400).
func truthy(s string) bool { return s != "" && s != "false" }

// asksExplanation reports whether a member "explain" anywhere in v (the
// search body, top_hits, inner_hits, collapse's inner_hits) is true.
func asksExplanation(v esbody.Value, depth int) bool {
	if depth > maxExplainDepth {
		return true
	}
	switch x := v.(type) {
	case *esbody.Object:
		if x == nil {
			return false
		}
		for name, c := range x.All() {
			if name == "explain" && trueValue(c) {
				return true
			}
			if asksExplanation(c, depth+1) {
				return true
			}
		}
	case esbody.Array:
		for _, c := range x {
			if asksExplanation(c, depth+1) {
				return true
			}
		}
	}
	return false
}

// trueValue reports a true boolean, as JSON or as a string.
func trueValue(v esbody.Value) bool {
	switch x := v.(type) {
	case esbody.Bool:
		return bool(x)
	case esbody.String:
		return truthy(string(x))
	}
	return false
}

// termExpansion finds, anywhere in v, a construct the cluster rewrites into
// the matching terms of a field's dictionary, and returns its path. The
// scan is by member name, not by query grammar: a field that happens to be
// named like one of these constructs is also reported, which refuses more,
// never less.
func termExpansion(v esbody.Value, path string, depth int) (string, bool) {
	if depth > maxExplainDepth {
		return path, true
	}
	switch x := v.(type) {
	case *esbody.Object:
		if x == nil {
			return "", false
		}
		for name, c := range x.All() {
			p := name
			if path != "" {
				p = path + "." + name
			}
			if expands(name, c) {
				return p, true
			}
			if found, ok := termExpansion(c, p, depth+1); ok {
				return found, true
			}
		}
	case esbody.Array:
		for _, c := range x {
			if found, ok := termExpansion(c, path, depth+1); ok {
				return found, true
			}
		}
	}
	return "", false
}

// expands reports whether the member name: c is a term-expanding construct.
func expands(name string, c esbody.Value) bool {
	switch name {
	case "fuzzy":
		// The fuzzy query (an object); a field named "fuzzy" in a term
		// query holds a string.
		_, isObj := c.(*esbody.Object)
		return isObj
	case "span_multi", "match_phrase_prefix":
		return true
	case "fuzziness":
		switch x := c.(type) {
		case esbody.String:
			return string(x) != "0"
		case esbody.Number:
			return string(x) != "0"
		}
		return true
	case "rewrite", "fuzzy_rewrite":
		// constant_score (the default) matches without listing terms;
		// every other rewrite builds a query of the terms.
		s, ok := c.(esbody.String)
		return !ok || string(s) != "constant_score"
	case "type":
		// multi_match's phrase_prefix.
		s, ok := c.(esbody.String)
		return ok && string(s) == "phrase_prefix"
	case "query_string", "simple_query_string":
		// term~ is a fuzzy query ("phrase"~2 is a slop, refused all the
		// same).
		o, ok := c.(*esbody.Object)
		if !ok || o == nil {
			return false
		}
		q, ok := o.Get("query")
		if !ok {
			return false
		}
		s, ok := q.(esbody.String)
		return !ok || strings.Contains(string(s), "~")
	}
	return false
}
