package server

import (
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// bodyAuditIndices are the index and alias names a _reindex (source and
// destination) or POST _aliases (every action's indices and aliases) body
// names, after the request's own index expressions: the indices field of
// its events, so that the trail says which indices such a request read,
// wrote or re-pointed (their URL names none). Names that cannot be read
// are left out: the decision refuses such bodies anyway.
func bodyAuditIndices(st *requestState) []string {
	if st.Class == nil {
		return st.Indices
	}
	body, ok := bodyObject(st.Body)
	if !ok {
		return st.Indices
	}
	var names []string
	switch {
	case st.Class.Action == "indices:data/write/reindex":
		for _, key := range []string{"source", "dest"} {
			if v, ok := body.Get(key); ok {
				if o, ok := v.(*esbody.Object); ok {
					n, _ := indexNames(o, "index")
					names = append(names, n...)
				}
			}
		}
	case st.Class.API == "indices.update_aliases":
		v, _ := body.Get("actions")
		actions, _ := v.(esbody.Array)
		for _, a := range actions {
			obj, ok := a.(*esbody.Object)
			if !ok || obj.Len() != 1 {
				continue
			}
			if spec, ok := obj.At(0).Value.(*esbody.Object); ok {
				for _, keys := range [][]string{{"index", "indices"}, {"alias", "aliases"}} {
					n, _ := indexNames(spec, keys...)
					names = append(names, n...)
				}
			}
		}
	default:
		return st.Indices
	}
	out := slices.Clone(st.Indices)
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
