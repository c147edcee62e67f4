package dls

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// IndexDLS is the document-level security of one concrete index: the role
// queries that grant it, OR-ed. No query means every document (the index is
// reached without DLS).
type IndexDLS struct {
	// Index is a concrete index name (never an alias, data stream or
	// pattern: terms on _index resolve those, see Filter).
	Index string
	// Queries are role queries as written in the roles (an object or a
	// string holding one) or as Cache.Render returns them.
	Queries []json.RawMessage
}

// FromAccess returns the DLS part of an authorization decision.
func FromAccess(access []authz.IndexAccess) []IndexDLS {
	out := make([]IndexDLS, len(access))
	for i, a := range access {
		out[i] = IndexDLS{Index: a.Index, Queries: a.Queries}
	}
	return out
}

// Restricted reports whether any index is under DLS.
func Restricted(indices []IndexDLS) bool {
	return slices.ContainsFunc(indices, func(ix IndexDLS) bool { return len(ix.Queries) > 0 })
}

// errTemplateNotRendered is returned by Filter for a template: only
// Cache.Filter (or Cache.Render first) knows the user to render it for.
var errTemplateNotRendered = errors.New("role query template must be rendered for the user first (use Cache.Filter or Cache.Render)")

// Filter returns the DLS filter for a request reaching indices, or nil when
// none of them is under DLS. Queries must be plain role queries or Cache.Render
// output; templates are refused (use Cache.Filter). The filter is
//
//	{"bool":{"should":[
//	  {"bool":{"filter":[{"terms":{"_index":[<indices with the same queries>]}},
//	                     <the query, or {"bool":{"should":[q1,q2,…],"minimum_should_match":1}}>]}},
//	  …,
//	  {"terms":{"_index":[<indices without DLS>]}}
//	],"minimum_should_match":1}}
//
// so each index gets its own DLS, indices with the same set of queries
// share a clause, and a document of an index the list does not name (an
// index the cluster reached that the decision did not know) matches
// nothing. An empty list gives match_none.
//
// Verified on OpenSearch 2.19 and Elasticsearch 7.17: a terms query on
// _index also matches through an alias name or a wildcard pattern, so only
// concrete names are accepted; names holding characters that no concrete
// index name may contain ('*', '?', ',', ':' for remote clusters, …) are
// refused.
func Filter(indices []IndexDLS) (esbody.Value, error) {
	return buildFilter(indices, func(raw json.RawMessage) (esbody.Value, error) {
		cq := compileRoleQuery(raw)
		if cq.err == nil && cq.tmpl != nil {
			return nil, errTemplateNotRendered
		}
		return cq.render(nil, nil)
	})
}

// queryGroup is the indices sharing one set of role queries.
type queryGroup struct {
	key     string
	indices []string
	queries []esbody.Value
}

func buildFilter(indices []IndexDLS, resolve func(json.RawMessage) (esbody.Value, error)) (esbody.Value, error) {
	if len(indices) == 0 {
		return matchNone(), nil
	}
	if !Restricted(indices) {
		return nil, nil
	}
	var (
		groups       []*queryGroup
		unrestricted []string
		seen         = make(map[string]string, len(indices)) // index → group key
	)
	for _, ix := range indices {
		if err := checkIndexName(ix.Index); err != nil {
			return nil, err
		}
		key, queries, err := resolveSet(ix, resolve)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[ix.Index]; dup {
			if prev != key {
				return nil, RoleQueryRefusal(ix.Index, errors.New("index listed twice with different role queries"))
			}
			continue
		}
		seen[ix.Index] = key
		if len(queries) == 0 {
			unrestricted = append(unrestricted, ix.Index)
			continue
		}
		i := slices.IndexFunc(groups, func(g *queryGroup) bool { return g.key == key })
		if i < 0 {
			groups = append(groups, &queryGroup{key: key, queries: queries})
			i = len(groups) - 1
		}
		groups[i].indices = append(groups[i].indices, ix.Index)
	}
	clauses := make(esbody.Array, 0, len(groups)+1)
	for _, g := range groups {
		clauses = append(clauses, g.clause())
	}
	if len(unrestricted) > 0 {
		clauses = append(clauses, indexTerms(unrestricted))
	}
	return anyOf(clauses), nil
}

// resolveSet resolves an index's queries and returns the set's identity:
// the sorted, de-duplicated compact encodings.
func resolveSet(ix IndexDLS, resolve func(json.RawMessage) (esbody.Value, error)) (string, []esbody.Value, error) {
	type entry struct {
		text string
		q    esbody.Value
	}
	entries := make([]entry, 0, len(ix.Queries))
	for _, raw := range ix.Queries {
		q, err := resolve(raw)
		if err != nil {
			return "", nil, RoleQueryRefusal(ix.Index, err)
		}
		b, err := esbody.Encode(q)
		if err != nil {
			return "", nil, RoleQueryRefusal(ix.Index, err)
		}
		entries = append(entries, entry{string(b), q})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.text, b.text) })
	entries = slices.CompactFunc(entries, func(a, b entry) bool { return a.text == b.text })
	texts := make([]string, len(entries))
	queries := make([]esbody.Value, len(entries))
	for i, e := range entries {
		texts[i], queries[i] = e.text, e.q
	}
	return strings.Join(texts, "\n"), queries, nil
}

// clause is {"bool":{"filter":[terms _index, the OR of the queries]}}.
func (g *queryGroup) clause() esbody.Value {
	var q esbody.Value
	if len(g.queries) == 1 {
		q = esbody.Clone(g.queries[0])
	} else {
		qs := make(esbody.Array, len(g.queries))
		for i, gq := range g.queries {
			qs[i] = esbody.Clone(gq)
		}
		q = anyOf(qs)
	}
	inner := &esbody.Object{}
	inner.Set("filter", esbody.Array{indexTerms(g.indices), q})
	return single("bool", inner)
}

// anyOf is {"bool":{"should":clauses,"minimum_should_match":1}}.
func anyOf(clauses esbody.Array) esbody.Value {
	inner := &esbody.Object{}
	inner.Set("should", clauses)
	inner.Set("minimum_should_match", esbody.Number("1"))
	return single("bool", inner)
}

// indexTerms is {"terms":{"_index":[names…]}}.
func indexTerms(names []string) esbody.Value {
	a := make(esbody.Array, len(names))
	for i, n := range names {
		a[i] = esbody.String(n)
	}
	return single("terms", single("_index", a))
}

// checkIndexName refuses names that a terms query on _index would read as
// more than one concrete index: patterns, lists, remote-cluster names, and
// anything Elasticsearch forbids in an index name (MetadataCreateIndexService:
// \ / * ? " < > | space , # and a leading - + _).
func checkIndexName(name string) error {
	switch {
	case name == "", name == ".", name == "..":
		return RoleQueryRefusal(name, fmt.Errorf("invalid index name %q", name))
	case strings.ContainsAny(name, "\\/*?\"<>| ,#:"):
		return RoleQueryRefusal(name, fmt.Errorf("index name %q is not a concrete index name", name))
	case strings.HasPrefix(name, "-"), strings.HasPrefix(name, "+"), strings.HasPrefix(name, "_"):
		return RoleQueryRefusal(name, fmt.Errorf("index name %q is not a concrete index name", name))
	}
	return nil
}
