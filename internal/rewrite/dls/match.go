package dls

import (
	"errors"
	"fmt"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// ErrUnsupported is returned (wrapped) by Matches when the proxy cannot
// decide whether a document matches a role query: the query is outside the
// subset it evaluates, or the answer depends on the index mapping (see
// Matches). The server refuses the write.
var ErrUnsupported = errors.New("role query cannot be evaluated on the document by the proxy")

// truth is a three-valued answer: the proxy does not know the index
// mapping, so some comparisons match under one mapping and not another.
type truth uint8

const (
	isFalse truth = iota + 1
	isTrue
	isUnknown
)

// Matches reports whether a document about to be written (with the given
// _id, "" when the cluster will generate it) matches a rendered role query:
// write-side DLS, which Elasticsearch does not have. A document a role may
// write but not read would be a write into the dark; the server refuses it.
//
// The proxy sees the document, not the mapping, so it evaluates the query
// the way any plausible mapping would and answers only when they agree;
// otherwise it returns ErrUnsupported (the write is refused, never let
// through). Supported:
//
//   - term, terms: exact equality; arrays in the document match if any
//     element does; numbers compare numerically (42 and 42.0 are equal)
//     and with a string holding the same number; booleans with true/false
//     strings. A string equal to the term matches only if an analyser
//     would leave it alone (lower-case letters and digits), or on a
//     <field>.keyword sub-field (up to 256 characters, the default
//     ignore_above) or _id; otherwise text analysis could decide either
//     way, and an unequal term close to a word of the value (as for match)
//     is undecidable too.
//   - match on a string: the whole value must be equal; analysis is not
//     reproduced, so match is exact. A value sharing a word with the query
//     (case-folded), or a word that could have the same stem (a common
//     prefix of three letters), is undecidable rather than "no match", so
//     that a must_not never lets a write through on a guess; so is any
//     inequality under fuzziness or zero_terms_query. A match with its own
//     analyzer is unsupported. Synonyms are not reproduced: a field whose
//     analyser makes unrelated words equal is the case where a must_not
//     can be wrong.
//   - range: numbers, and dates as ISO 8601 (strict_date_optional_time)
//     or epoch milliseconds; now, date math, time_zone, other formats and
//     string ranges are unsupported.
//   - bool (must, filter, should, must_not, minimum_should_match as an
//     integer or a percentage, Elasticsearch's defaults), constant_score,
//     exists, ids, match_all, match_none.
//
// Field paths follow dotted names through nested objects and flat dotted
// keys ("a.b" finds {"a":{"b":…}} and {"a.b":…}). Values reached through
// an array of objects might be a nested field, which a root query does not
// see: they decide "no match" only. Metadata fields other than _id are
// unsupported.
func Matches(query esbody.Value, id string, doc *esbody.Object) (bool, error) {
	t, err := (&matcher{id: id, doc: doc}).eval(query)
	if err != nil {
		return false, err
	}
	switch t {
	case isTrue:
		return true, nil
	case isFalse:
		return false, nil
	}
	return false, fmt.Errorf("%w: the answer depends on the index mapping", ErrUnsupported)
}

// MatchesAny reports whether the document matches at least one of the role
// queries (several roles on one index are OR-ed). A query that matches for
// sure decides, even if another is unsupported; otherwise an unsupported or
// undecidable query makes the answer ErrUnsupported.
func MatchesAny(queries []esbody.Value, id string, doc *esbody.Object) (bool, error) {
	var firstErr error
	for _, q := range queries {
		ok, err := Matches(q, id, doc)
		if ok {
			return true, nil
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return false, firstErr
}

// matcher evaluates queries on one document.
type matcher struct {
	id  string
	doc *esbody.Object
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

func (m *matcher) eval(q esbody.Value) (truth, error) {
	o, ok := q.(*esbody.Object)
	if !ok || o.Len() != 1 {
		return 0, unsupported("a query must be an object with one query type")
	}
	typ, body := o.At(0).Name, o.At(0).Value
	switch typ {
	case "match_all":
		return isTrue, nil
	case "match_none":
		return isFalse, nil
	case "bool":
		return m.evalBool(body)
	case "constant_score":
		bo, ok := body.(*esbody.Object)
		f, has := bo.Get("filter")
		if !ok || !has {
			return 0, unsupported("constant_score without a filter")
		}
		return m.eval(f)
	case "term":
		return m.evalTerm(body)
	case "terms":
		return m.evalTerms(body)
	case "match":
		return m.evalMatch(body)
	case "range":
		return m.evalRange(body)
	case "exists":
		return m.evalExists(body)
	case "ids":
		return m.evalIDs(body)
	}
	return 0, unsupported("query type [%s]", typ)
}

// evalBool applies Kleene logic to the clauses.
func (m *matcher) evalBool(body esbody.Value) (truth, error) {
	o, ok := body.(*esbody.Object)
	if !ok {
		return 0, unsupported("bool must be an object")
	}
	var must, should, mustNot []truth
	hasMust := false
	for name, v := range o.All() {
		var dst *[]truth
		switch name {
		case "must", "filter":
			dst, hasMust = &must, true
		case "should":
			dst = &should
		case "must_not":
			dst = &mustNot
		case "minimum_should_match", "boost", "_name", "adjust_pure_negative":
			continue
		default:
			return 0, unsupported("bool member [%s]", name)
		}
		ts, err := m.evalClauses(v)
		if err != nil {
			return 0, err
		}
		*dst = append(*dst, ts...)
	}
	required := 0
	if len(should) > 0 && !hasMust {
		required = 1
	}
	if msm, ok := o.Get("minimum_should_match"); ok {
		n, err := minimumShouldMatch(msm, len(should))
		if err != nil {
			return 0, err
		}
		required = n
	}
	return and(all(must), none(mustNot), atLeast(should, required)), nil
}

func (m *matcher) evalClauses(v esbody.Value) ([]truth, error) {
	items, ok := v.(esbody.Array)
	if !ok {
		items = esbody.Array{v}
	}
	out := make([]truth, len(items))
	for i, it := range items {
		t, err := m.eval(it)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}

func all(ts []truth) truth {
	res := isTrue
	for _, t := range ts {
		if t == isFalse {
			return isFalse
		}
		if t == isUnknown {
			res = isUnknown
		}
	}
	return res
}

func none(ts []truth) truth {
	res := isTrue
	for _, t := range ts {
		if t == isTrue {
			return isFalse
		}
		if t == isUnknown {
			res = isUnknown
		}
	}
	return res
}

func atLeast(ts []truth, n int) truth {
	if n <= 0 {
		return isTrue
	}
	yes, maybe := 0, 0
	for _, t := range ts {
		switch t {
		case isTrue:
			yes++
		case isUnknown:
			maybe++
		}
	}
	switch {
	case yes >= n:
		return isTrue
	case yes+maybe < n:
		return isFalse
	}
	return isUnknown
}

func and(ts ...truth) truth { return all(ts) }

func or(ts ...truth) truth { return atLeast(ts, 1) }
