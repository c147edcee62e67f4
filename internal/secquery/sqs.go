package secquery

import (
	"slices"
	"strings"
)

// simple_query_string over the documents' fields, as Kibana's API key page
// search box sends it: whitespace-separated terms, "quoted phrases", a
// trailing * for a prefix, a leading + (required) or - (excluded), and
// the default operator between the rest. The fields are keyword fields, so
// each term matches a whole value. Without fields, every allowed field is
// searched, leniently (a term that is no date or boolean simply does not
// match those fields), as Elasticsearch does for "*". Fields that name no
// allowed field match nothing.

func (p queryParser) parseSimpleQueryString(body any) (matcher, error) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, badRequest("parsing_exception", "[simple_query_string] query malformed, expected an object")
	}
	if err := checkOptions("simple_query_string", obj, "query", "fields", "default_operator", "lenient", "analyze_wildcard",
		"flags", "analyzer", "minimum_should_match", "quote_field_suffix", "auto_generate_synonyms_phrase_query",
		"fuzzy_transpositions", "fuzzy_max_expansions", "fuzzy_prefix_length"); err != nil {
		return nil, err
	}
	text, ok := obj["query"].(string)
	if !ok {
		return nil, badRequest("parsing_exception", "[simple_query_string] requires a [query] string")
	}
	patterns := []string{"*"}
	if list, ok := obj["fields"].([]any); ok && len(list) > 0 {
		patterns = patterns[:0]
		for _, f := range list {
			name, _, _ := strings.Cut(leafString(f), "^") // a boost changes no match
			patterns = append(patterns, name)
		}
	}
	var fields []field
	for _, pat := range patterns {
		fields = append(fields, p.schema.resolvePattern(pat)...)
	}
	and := strings.EqualFold(leafString(obj["default_operator"]), "and")
	tokens := sqsTokens(text)
	if err := p.countClauses(len(tokens) * max(1, len(fields))); err != nil {
		return nil, err
	}
	var required, excluded, optional []matcher
	for _, tok := range tokens {
		m := p.sqsTerm(fields, tok.text, tok.prefix)
		switch tok.occur {
		case '+':
			required = append(required, m)
		case '-':
			excluded = append(excluded, m)
		default:
			if and {
				required = append(required, m)
			} else {
				optional = append(optional, m)
			}
		}
	}
	if len(fields) == 0 {
		return func(*Doc) bool { return false }, nil
	}
	return func(d *Doc) bool {
		for _, m := range required {
			if !m(d) {
				return false
			}
		}
		for _, m := range excluded {
			if m(d) {
				return false
			}
		}
		// Beside required clauses the optional ones only score; alone, one
		// must match (a query of exclusions alone matches the rest).
		if len(required) > 0 || len(optional) == 0 {
			return len(required) > 0 || len(excluded) > 0
		}
		return slices.ContainsFunc(optional, func(m matcher) bool { return m(d) })
	}, nil
}

// sqsTerm matches documents where one of fields equals (or, with prefix, starts
// with) term. Fields whose type cannot hold term do not match.
func (p queryParser) sqsTerm(fields []field, term string, prefix bool) matcher {
	var preds []matcher
	for _, f := range fields {
		if prefix {
			if f.kind == Keyword {
				preds = append(preds, anyValue(f, func(v any) bool { return strings.HasPrefix(v.(string), term) }))
			}
			continue
		}
		if eq, err := p.equals(f, term, false); err == nil {
			preds = append(preds, anyValue(f, eq))
		}
	}
	return func(d *Doc) bool {
		for _, m := range preds {
			if m(d) {
				return true
			}
		}
		return false
	}
}

// sqsToken is one term of a simple query string.
type sqsToken struct {
	text   string
	prefix bool
	occur  byte // '+', '-' or 0
}

// sqsTokens splits a simple query string into its terms; "|" (or) and
// parentheses are separators, as the default operator already is or.
func sqsTokens(s string) []sqsToken {
	var out []sqsToken
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t\r\n|()")
		if s == "" {
			break
		}
		var tok sqsToken
		if s[0] == '+' || s[0] == '-' {
			tok.occur, s = s[0], s[1:]
		}
		if strings.HasPrefix(s, `"`) {
			end := strings.Index(s[1:], `"`)
			if end < 0 {
				end = len(s) - 1
			}
			tok.text, s = s[1:1+end], s[min(len(s), end+2):]
		} else {
			end := strings.IndexAny(s, " \t\r\n|()")
			if end < 0 {
				end = len(s)
			}
			tok.text, s = s[:end], s[end:]
			if strings.HasSuffix(tok.text, "*") {
				tok.text, tok.prefix = strings.TrimSuffix(tok.text, "*"), true
			}
		}
		if tok.text != "" || tok.prefix {
			out = append(out, tok)
		}
	}
	return out
}
