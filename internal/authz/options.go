package authz

import (
	"fmt"
	"strings"
)

// IndicesOptions are the request parameters that steer index name
// resolution (Elasticsearch's IndicesOptions). The zero value is the
// default of the search APIs: wildcards expand to open, non-hidden
// indices; naming an unavailable index is an error; an expression that
// matches nothing is not.
type IndicesOptions struct {
	// ExpandWildcards says which indices wildcards and _all reach. The zero
	// value means the default, open; ExpandNone turns expansion off.
	ExpandWildcards ExpandWildcards
	// IgnoreUnavailable is ignore_unavailable=true: explicitly named
	// indices the user may not access are dropped instead of refused.
	IgnoreUnavailable bool
	// ForbidNoIndices is allow_no_indices=false: a wildcard (or the whole
	// request) that resolves to nothing is answered 404.
	ForbidNoIndices bool
	// IgnoreAliases: wildcards do not expand to aliases (APIs such as
	// delete index that only take concrete indices).
	IgnoreAliases bool
	// ExcludeDataStreams: wildcards do not expand to data streams (APIs
	// that do not accept data streams).
	ExcludeDataStreams bool
	// DataStreamsOnly: wildcards and _all expand to data streams only (the
	// data stream APIs, whose names the cluster refuses when they are an
	// index or an alias).
	DataStreamsOnly bool
}

// ExpandWildcards is the expand_wildcards parameter as a set of flags.
type ExpandWildcards uint8

// The expand_wildcards values. ExpandNone is a flag of its own so that
// "none" differs from the zero value (the default, open).
const (
	ExpandOpen ExpandWildcards = 1 << iota
	ExpandClosed
	ExpandHidden
	ExpandNone
	ExpandAll = ExpandOpen | ExpandClosed | ExpandHidden
)

// ParseExpandWildcards reads an expand_wildcards value: a comma-separated
// list of open, closed, hidden, none and all, as Elasticsearch reads it
// ("none" clears what came before it). An empty value means the default.
func ParseExpandWildcards(s string) (ExpandWildcards, error) {
	if s == "" {
		return 0, nil
	}
	var e ExpandWildcards
	for _, v := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "open":
			e = e&^ExpandNone | ExpandOpen
		case "closed":
			e = e&^ExpandNone | ExpandClosed
		case "hidden":
			e = e&^ExpandNone | ExpandHidden
		case "all":
			e = ExpandAll
		case "none":
			e = ExpandNone
		default:
			return 0, fmt.Errorf("No valid expand wildcard value [%s]", v)
		}
	}
	return e, nil
}

// effective resolves the zero value to the default.
func (e ExpandWildcards) effective() ExpandWildcards {
	switch {
	case e == 0:
		return ExpandOpen
	case e&ExpandNone != 0:
		return 0
	}
	return e
}

// expands reports whether wildcard expressions are expanded at all: only
// with open or closed (hidden alone does not expand, as in Elasticsearch).
func (e ExpandWildcards) expands() bool {
	return e.effective()&(ExpandOpen|ExpandClosed) != 0
}

func (e ExpandWildcards) has(f ExpandWildcards) bool { return e.effective()&f != 0 }

// String returns the value as expand_wildcards would spell it.
func (e ExpandWildcards) String() string {
	eff := e.effective()
	if eff == 0 {
		return "none"
	}
	if eff == ExpandAll {
		return "all"
	}
	var parts []string
	for _, f := range []struct {
		flag ExpandWildcards
		name string
	}{{ExpandOpen, "open"}, {ExpandClosed, "closed"}, {ExpandHidden, "hidden"}} {
		if eff&f.flag != 0 {
			parts = append(parts, f.name)
		}
	}
	return strings.Join(parts, ",")
}
