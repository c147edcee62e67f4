package server

import (
	"slices"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
)

// A decision can allow a wildcard as written: a group granting every name
// (an unconditional "*"), or a long list of indices covered whole by a
// grant, keeps "logs-*" in the decision instead of the names it reaches.
// A check that must hold on every index a write reaches (the delete an
// update script asks for, the mapping updates of a data stream) cannot
// decide such an expression again with another action: the resolver
// narrows it there to the names that action is granted on, and the check
// passes while the write goes to every name. writtenNames replaces each
// such expression by the names it reaches.

// writtenNames returns names with every wildcard expression, "_all" and
// the empty list (every index) replaced by the names of md it matches
// (indices, aliases and data streams; hidden ones when the request's
// expand_wildcards has hidden, or for a pattern starting with a dot;
// closed ones too, and exclusions ignored, so a superset), other names as
// they are. ok is false when an expression matches no name md knows.
func writtenNames(md *authz.Metadata, names []string, opts authz.IndicesOptions) (out []string, ok bool) {
	hidden := opts.ExpandWildcards&authz.ExpandHidden != 0
	if len(names) == 0 {
		names = []string{"*"}
	}
	ok = true
	for _, n := range names {
		switch {
		case strings.HasPrefix(n, "-"):
			continue // an exclusion: the names it would drop are kept
		case n == "_all":
			n = "*"
		case !strings.Contains(n, "*"):
			out = append(out, n)
			continue
		}
		matched := false
		for _, name := range md.Names() {
			if authz.SimpleMatch(n, name) && (hidden || strings.HasPrefix(n, ".") || !hiddenName(md, name)) {
				out = append(out, name)
				matched = true
			}
		}
		ok = ok && matched
	}
	slices.Sort(out)
	return slices.Compact(out), ok
}

// hiddenName reports whether a name of md is a hidden index, alias or data
// stream (wildcards not starting with a dot do not reach it).
func hiddenName(md *authz.Metadata, name string) bool {
	if ix, ok := md.Index(name); ok {
		return ix.Hidden
	}
	if a, ok := md.Alias(name); ok {
		return a.Hidden
	}
	if ds, ok := md.DataStream(name); ok {
		return ds.Hidden
	}
	return false
}
