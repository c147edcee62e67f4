package server

import (
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// bodyAuditIndices is the indices field of the events of a request that
// names indices besides its index expression: the request's own
// expressions, then what its body names (a _reindex's source and
// destination, every index and alias of a POST _aliases) and the names it
// creates or points at (an alias, a resize target, a rollover's new
// index). A put-alias body's index and alias replace the path's, as the
// cluster uses them. So the trail says which indices such a request read,
// wrote or re-pointed. Names that cannot be read are left out: the
// decision refuses such bodies anyway.
func bodyAuditIndices(st *requestState) []string {
	c := st.Class
	if c == nil {
		return st.Indices
	}
	own := st.Indices
	names := slices.Clone(c.Targets)
	if c.API == "indices.put_alias" {
		if indices, aliases, ref := putAliasNames(c, st.Body); ref == nil {
			own, names = indices, aliases
		}
	}
	body, _ := bodyObject(st.Body)
	switch {
	case body == nil:
	case c.Action == "indices:data/write/reindex":
		for _, key := range []string{"source", "dest"} {
			if v, ok := body.Get(key); ok {
				if o, ok := v.(*esbody.Object); ok {
					n, _ := indexNames(o, "index")
					names = append(names, n...)
				}
			}
		}
	case c.API == "indices.update_aliases":
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
	}
	out := slices.Clone(own)
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
