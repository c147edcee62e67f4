package dls

import (
	"net/url"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// CheckExplanation refuses, under DLS, a request for an explanation.
// What the cluster explains is the query the proxy sent, which is the
// user's query wrapped in the role queries: the explanation prints the
// role queries, and they may name what only hidden documents hold (a
// must_not term on a secret code was printed whole). It also prints the
// terms the cluster expands fuzzy, prefix-with-scoring-rewrite, phrase
// prefix and span_multi queries into, which come from every document's
// terms, hidden ones included ({"fuzzy":{"name":"smitx"}} explained as
// "no match on required clause (name:smith name:smyth)"). Elasticsearch
// applies role queries to the index reader and shows neither; outside the
// cluster there is no explanation to give without them, so, as with
// profile, the request is refused.
//
// kind is the API, body the request body after ApplyURLQuery (nil when
// there is none), values the URL parameters (explain=true on a search).
func CheckExplanation(kind BodyKind, body *esbody.Object, values url.Values) error {
	explaining := kind == Explain
	if kind == Search || kind == DeleteByQuery || kind == UpdateByQuery {
		explaining = explainParam(values) || (body != nil && asksExplanation(body))
	}
	if !explaining {
		return nil
	}
	return refuse("explanations are not supported by the proxy if document level security is enabled: they would print the role query and the terms of hidden documents")
}

// maxExplainDepth bounds the recursion of asksExplanation; a deeper body
// counts as asking for an explanation.
const maxExplainDepth = 256

// explainParam reports whether the URL asks for an explanation. The
// cluster reads a valueless or empty flag as true (paramAsBoolean), and
// anything but "false" either explains or is refused by the cluster; with
// the parameter repeated, any such value counts.
func explainParam(values url.Values) bool {
	for _, v := range values["explain"] {
		if v != "false" {
			return true
		}
	}
	return false
}

// truthy reads a boolean given as a string in a body: anything but empty
// or "false" counts as true (the cluster explains on "true" and refuses
// the rest with 400).
func truthy(s string) bool { return s != "" && s != "false" }

// asksExplanation reports whether a member "explain" anywhere in v (the
// search body, top_hits, inner_hits, collapse's inner_hits) is true.
func asksExplanation(v esbody.Value) bool {
	return esbody.AnyMember(v, maxExplainDepth, func(name string, c esbody.Value) bool {
		return name == "explain" && trueValue(c)
	})
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
