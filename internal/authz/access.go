package authz

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// IndexAccess is what a decision allows on one concrete index: the
// document- and field-level security that applies to it, combined over
// every group that grants the action on a name reaching the index (the
// index itself, an alias of it, its data stream), as Elasticsearch's
// IndicesPermission.authorize combines them:
//
//   - DLS: the groups' queries are OR-ed; one group without a query means
//     every document.
//   - FLS: the groups' definitions are unioned; one group without
//     field_security means every field.
//
// DLS and FLS do not pair up: a group granting some documents with every
// field and another granting every document with some fields give every
// document with every field.
type IndexAccess struct {
	// Index is the concrete index name (or, for a name the metadata does
	// not know, that name).
	Index string
	// Queries are the DLS queries, OR-ed, in role order, each as written
	// in the role (a query object, or {"template":…} still to render);
	// empty means every document. Read-only: the slice may be shared.
	Queries []json.RawMessage
	// Fields is the FLS; nil means every field. Read-only: it may be
	// shared between indices and decisions.
	Fields *FieldAccess
}

// Filtered reports whether DLS or FLS applies.
func (a IndexAccess) Filtered() bool { return len(a.Queries) > 0 || a.Fields != nil }

// accessBuilder accumulates the groups reaching one concrete index, straight
// into its IndexAccess.
type accessBuilder struct {
	IndexAccess
	allDocs, allFields bool
	// union holds the FLS rules when more than one applies.
	union []*fieldRule
	rule  *fieldRule // the one rule so far
}

func (b *accessBuilder) add(g *compiledGroup) {
	switch {
	case g.query == nil:
		b.allDocs, b.Queries = true, nil
	case b.allDocs:
	case b.Queries == nil:
		b.Queries = g.queries // shared, full: the next append copies
	case !slices.ContainsFunc(b.Queries, func(q json.RawMessage) bool { return bytes.Equal(q, g.query) }):
		b.Queries = append(b.Queries, g.query)
	}
	switch {
	case b.allFields:
	case g.fields == nil:
		b.allFields, b.rule, b.union, b.Fields = true, nil, nil, nil
	case b.rule == nil:
		b.rule, b.Fields = g.fields, g.fields.access // shared
	case b.rule == g.fields || slices.Contains(b.union, g.fields):
	case b.union == nil:
		b.union = []*fieldRule{b.rule, g.fields}
	default:
		b.union = append(b.union, g.fields)
	}
}

// access computes the IndexAccess of every concrete index the entries
// reach, sorted by index.
func (r *resolver) access(entries []entry) []IndexAccess {
	if out, ok := r.accessOfIndices(entries); ok {
		return out
	}
	return r.accessOfNames(entries)
}

// accessOfIndices is access for the common case: entries that are distinct
// concrete indices the metadata knows, in name order (what a wildcard
// expanded over indices, or one explicit index, gives). Each entry is then
// the only name reaching its index, so its access is that of its own
// groups, and consecutive entries granted by the same groups share one
// IndexAccess but for the name (Queries and Fields are read-only). It
// reports false, having done nothing, in any other case. (Metadata
// positions are in name order, and an index entry's name is its
// abstraction's.)
func (r *resolver) accessOfIndices(entries []entry) ([]IndexAccess, bool) {
	for i, e := range entries {
		if e.ab == nil || e.ab.kind != kindIndex || e.grants == allGroups || (i > 0 && entries[i-1].ab.pos >= e.ab.pos) {
			return nil, false
		}
	}
	out := make([]IndexAccess, len(entries))
	var shared IndexAccess
	var sharedGrants groupSet // never 0 for an entry
	for i, e := range entries {
		if e.grants != sharedGrants {
			var b accessBuilder
			for j, g := range r.groups {
				if e.grants.has(j) {
					b.add(g)
				}
			}
			shared, sharedGrants = b.result(), e.grants
			shared.Queries = slices.Clip(shared.Queries) // an append never writes into a neighbour's
		}
		out[i] = shared
		out[i].Index = e.name
	}
	return out, true
}

// accessOfNames is access for any entries: aliases and data streams reach
// several indices, which several entries may share.
func (r *resolver) accessOfNames(entries []entry) []IndexAccess {
	builders := make([]accessBuilder, 0, len(entries))
	var byPos []int32 // metadata position -> builder+1
	if n := r.md.Len(); n > 0 && len(entries) > 4 {
		byPos = make([]int32, n)
	}
	sorted, unknown := true, false // builders created in name order; names the metadata lacks
	slot := func(name string, pos int) *accessBuilder {
		if byPos != nil && pos >= 0 {
			if p := byPos[pos]; p > 0 {
				return &builders[p-1]
			}
			byPos[pos] = int32(len(builders) + 1)
		} else if i := slices.IndexFunc(builders, func(b accessBuilder) bool { return b.Index == name }); i >= 0 {
			// Few entries, or a name the metadata does not know (reached once).
			return &builders[i]
		}
		if len(builders) > 0 && builders[len(builders)-1].Index >= name {
			sorted = false
		}
		unknown = unknown || pos < 0
		builders = append(builders, accessBuilder{IndexAccess: IndexAccess{Index: name}})
		return &builders[len(builders)-1]
	}
	for _, e := range entries {
		for i, g := range r.groups {
			if !e.grants.has(i) || (e.grants == allGroups && !r.groupGrants(g, e.name, e.ab)) {
				continue
			}
			if e.ab == nil {
				slot(e.name, -1).add(g)
				continue
			}
			for j, t := range e.ab.targets {
				slot(t, e.ab.targetPos[j]).add(g)
			}
		}
	}
	out := make([]IndexAccess, 0, len(builders))
	if !sorted && byPos != nil && !unknown {
		// Metadata positions are in name order.
		for _, p := range byPos {
			if p > 0 {
				out = append(out, builders[p-1].result())
			}
		}
		return out
	}
	for i := range builders {
		out = append(out, builders[i].result())
	}
	if !sorted {
		slices.SortFunc(out, func(a, b IndexAccess) int { return strings.Compare(a.Index, b.Index) })
	}
	return out
}

// result returns the finished IndexAccess.
func (b *accessBuilder) result() IndexAccess {
	if b.union != nil {
		b.Fields = newFieldAccess(b.union)
	}
	return b.IndexAccess
}

func (s groupSet) has(i int) bool { return s == allGroups || (i < 64 && s&(1<<i) != 0) }

// groupGrants reports whether g grants name (ab is its metadata, or nil).
func (r *resolver) groupGrants(g *compiledGroup, name string, ab *abstraction) bool {
	if ab != nil {
		return g.grantsAbstraction(ab)
	}
	return g.matchesName(name, IsRestrictedIndex(name))
}
