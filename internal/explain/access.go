package explain

import (
	"encoding/json"
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
)

// accessOf describes the filtered entries of access, DLS templates
// rendered for u with the restriction stage's renderer.
func accessOf(access []authz.IndexAccess, u dls.User) []IndexAccess {
	cache := dls.NewCache(0) // owned by this call: nothing outlives it
	var out []IndexAccess
	for _, a := range access {
		if !a.Filtered() {
			continue
		}
		ia := IndexAccess{Index: a.Index}
		for _, raw := range a.Queries {
			ia.DLS = append(ia.DLS, query(cache, raw, u))
		}
		if a.Fields != nil {
			for _, s := range a.Fields.Sets {
				ia.FLS = append(ia.FLS, FieldSet{Grant: nonNil(s.Grant), Except: slices.Clone(s.Except)})
			}
		}
		out = append(out, ia)
	}
	return out
}

// query renders one role query; a plain query renders to itself and is
// then not repeated.
func query(cache *dls.Cache, raw json.RawMessage, u dls.User) Query {
	q := Query{Written: slices.Clone(raw)}
	v, err := cache.Query(raw, u)
	if err != nil {
		q.Error = err.Error()
		return q
	}
	rendered, err := esbody.Encode(v)
	if err != nil {
		q.Error = err.Error()
		return q
	}
	if !sameJSON(raw, rendered) {
		q.Rendered = rendered
	}
	return q
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ca, _ := json.Marshal(x)
	cb, _ := json.Marshal(y)
	return string(ca) == string(cb)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
