package flsquery

import (
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// rootQuery rewrites a query in a position that only selects documents,
// where it may be split into per-view copies (see the package
// documentation). Inside a copy, or when every index shares one view, it
// is an ordinary rewrite.
func (r *rewriter) rootQuery(path string, q esbody.Value) (esbody.Value, error) {
	if !r.split {
		return r.query(path, q)
	}
	if r.plan.single() {
		return r.sub(r.view).query(path, q)
	}
	copies := make([]esbody.Value, len(r.plan.groups))
	innerHits := false
	for i, g := range r.plan.groups {
		if g.view == nil {
			// No FLS on these indices: the query stays as written. At
			// least one other group has FLS and walks the same query, so
			// whatever is refused there refuses the whole request.
			copies[i] = esbody.Clone(q)
			continue
		}
		sub := r.sub(g.view)
		out, err := sub.query(path, esbody.Clone(q))
		if err != nil {
			return nil, err
		}
		innerHits = innerHits || sub.innerHits
		copies[i] = out
	}
	if allEqual(copies) {
		return copies[0], nil
	}
	if innerHits || len(r.plan.groups) > MaxSplitViews {
		return r.sub(r.plan.strict).query(path, q)
	}
	return r.splitQuery(copies), nil
}

// rootQueries is rootQuery for a query or an array of queries.
func (r *rewriter) rootQueries(path string, v esbody.Value) (esbody.Value, error) {
	return eachOrOne(path, v, r.rootQuery)
}

// allEqual reports whether every copy is the same query.
func allEqual(copies []esbody.Value) bool {
	for _, c := range copies[1:] {
		if !esbody.Equal(c, copies[0]) {
			return false
		}
	}
	return true
}

// splitQuery builds the bool.should of copies, each limited to its view's
// indices. Copies that came out identical share one clause.
func (r *rewriter) splitQuery(copies []esbody.Value) esbody.Value {
	var should esbody.Array
	var clauseIndices []esbody.Array
	var clauseQueries []esbody.Value
	for i, c := range copies {
		j := 0
		for j < len(clauseQueries) && !esbody.Equal(clauseQueries[j], c) {
			j++
		}
		if j == len(clauseQueries) {
			clauseQueries = append(clauseQueries, c)
			clauseIndices = append(clauseIndices, nil)
		}
		clauseIndices[j] = append(clauseIndices[j], stringArray(r.plan.groups[i].indices)...)
	}
	for j, q := range clauseQueries {
		scoped := &esbody.Object{}
		scoped.Set("filter", esbody.Array{single("terms", single("_index", clauseIndices[j]))})
		scoped.Set("must", esbody.Array{q})
		should = append(should, single("bool", scoped))
	}
	outer := &esbody.Object{}
	outer.Set("should", should)
	outer.Set("minimum_should_match", esbody.IntNumber(1))
	return single("bool", outer)
}
