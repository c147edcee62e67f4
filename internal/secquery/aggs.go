package secquery

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Aggregations of the security query APIs. Elasticsearch allows terms,
// range, date_range, missing, cardinality, value_count, composite, filter
// and filters over the allowed fields; the proxy computes terms, filter,
// filters, missing, cardinality and value_count (what Kibana's API key
// page asks for) and refuses the others rather than answering them
// differently.

// aggregation is one named aggregation with its sub-aggregations.
type aggregation struct {
	name string
	typ  string
	// field is the aggregated field (terms, missing, cardinality,
	// value_count).
	field field
	size  int
	// filters are filter's one query or filters' named (or, when keyed is
	// false, positional) queries.
	filters []namedFilter
	keyed   bool
	subs    []aggregation
}

type namedFilter struct {
	name  string
	match matcher
}

// maxAggDepth bounds nested aggregations.
const maxAggDepth = 8

// MaxBuckets is Elasticsearch's search.max_buckets default: the most
// buckets of multi-bucket aggregations (terms, filters) one request's
// aggregations may return, sub-aggregations' included.
const MaxBuckets = 65536

// maxAggVisits bounds the field values (and documents) one request's
// aggregations may examine: nested aggregations over multi-valued fields
// (a key's metadata has as many values as leaves) revisit the same
// documents in every bucket, which MaxBuckets alone does not bound when
// the buckets are few but each is computed over many documents.
const maxAggVisits = 1 << 22

func (p queryParser) parseAggs(v any, depth int) ([]aggregation, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("parsing_exception", "[aggs] must be an object")
	}
	if depth > maxAggDepth {
		return nil, badRequest("parsing_exception", "aggregations nested deeper than [%d]", maxAggDepth)
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []aggregation
	for _, name := range names {
		a, err := p.parseAgg(name, obj[name], depth)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (p queryParser) parseAgg(name string, v any, depth int) (aggregation, error) {
	a := aggregation{name: name}
	obj, ok := v.(map[string]any)
	if !ok {
		return a, badRequest("parsing_exception", "aggregation [%s] must be an object", name)
	}
	for key, body := range obj {
		switch key {
		case "aggs", "aggregations":
			subs, err := p.parseAggs(body, depth+1)
			if err != nil {
				return a, err
			}
			a.subs = subs
			continue
		case "meta":
			continue
		}
		if a.typ != "" {
			return a, badRequest("parsing_exception", "Found two aggregation type definitions in [%s]: [%s] and [%s]", name, a.typ, key)
		}
		a.typ = key
		if err := p.parseAggBody(&a, body); err != nil {
			return a, err
		}
	}
	if a.typ == "" {
		return a, badRequest("parsing_exception", "Missing definition for aggregation [%s]", name)
	}
	if len(a.subs) > 0 && (a.typ == "cardinality" || a.typ == "value_count") {
		return a, badRequest("aggregation_initialization_exception", "Aggregator [%s] of type [%s] cannot accept sub-aggregations", name, a.typ)
	}
	return a, nil
}

func (p queryParser) parseAggBody(a *aggregation, body any) error {
	obj, ok := body.(map[string]any)
	if !ok {
		return badRequest("parsing_exception", "aggregation [%s] of type [%s] must be an object", a.name, a.typ)
	}
	switch a.typ {
	case "terms", "missing", "cardinality", "value_count":
		allowed := []string{"field"}
		if a.typ == "terms" {
			allowed = append(allowed, "size")
		}
		if err := checkOptions(a.typ, obj, allowed...); err != nil {
			return err
		}
		name, ok := obj["field"].(string)
		if !ok {
			return badRequest("illegal_argument_exception", "aggregation [%s] of type [%s] requires a [field]", a.name, a.typ)
		}
		f, err := p.schema.resolveField(name)
		if err != nil {
			return err
		}
		a.field, a.size = f, 10
		if v, ok := obj["size"]; ok {
			if a.size, err = intMember("size", v); err != nil {
				return err
			}
			if a.size <= 0 {
				return badRequest("illegal_argument_exception", "[size] must be greater than 0. Found [%d] in [%s]", a.size, a.name)
			}
		}
	case "filter":
		m, err := p.parse(obj, 0)
		if err != nil {
			return err
		}
		a.filters = []namedFilter{{match: m}}
	case "filters":
		if err := checkOptions("filters", obj, "filters"); err != nil {
			return err
		}
		return p.parseFilters(a, obj["filters"])
	default:
		return badRequest("illegal_argument_exception", "Aggregation type [%s] is not supported by the security proxy for %s querying", a.typ, p.schema.Noun)
	}
	return nil
}

func (p queryParser) parseFilters(a *aggregation, v any) error {
	switch v := v.(type) {
	case map[string]any:
		a.keyed = true
		names := make([]string, 0, len(v))
		for name := range v {
			names = append(names, name)
		}
		sort.Strings(names) // Elasticsearch answers keyed filters by name
		for _, name := range names {
			m, err := p.parse(v[name], 0)
			if err != nil {
				return err
			}
			a.filters = append(a.filters, namedFilter{name: name, match: m})
		}
	case []any:
		for _, q := range v {
			m, err := p.parse(q, 0)
			if err != nil {
				return err
			}
			a.filters = append(a.filters, namedFilter{match: m})
		}
	default:
		return badRequest("parsing_exception", "[filters] of aggregation [%s] must be an object or an array", a.name)
	}
	return nil
}

// aggTypeNames are the names typed_keys gives each aggregation's result.
var aggTypeNames = map[string]string{
	"filter": "filter", "filters": "filters", "missing": "missing",
	"cardinality": "cardinality", "value_count": "value_count",
}

// aggRun is one request's aggregation run: whether to type the result
// names, and what the run has spent of its budget (see aggBudget).
type aggRun struct {
	typedKeys bool
	buckets   int
	visits    int
	err       *QueryError
}

// spend counts n buckets and m field values examined; false (with r.err
// set) once the run is over budget, after which the caller stops.
func (r *aggRun) spend(buckets, visits int) bool {
	if r.err != nil {
		return false
	}
	r.buckets += buckets
	r.visits += visits
	switch {
	case r.buckets > MaxBuckets:
		r.err = badRequest("too_many_buckets_exception", "Trying to create too many buckets. Must be less than or equal to: [%d] but was [%d]. This limit can be set by changing the [search.max_buckets] cluster level setting.", MaxBuckets, r.buckets)
	case r.visits > maxAggVisits:
		r.err = badRequest("illegal_argument_exception", "the aggregations would examine more than [%d] field values, which the security proxy refuses", maxAggVisits)
	}
	return r.err == nil
}

func (r *aggRun) runAggs(aggs []aggregation, docs []*Doc) map[string]any {
	out := map[string]any{}
	for _, a := range aggs {
		name := a.name
		if r.typedKeys {
			name = a.typedName() + "#" + name
		}
		out[name] = a.run(r, docs)
		if r.err != nil {
			return nil
		}
	}
	return out
}

func (a aggregation) typedName() string {
	if a.typ != "terms" {
		return aggTypeNames[a.typ]
	}
	if a.field.kind == Keyword {
		return "sterms"
	}
	return "lterms"
}

// bucket is one bucket's count and sub-aggregations; multi is whether it
// is a bucket of a multi-bucket aggregation (terms, filters), which
// counts against MaxBuckets as in Elasticsearch.
func (a aggregation) bucket(r *aggRun, docs []*Doc, multi bool) map[string]any {
	if multi && !r.spend(1, 0) {
		return nil
	}
	b := map[string]any{"doc_count": len(docs)}
	for name, v := range r.runAggs(a.subs, docs) {
		b[name] = v
	}
	return b
}

func (a aggregation) run(r *aggRun, docs []*Doc) map[string]any {
	switch a.typ {
	case "filter":
		return a.bucket(r, filterDocs(r, docs, a.filters[0].match), false)
	case "filters":
		if a.keyed {
			buckets := map[string]any{}
			for _, f := range a.filters {
				buckets[f.name] = a.bucket(r, filterDocs(r, docs, f.match), true)
			}
			return map[string]any{"buckets": buckets}
		}
		buckets := []any{}
		for _, f := range a.filters {
			buckets = append(buckets, a.bucket(r, filterDocs(r, docs, f.match), true))
		}
		return map[string]any{"buckets": buckets}
	case "missing":
		return a.bucket(r, filterDocs(r, docs, func(d *Doc) bool { return len(a.field.values(d)) == 0 }), false)
	case "value_count":
		n := 0
		for _, d := range docs {
			n += len(a.field.values(d))
		}
		r.spend(0, len(docs))
		return map[string]any{"value": n}
	case "cardinality":
		seen := map[any]bool{}
		for _, d := range docs {
			vals := a.field.values(d)
			if !r.spend(0, len(vals)+1) {
				return nil
			}
			for _, v := range vals {
				seen[v] = true
			}
		}
		return map[string]any{"value": len(seen)}
	default: // terms
		return a.terms(r, docs)
	}
}

// filterDocs are the docs m matches (each match counts as one visit).
func filterDocs(r *aggRun, docs []*Doc, m matcher) []*Doc {
	if !r.spend(0, len(docs)) {
		return nil
	}
	var out []*Doc
	for _, d := range docs {
		if m(d) {
			out = append(out, d)
		}
	}
	return out
}

// terms buckets the documents by value: most documents first, then by value.
func (a aggregation) terms(r *aggRun, docs []*Doc) map[string]any {
	byValue := map[any][]*Doc{}
	var values []any
	for _, d := range docs {
		vals := a.field.values(d)
		if !r.spend(0, len(vals)+1) {
			return nil
		}
		seen := map[any]bool{}
		for _, v := range vals {
			if seen[v] {
				continue
			}
			seen[v] = true
			if _, ok := byValue[v]; !ok {
				values = append(values, v)
			}
			byValue[v] = append(byValue[v], d)
		}
	}
	slices.SortFunc(values, func(x, y any) int {
		if c := cmp.Compare(len(byValue[y]), len(byValue[x])); c != 0 {
			return c
		}
		return compareValue(x, y)
	})
	buckets := []any{}
	other := 0
	for i, v := range values {
		if i >= a.size {
			other += len(byValue[v])
			continue
		}
		b := a.bucket(r, byValue[v], true)
		if b == nil {
			return nil
		}
		switch v := v.(type) {
		case bool:
			b["key"], b["key_as_string"] = boolInt(v), strconv.FormatBool(v)
		case int64:
			b["key"], b["key_as_string"] = jsonValue(v), time.UnixMilli(v).UTC().Format("2006-01-02T15:04:05.000Z")
		default:
			b["key"] = v
		}
		buckets = append(buckets, b)
	}
	return map[string]any{"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": buckets}
}
