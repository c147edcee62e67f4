package dls

import (
	"net/url"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// urlQueryParams are the parameters Elasticsearch reads into a
// query_string query (RestActions.urlParamsToQueryBuilder), in the order
// QueryFromURL writes them.
var urlQueryParams = []string{"q", "df", "default_operator", "analyzer", "analyze_wildcard", "lenient"}

// QueryFromURL turns the URL search parameters q, df, default_operator,
// analyzer, analyze_wildcard and lenient into the equivalent body query,
// {"query_string":{…}}, as Elasticsearch builds it. query is nil when q is
// absent. consumed lists the parameters present (all six, even without q):
// the caller removes them from the URL, so the cluster cannot apply a query
// that bypasses the DLS wrapper. A repeated parameter, a boolean other
// than true/false and an operator other than and/or are refused.
func QueryFromURL(values url.Values) (query esbody.Value, consumed []string, err error) {
	for _, name := range urlQueryParams {
		vs, ok := values[name]
		if !ok {
			continue
		}
		if len(vs) != 1 {
			return nil, nil, badParameter("parameter [%s] must be given once", name)
		}
		consumed = append(consumed, name)
	}
	q, ok := values["q"]
	if !ok {
		return nil, consumed, nil
	}
	body := &esbody.Object{}
	body.Set("query", esbody.String(q[0]))
	if df := values.Get("df"); df != "" {
		body.Set("default_field", esbody.String(df))
	}
	if op := values.Get("default_operator"); op != "" {
		switch strings.ToLower(op) {
		case "and":
			body.Set("default_operator", esbody.String("AND"))
		case "or":
			body.Set("default_operator", esbody.String("OR"))
		default:
			return nil, nil, badParameter("No enum constant for [default_operator] value [%s]", op)
		}
	}
	if an := values.Get("analyzer"); an != "" {
		body.Set("analyzer", esbody.String(an))
	}
	for _, name := range []string{"analyze_wildcard", "lenient"} {
		b, set, err := boolParam(values, name)
		if err != nil {
			return nil, nil, err
		}
		if set {
			body.Set(name, esbody.Bool(b))
		}
	}
	return single("query_string", body), consumed, nil
}

// boolParam reads a boolean parameter strictly, as Booleans.parseBoolean:
// "true" or "false"; an empty value counts as absent.
func boolParam(values url.Values, name string) (value, set bool, err error) {
	switch values.Get(name) {
	case "":
		return false, false, nil
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, false, badParameter("Failed to parse value [%s] as only [true] or [false] are allowed.", values.Get(name))
}

// ApplyURLQuery moves a URL query (?q=…) into the body of a request of the
// given kind, with Elasticsearch's precedence, and returns the body (a new
// object; the input is not modified) and the parameters to remove from the
// URL. A nil or empty body counts as no body (where Elasticsearch would
// answer 400 to {} with ?q=, the proxy applies q: the result is under the
// DLS wrapper either way):
//
//   - Search, DeleteByQuery, UpdateByQuery: q replaces the body's query
//     (RestSearchAction parses the body, then the URL query over it).
//   - Explain: a body wins and q is ignored (RestExplainAction).
//   - Count, ValidateQuery: q is read only without a body; with one, the
//     cluster answers 400 (unrecognized parameter [q]), and so does the
//     proxy.
//   - KnnSearch takes no q: refused.
//
// Call it before Wrap, and remove consumed from the URL even when the body
// did not change: a q left in the URL of a search would replace the
// wrapped query.
func ApplyURLQuery(kind BodyKind, body *esbody.Object, values url.Values) (*esbody.Object, []string, error) {
	q, consumed, err := QueryFromURL(values)
	if err != nil {
		return nil, nil, err
	}
	out := body.Clone()
	if q == nil {
		return out, consumed, nil
	}
	hasBody := body.Len() > 0
	switch kind {
	case Search, DeleteByQuery, UpdateByQuery:
	case Explain:
		if hasBody {
			return out, consumed, nil
		}
	case Count, ValidateQuery:
		if hasBody {
			return nil, nil, badParameter("request [%s] contains unrecognized parameter: [q] (a body and ?q= cannot be combined)", kind)
		}
	default:
		return nil, nil, badParameter("request [%s] contains unrecognized parameter: [q]", kind)
	}
	if out == nil {
		out = &esbody.Object{}
	}
	out.Set("query", q)
	return out, consumed, nil
}

// suggestParams are the URL parameters that define a suggester
// (RestSearchAction.parseSearchSource).
var suggestParams = []string{"suggest_field", "suggest_text", "suggest_mode", "suggest_size"}

// CheckURL refuses URL parameters that DLS does not allow for a request
// of the given kind: a suggester given in the URL (Elasticsearch's
// "Suggest isn't supported…"), an OpenSearch search_pipeline (it could
// rewrite the request after the proxy), and _validate/query with
// rewrite=true (Elasticsearch's "Validate with rewrite isn't supported…").
func CheckURL(kind BodyKind, values url.Values) error {
	switch kind {
	case Search, DeleteByQuery, UpdateByQuery:
		for _, p := range suggestParams {
			if values.Has(p) {
				return refuse(reasonSuggest)
			}
		}
		if values.Has("search_pipeline") {
			return refuse("[search_pipeline] is not supported by the proxy if document level security is enabled")
		}
	case ValidateQuery:
		if rewrite, err := flagParam(values, "rewrite"); err != nil || rewrite {
			return refuse(reasonRewrite)
		}
	}
	return nil
}

// flagParam reads a boolean URL parameter the way the cluster's
// RestRequest.paramAsBoolean does: absent is false, a present parameter
// without a value ("?rewrite", "?rewrite=") is true, otherwise "true" or
// "false" strictly.
func flagParam(values url.Values, name string) (bool, error) {
	if !values.Has(name) {
		return false, nil
	}
	switch v := values.Get(name); v {
	case "", "true":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, badParameter("Failed to parse value [%s] as only [true] or [false] are allowed.", v)
	}
}
