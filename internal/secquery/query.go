package secquery

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// QueryError is a query the API refuses: Type and Reason are
// Elasticsearch's error type and reason, for a 400 answer.
type QueryError struct {
	Type, Reason string
}

func (e *QueryError) Error() string { return e.Type + ": " + e.Reason }

func badRequest(typ, format string, args ...any) *QueryError {
	return &QueryError{Type: typ, Reason: fmt.Sprintf(format, args...)}
}

// matcher decides whether one document matches a query.
type matcher func(d *Doc) bool

// queryParser turns query DSL into matchers over the schema's fields; now
// is the time "now" in date math stands for.
type queryParser struct {
	schema *Schema
	now    time.Time
	// clauses counts the request's query clauses (see maxClauses).
	clauses *int
}

// maxQueryDepth bounds nested bool queries (Elasticsearch: 20 by default
// for bool clauses' nesting through indices.query.bool.max_nested_depth).
const maxQueryDepth = 20

// maxClauses bounds the query clauses of one request (a simple query
// string's terms count once per field they search), as Lucene's
// maxClauseCount does (4096, Elasticsearch 8's default on small nodes):
// every clause runs over every document.
const maxClauses = 4096

// maxTermsCount is Elasticsearch's index.max_terms_count default: the
// most values one terms query may list.
const maxTermsCount = 65536

// countClauses adds n clauses to the request's count, and refuses the
// request once it passes maxClauses.
func (p queryParser) countClauses(n int) error {
	if p.clauses == nil {
		return nil
	}
	*p.clauses += n
	if *p.clauses > maxClauses {
		return badRequest("too_many_nested_clauses", "Query contains too many nested clauses; maxClauseCount is set to %d", maxClauses)
	}
	return nil
}

// parse parses one query object ({"term": {...}}).
func (p queryParser) parse(v any, depth int) (matcher, error) {
	if depth > maxQueryDepth {
		return nil, badRequest("parsing_exception", "query nested deeper than [%d]", maxQueryDepth)
	}
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 1 {
		return nil, badRequest("parsing_exception", "a query must be an object with exactly one query type")
	}
	if err := p.countClauses(1); err != nil {
		return nil, err
	}
	for typ, body := range obj {
		switch typ {
		case "match_all":
			return func(*Doc) bool { return true }, expectObject(typ, body)
		case "bool":
			return p.parseBool(body, depth)
		case "ids":
			return parseIDs(body)
		case "term":
			return p.parseTerm(body)
		case "terms":
			return p.parseTerms(body)
		case "prefix", "wildcard":
			return p.parsePattern(typ, body)
		case "exists":
			return p.parseExists(body)
		case "range":
			return p.parseRange(body)
		case "match":
			return p.parseMatch(body)
		case "simple_query_string":
			return p.parseSimpleQueryString(body)
		default:
			return nil, badRequest("illegal_argument_exception", "Query type [%s] is not supported for %s querying", typ, p.schema.Noun)
		}
	}
	panic("unreachable")
}

func expectObject(typ string, body any) error {
	if _, ok := body.(map[string]any); !ok {
		return badRequest("parsing_exception", "[%s] query malformed, expected an object", typ)
	}
	return nil
}

// commonOptions are the options every query type accepts and that do not
// change which documents match.
var commonOptions = []string{"boost", "_name"}

// checkOptions refuses options of typ outside allowed and commonOptions.
func checkOptions(typ string, obj map[string]any, allowed ...string) error {
	for k := range obj {
		if !slices.Contains(allowed, k) && !slices.Contains(commonOptions, k) {
			return badRequest("parsing_exception", "[%s] query does not support [%s]", typ, k)
		}
	}
	return nil
}

func (p queryParser) parseBool(body any, depth int) (matcher, error) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, badRequest("parsing_exception", "[bool] query malformed, expected an object")
	}
	if err := checkOptions("bool", obj, "must", "filter", "should", "must_not", "minimum_should_match", "adjust_pure_negative"); err != nil {
		return nil, err
	}
	clauses := map[string][]matcher{}
	for _, occur := range []string{"must", "filter", "should", "must_not"} {
		var list []any
		switch v := obj[occur].(type) {
		case nil:
		case []any:
			list = v
		case map[string]any:
			list = []any{v}
		default:
			return nil, badRequest("parsing_exception", "[bool] query malformed, [%s] must be an object or an array", occur)
		}
		for _, q := range list {
			m, err := p.parse(q, depth+1)
			if err != nil {
				return nil, err
			}
			clauses[occur] = append(clauses[occur], m)
		}
	}
	required := clauses["must"]
	required = append(required, clauses["filter"]...)
	should, mustNot := clauses["should"], clauses["must_not"]
	minShould := 0
	if len(should) > 0 && len(required) == 0 {
		minShould = 1
	}
	if v, ok := obj["minimum_should_match"]; ok {
		n, err := minimumShouldMatch(v, len(should))
		if err != nil {
			return nil, err
		}
		minShould = n
	}
	return func(d *Doc) bool {
		for _, m := range required {
			if !m(d) {
				return false
			}
		}
		for _, m := range mustNot {
			if m(d) {
				return false
			}
		}
		if minShould == 0 {
			return true
		}
		n := 0
		for _, m := range should {
			if m(d) {
				n++
			}
		}
		return n >= minShould
	}, nil
}

// minimumShouldMatch reads Elasticsearch's minimum_should_match forms that
// bool queries use: an integer, a negative integer (all but), or a
// percentage (rounded down), optionally negative.
func minimumShouldMatch(v any, optional int) (int, error) {
	s := strings.TrimSpace(leafString(v))
	pct := strings.HasSuffix(s, "%")
	n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	if err != nil {
		return 0, badRequest("parsing_exception", "[bool] query: minimum_should_match [%s] is not supported by the security proxy", s)
	}
	if pct {
		n = optional * n / 100
	}
	if n < 0 {
		n += optional
	}
	return max(0, n), nil
}

func parseIDs(body any) (matcher, error) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, badRequest("parsing_exception", "[ids] query malformed, expected an object")
	}
	if err := checkOptions("ids", obj, "values"); err != nil {
		return nil, err
	}
	raw, ok := obj["values"].([]any)
	if !ok && obj["values"] != nil {
		return nil, badRequest("parsing_exception", "[ids] query: [values] must be an array")
	}
	ids := make(map[string]bool, len(raw))
	for _, v := range raw {
		ids[leafString(v)] = true
	}
	return func(d *Doc) bool { return ids[d.ID] }, nil
}

// fieldAndOptions splits the {"field": value} or {"field": {options}}
// shape of term-level queries. value is the shorthand's value or
// options[valueKey].
func (p queryParser) fieldAndOptions(typ string, body any, valueKey string, allowed ...string) (f field, value any, opts map[string]any, err error) {
	obj, ok := body.(map[string]any)
	if !ok {
		return f, nil, nil, badRequest("parsing_exception", "[%s] query malformed, expected an object", typ)
	}
	name := ""
	for k, v := range obj {
		if slices.Contains(commonOptions, k) {
			continue
		}
		if name != "" {
			return f, nil, nil, badRequest("parsing_exception", "[%s] query doesn't support multiple fields, found [%s] and [%s]", typ, name, k)
		}
		name, value = k, v
	}
	if name == "" {
		return f, nil, nil, badRequest("parsing_exception", "[%s] query requires a field", typ)
	}
	if f, err = p.schema.resolveField(name); err != nil {
		return f, nil, nil, err
	}
	if o, isObj := value.(map[string]any); isObj {
		if err := checkOptions(typ, o, append(allowed, valueKey)...); err != nil {
			return f, nil, nil, err
		}
		opts, value = o, o[valueKey]
		if value == nil {
			return f, nil, nil, badRequest("parsing_exception", "[%s] query on [%s] has no [%s]", typ, name, valueKey)
		}
	}
	return f, value, opts, nil
}

func (p queryParser) parseTerm(body any) (matcher, error) {
	f, value, opts, err := p.fieldAndOptions("term", body, "value", "case_insensitive")
	if err != nil {
		return nil, err
	}
	fold, _ := opts["case_insensitive"].(bool)
	eq, err := p.equals(f, value, fold)
	if err != nil {
		return nil, err
	}
	return anyValue(f, eq), nil
}

func (p queryParser) parseTerms(body any) (matcher, error) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, badRequest("parsing_exception", "[terms] query malformed, expected an object")
	}
	set := map[any]bool{}
	var field field
	seen := false
	for name, v := range obj {
		if slices.Contains(commonOptions, name) {
			continue
		}
		if seen {
			return nil, badRequest("parsing_exception", "[terms] query does not support multiple fields")
		}
		seen = true
		list, ok := v.([]any)
		if !ok {
			return nil, badRequest("illegal_argument_exception", "terms query with terms lookup is not supported for %s query", p.schema.Noun)
		}
		if len(list) > maxTermsCount {
			return nil, badRequest("illegal_argument_exception", "The number of terms [%d] used in the Terms Query request has exceeded the allowed maximum of [%d]. This maximum can be set by changing the [index.max_terms_count] index level setting.", len(list), maxTermsCount)
		}
		f, err := p.schema.resolveField(name)
		if err != nil {
			return nil, err
		}
		field = f
		for _, item := range list {
			key, err := p.termValue(f, item)
			if err != nil {
				return nil, err
			}
			set[key] = true
		}
	}
	if !seen {
		return nil, badRequest("parsing_exception", "[terms] query requires a field")
	}
	return anyValue(field, func(v any) bool { return set[v] }), nil
}

// anyValue matches documents with at least one value of f that pred accepts.
func anyValue(f field, pred func(any) bool) matcher {
	return func(d *Doc) bool { return slices.ContainsFunc(f.values(d), pred) }
}

// termValue is value as f's values hold it (int64 epoch milliseconds,
// bool or string), for exact comparison.
func (p queryParser) termValue(f field, value any) (any, error) {
	switch f.kind {
	case Date:
		return p.parseDate(value, false)
	case Bool:
		return parseBoolValue(value)
	default:
		if _, isObj := value.(map[string]any); isObj {
			return nil, badRequest("parsing_exception", "[%s] expects a value, not an object", f.name)
		}
		return leafString(value), nil
	}
}

// equals returns the predicate "a value of f equals value".
func (p queryParser) equals(f field, value any, fold bool) (func(any) bool, error) {
	switch f.kind {
	case Date:
		ms, err := p.parseDate(value, false)
		if err != nil {
			return nil, err
		}
		return func(v any) bool { return v.(int64) == ms }, nil
	case Bool:
		b, err := parseBoolValue(value)
		if err != nil {
			return nil, err
		}
		return func(v any) bool { return v.(bool) == b }, nil
	default:
		want := leafString(value)
		if _, isObj := value.(map[string]any); isObj {
			return nil, badRequest("parsing_exception", "[%s] expects a value, not an object", f.name)
		}
		return func(v any) bool {
			if fold {
				return strings.EqualFold(v.(string), want)
			}
			return v.(string) == want
		}, nil
	}
}

func parseBoolValue(v any) (bool, error) {
	switch s := leafString(v); s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, badRequest("illegal_argument_exception", "Can't parse boolean value [%s], expected [true] or [false]", s)
	}
}

func (p queryParser) parsePattern(typ string, body any) (matcher, error) {
	valueKey := "value"
	if obj, ok := body.(map[string]any); ok && typ == "wildcard" {
		for _, v := range obj {
			if o, ok := v.(map[string]any); ok && o["wildcard"] != nil && o["value"] == nil {
				valueKey = "wildcard"
			}
		}
	}
	f, value, opts, err := p.fieldAndOptions(typ, body, valueKey, "case_insensitive", "rewrite")
	if err != nil {
		return nil, err
	}
	if f.kind != Keyword {
		return nil, badRequest("query_shard_exception", "Can only use %s queries on keyword and text fields - not on [%s]", typ, f.name)
	}
	fold, _ := opts["case_insensitive"].(bool)
	pattern := leafString(value)
	if fold {
		pattern = strings.ToLower(pattern)
	}
	var wc wildcard
	if typ == "wildcard" {
		wc = compileWildcard(pattern)
	}
	return anyValue(f, func(v any) bool {
		s := v.(string)
		if fold {
			s = strings.ToLower(s)
		}
		if typ == "prefix" {
			return strings.HasPrefix(s, pattern)
		}
		return wc.match(s)
	}), nil
}

// wildcardElem is one element of a compiled wildcard pattern: a literal
// rune, or '*' or '?'.
type wildcardElem struct {
	r    rune
	kind byte // 0 literal, '*', '?'
}

// wildcard is a compiled Lucene wildcard pattern: consecutive stars are
// one, and literals counts the elements that each take one character
// (literals and '?').
type wildcard struct {
	pat      []wildcardElem
	literals int
}

// compileWildcard compiles Lucene's wildcard syntax: * any run, ? one
// character, \ escapes the next character.
func compileWildcard(pattern string) wildcard {
	var w wildcard
	escaped := false
	add := func(e wildcardElem) {
		if e.kind == '*' && len(w.pat) > 0 && w.pat[len(w.pat)-1].kind == '*' {
			return
		}
		if e.kind != '*' {
			w.literals++
		}
		w.pat = append(w.pat, e)
	}
	for _, r := range pattern {
		switch {
		case escaped:
			add(wildcardElem{r: r})
			escaped = false
		case r == '\\':
			escaped = true
		case r == '*' || r == '?':
			add(wildcardElem{kind: byte(r)})
		default:
			add(wildcardElem{r: r})
		}
	}
	if escaped {
		add(wildcardElem{r: '\\'})
	}
	return w
}

// wildcardMatch reports whether s matches the Lucene wildcard pattern.
func wildcardMatch(pattern, s string) bool { return compileWildcard(pattern).match(s) }

// match is greedy with backtracking to the last *: linear memory, and a
// pattern needing more characters than s has fails at once, so the steps
// are at most about len(s)² whatever the pattern's length.
func (w wildcard) match(s string) bool {
	if w.literals > len(s) {
		return false // each literal or ? takes at least one byte
	}
	pat := w.pat
	str := []rune(s)
	if w.literals > len(str) {
		return false
	}
	i, j, star, mark := 0, 0, -1, 0
	for j < len(str) {
		switch {
		case i < len(pat) && (pat[i].kind == '?' || pat[i].kind == 0 && pat[i].r == str[j]):
			i, j = i+1, j+1
		case i < len(pat) && pat[i].kind == '*':
			star, mark = i, j
			i++
		case star >= 0:
			mark++
			i, j = star+1, mark
		default:
			return false
		}
	}
	for i < len(pat) && pat[i].kind == '*' {
		i++
	}
	return i == len(pat)
}

func (p queryParser) parseExists(body any) (matcher, error) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, badRequest("parsing_exception", "[exists] query malformed, expected an object")
	}
	if err := checkOptions("exists", obj, "field"); err != nil {
		return nil, err
	}
	name, ok := obj["field"].(string)
	if !ok {
		return nil, badRequest("parsing_exception", "[exists] must be provided with a [field]")
	}
	f, err := p.schema.resolveField(name)
	if err != nil {
		return nil, err
	}
	return func(d *Doc) bool { return len(f.values(d)) > 0 }, nil
}

func (p queryParser) parseMatch(body any) (matcher, error) {
	f, value, opts, err := p.fieldAndOptions("match", body, "query", "operator", "lenient", "zero_terms_query", "auto_generate_synonyms_phrase_query", "fuzzy_transpositions", "max_expansions", "prefix_length")
	if err != nil {
		return nil, err
	}
	// A keyword field's analyzer keeps the whole value as one term: match is
	// term, and operator changes nothing.
	eq, err := p.equals(f, value, false)
	if err != nil {
		if lenient, _ := opts["lenient"].(bool); lenient {
			return func(*Doc) bool { return false }, nil
		}
		return nil, err
	}
	return anyValue(f, eq), nil
}

// decodeJSON parses a request body into the generic values the parser
// reads (numbers kept as json.Number).
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, badRequest("x_content_parse_exception", "failed to parse the query: %v", err)
	}
	if dec.More() {
		return nil, badRequest("x_content_parse_exception", "failed to parse the query: data after the JSON value")
	}
	return v, nil
}
