package flsquery

import (
	"net/http"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// URLQuery holds the URL parameters from which Elasticsearch builds a
// query_string query (RestActions.urlParamsToQueryBuilder): q, df,
// analyzer, analyze_wildcard, lenient and default_operator. Absent
// parameters are empty strings.
type URLQuery struct {
	Q, DF, Analyzer, AnalyzeWildcard, Lenient, DefaultOperator string
	// HasQ says q was present, possibly empty: "?q=" still replaces the
	// body's query (with one matching nothing).
	HasQ bool
}

// QueryFromURL returns the query_string query the cluster would build from
// the URL parameters, so the integrator can move it into the body (where
// the cluster puts it too: q replaces the body's query), let Rewrite
// check it, and drop the parameters from the forwarded URL. It returns nil
// when there is no q.
func QueryFromURL(p URLQuery) (*esbody.Object, error) {
	if p.Q == "" && !p.HasQ {
		return nil, nil
	}
	qs := single("query", esbody.String(p.Q))
	if p.DF != "" {
		qs.Set("default_field", esbody.String(p.DF))
	}
	if p.Analyzer != "" {
		qs.Set("analyzer", esbody.String(p.Analyzer))
	}
	for _, b := range []struct{ name, value string }{
		{"analyze_wildcard", p.AnalyzeWildcard}, {"lenient", p.Lenient},
	} {
		if b.value == "" {
			continue
		}
		v, err := urlBool(b.name, b.value)
		if err != nil {
			return nil, err
		}
		qs.Set(b.name, v)
	}
	if p.DefaultOperator != "" {
		switch strings.ToLower(p.DefaultOperator) {
		case "and", "or":
			qs.Set("default_operator", esbody.String(p.DefaultOperator))
		default:
			return nil, badParam("default_operator", p.DefaultOperator)
		}
	}
	return single("query_string", qs), nil
}

// urlBool parses a boolean URL parameter strictly, as Elasticsearch 7+
// does.
func urlBool(name, value string) (esbody.Value, error) {
	switch value {
	case "true":
		return esbody.Bool(true), nil
	case "false":
		return esbody.Bool(false), nil
	}
	return nil, badParam(name, value)
}

func badParam(name, value string) *Refusal {
	return &Refusal{Status: http.StatusBadRequest, Type: "illegal_argument_exception",
		Reason: "Failed to parse value [" + value + "] of parameter [" + name + "]"}
}

// SuggestFromURL returns the suggest section the cluster builds from the
// URL parameters suggest_field, suggest_text, suggest_mode and
// suggest_size (a term suggestion named after the field), or nil without
// suggest_field. The integrator puts it in the body before Rewrite and
// drops the parameters, so the field is checked like any suggester's.
func SuggestFromURL(field, text, mode, size string) (*esbody.Object, error) {
	if field == "" {
		return nil, nil
	}
	term := single("field", esbody.String(field))
	if mode != "" {
		term.Set("suggest_mode", esbody.String(mode))
	}
	if size != "" {
		n, err := esbody.Number(size).Int64()
		if err != nil || n < 0 {
			return nil, badParam("suggest_size", size)
		}
		term.Set("size", esbody.IntNumber(n))
	}
	suggestion := single("text", esbody.String(text))
	suggestion.Set("term", term)
	return single(field, suggestion), nil
}

// SortFromURL converts the URL sort parameter ("f1:desc,f2,_score") into
// body sort entries, which the cluster appends to the body's sort. The
// integrator appends them to the body before Rewrite and drops the
// parameter, so a sort on a hidden field cannot order the hits.
func SortFromURL(param string) (esbody.Array, error) {
	var out esbody.Array
	for _, s := range strings.Split(param, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			out = append(out, esbody.String(s))
			continue
		}
		field, order := s[:i], s[i+1:]
		switch order {
		case "asc", "desc":
			out = append(out, single(field, esbody.String(order)))
		default:
			return nil, badParam("sort", param)
		}
	}
	return out, nil
}
