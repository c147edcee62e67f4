package secquery

import (
	"cmp"
	"encoding/json"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Search is a parsed body of a security query API (POST
// /_security/_query/api_key, role, user): the query, the page (from, size,
// sort, search_after) and the aggregations.
type Search struct {
	match       matcher
	from, size  int
	sort        []sortField
	searchAfter []any
	aggs        []aggregation
}

// sortField is one sort criterion.
type sortField struct {
	field field
	desc  bool
	doc   bool // "_doc": the documents' order
}

// maxResultWindow is Elasticsearch's index.max_result_window default,
// which bounds from + size.
const maxResultWindow = 10000

// ParseSearch parses the body (nil or empty for every document) of a
// query request over schema's fields; now is the time date math's "now"
// stands for. Errors are *QueryError.
func ParseSearch(schema *Schema, body []byte, now time.Time) (*Search, error) {
	s := &Search{match: func(*Doc) bool { return true }, size: 10}
	if len(strings.TrimSpace(string(body))) == 0 {
		return s, nil
	}
	v, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("x_content_parse_exception", "the request body must be an object")
	}
	p := queryParser{schema: schema, now: now, clauses: new(int)}
	for key, val := range obj {
		switch key {
		case "query":
			if s.match, err = p.parse(val, 0); err != nil {
				return nil, err
			}
		case "from":
			if s.from, err = intMember(key, val); err != nil {
				return nil, err
			}
		case "size":
			if s.size, err = intMember(key, val); err != nil {
				return nil, err
			}
		case "sort":
			if s.sort, err = p.parseSort(val); err != nil {
				return nil, err
			}
		case "search_after":
			list, ok := val.([]any)
			if !ok {
				return nil, badRequest("x_content_parse_exception", "[search_after] must be an array")
			}
			s.searchAfter = list
		case "aggs", "aggregations":
			if s.aggs, err = p.parseAggs(val, 0); err != nil {
				return nil, err
			}
		default:
			return nil, badRequest("x_content_parse_exception", "[%s] unknown field [%s]", schema.requestName(), key)
		}
	}
	switch {
	case s.from < 0 || s.size < 0:
		return nil, badRequest("illegal_argument_exception", "[from] and [size] must not be negative")
	case s.from > maxResultWindow || s.size > maxResultWindow || s.from+s.size > maxResultWindow:
		// Each alone first: their sum can overflow.
		return nil, badRequest("illegal_argument_exception", "Result window is too large, from + size must be less than or equal to: [%d] but was [%s]", maxResultWindow, windowSum(s.from, s.size))
	case s.searchAfter != nil && s.from > 0:
		return nil, badRequest("illegal_argument_exception", "[from] parameter must be set to 0 when [search_after] is used")
	case s.searchAfter != nil && len(s.searchAfter) != len(s.sortOrDefault()):
		return nil, badRequest("illegal_argument_exception", "search_after has %d value(s) but sort has %d", len(s.searchAfter), len(s.sortOrDefault()))
	}
	return s, nil
}

// windowSum is from + size as a decimal string, exact even where the
// int sum overflows.
func windowSum(from, size int) string {
	return new(big.Int).Add(big.NewInt(int64(from)), big.NewInt(int64(size))).String()
}

func intMember(name string, v any) (int, error) {
	n, err := strconv.Atoi(leafString(v))
	if err != nil {
		return 0, badRequest("x_content_parse_exception", "[%s] must be an integer", name)
	}
	return n, nil
}

// maxSortFields bounds the criteria of a sort: each is computed for every
// matching document, and the query APIs have a handful of sortable
// fields, so more criteria only repeat them.
const maxSortFields = 64

// parseSort reads "field", {"field": "desc"} and {"field": {"order":
// "desc"}}, alone or in an array.
func (p queryParser) parseSort(v any) ([]sortField, error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	if len(list) > maxSortFields {
		return nil, badRequest("illegal_argument_exception", "a sort of [%d] criteria is more than the [%d] the security proxy allows", len(list), maxSortFields)
	}
	var out []sortField
	for _, item := range list {
		name, order := "", "asc"
		switch item := item.(type) {
		case string:
			name = item
		case map[string]any:
			if len(item) != 1 {
				return nil, badRequest("parsing_exception", "a sort entry names exactly one field")
			}
			for k, o := range item {
				name = k
				switch o := o.(type) {
				case string:
					order = o
				case map[string]any:
					if err := checkOptions("sort", o, "order"); err != nil {
						return nil, err
					}
					if s, ok := o["order"].(string); ok {
						order = s
					}
				default:
					return nil, badRequest("parsing_exception", "malformed sort order for [%s]", k)
				}
			}
		default:
			return nil, badRequest("parsing_exception", "malformed sort entry")
		}
		if order != "asc" && order != "desc" {
			return nil, badRequest("illegal_argument_exception", "Unknown SortOrder [%s]", order)
		}
		if name == "_doc" {
			out = append(out, sortField{doc: true, desc: order == "desc"})
			continue
		}
		f, err := p.schema.resolveSortField(name)
		if err != nil {
			return nil, err
		}
		out = append(out, sortField{field: f, desc: order == "desc"})
	}
	return out, nil
}

// sortOrDefault is the sort, or the store's order when none was asked.
func (s *Search) sortOrDefault() []sortField {
	if len(s.sort) > 0 {
		return s.sort
	}
	return []sortField{{doc: true}}
}

// Hit is one document of a result: its position in the documents Run
// was given, and its sort values when a sort was asked.
type Hit struct {
	Index int
	Sort  []any
}

// Result is the answer of a search: Total documents matched, the page of
// them, and the aggregations (nil when none were asked).
type Result struct {
	Total        int
	Hits         []Hit
	Aggregations map[string]any
}

// Run evaluates the search over docs (in their natural order, which "_doc"
// sorts by and which no sort keeps). typedKeys prefixes aggregation names
// with their type, as ?typed_keys does. The error is a *QueryError: the
// aggregations would build more than MaxBuckets buckets, or examine more
// values than the proxy allows one request.
func (s *Search) Run(docs []Doc, typedKeys bool) (Result, error) {
	type row struct {
		pos  int
		sort []any
	}
	var rows []row
	var matched []*Doc
	order := s.sortOrDefault()
	for i := range docs {
		if s.match(&docs[i]) {
			matched = append(matched, &docs[i])
			rows = append(rows, row{pos: i, sort: sortValues(order, &docs[i], i)})
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int { return compareSortValues(order, a.sort, b.sort) })
	if s.searchAfter != nil {
		after := normalizeSortValues(order, s.searchAfter)
		rows = slices.DeleteFunc(rows, func(r row) bool { return compareSortValues(order, r.sort, after) <= 0 })
	}
	res := Result{Total: len(matched)}
	for i := s.from; i < len(rows) && i < s.from+s.size; i++ {
		h := Hit{Index: rows[i].pos}
		if len(s.sort) > 0 {
			h.Sort = rows[i].sort
		}
		res.Hits = append(res.Hits, h)
	}
	if len(s.aggs) > 0 {
		r := &aggRun{typedKeys: typedKeys}
		res.Aggregations = r.runAggs(s.aggs, matched)
		if r.err != nil {
			return Result{}, r.err
		}
	}
	return res, nil
}

// sortValues are a document's values for the sort: of a field with several
// values the least ascending, the greatest descending (Elasticsearch's
// default sort mode), nil when it has none; the store position for _doc.
func sortValues(order []sortField, d *Doc, pos int) []any {
	out := make([]any, len(order))
	for i, sf := range order {
		if sf.doc {
			out[i] = int64(pos)
			continue
		}
		for _, v := range sf.field.values(d) {
			if out[i] == nil {
				out[i] = v
			} else if c := compareValue(v, out[i]); c < 0 && !sf.desc || c > 0 && sf.desc {
				out[i] = v
			}
		}
	}
	return out
}

// normalizeSortValues turns search_after's JSON values into the sort
// values' types, so they compare.
func normalizeSortValues(order []sortField, vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		switch {
		case v == nil:
		case order[i].doc || order[i].field.kind == Date:
			n, _ := strconv.ParseInt(leafString(v), 10, 64)
			out[i] = n
		case order[i].field.kind == Bool:
			out[i] = leafString(v) == "true"
		default:
			out[i] = leafString(v)
		}
	}
	return out
}

// compareSortValues orders two rows; missing values sort last in both
// directions, as Elasticsearch's default "missing": "_last".
func compareSortValues(order []sortField, a, b []any) int {
	for i, sf := range order {
		x, y := a[i], b[i]
		if x == nil || y == nil {
			if c := cmp.Compare(boolInt(x == nil), boolInt(y == nil)); c != 0 {
				return c
			}
			continue
		}
		c := compareValue(x, y)
		if sf.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func compareValue(x, y any) int {
	switch x := x.(type) {
	case int64:
		return cmp.Compare(x, y.(int64))
	case bool:
		return cmp.Compare(boolInt(x), boolInt(y.(bool)))
	default:
		return strings.Compare(x.(string), y.(string))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// jsonValue renders a sort or bucket value as Elasticsearch does (dates
// and _doc as epoch milliseconds).
func jsonValue(v any) any {
	if n, ok := v.(int64); ok {
		return json.Number(strconv.FormatInt(n, 10))
	}
	return v
}

// JSONSort is the hit's sort values as the response's "_sort" shows them.
func (h Hit) JSONSort() []any {
	out := make([]any, len(h.Sort))
	for i, v := range h.Sort {
		out[i] = jsonValue(v)
	}
	return out
}
