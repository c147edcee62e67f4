package server

import (
	"fmt"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// searchBodyActions are the actions whose JSON body is (or holds, for
// rank_eval) a search source, where indices_boost is read.
var searchBodyActions = map[string]bool{
	"indices:data/read/search":              true,
	"indices:data/read/async_search/submit": true,
	"indices:data/write/delete/byquery":     true,
	"indices:data/write/update/byquery":     true,
	"indices:data/read/rank_eval":           true,
}

// indicesBoostRefusal refuses a search whose indices_boost names an index
// expression the user may not search. The cluster resolves every entry of
// indices_boost against all of its indices, whatever the search targets:
// a name that does not exist (or a wildcard matching nothing, under
// allow_no_indices=false) fails the whole search with
// index_not_found_exception, one that exists is silently ignored, so the
// answer told any user whether a forbidden index or alias exists, and
// enumerated forbidden names by prefix. Each entry must now be a plain
// name the user may search in full (no wildcard, exclusion or date math,
// which the cluster would resolve over indices out of the user's reach),
// unless the user may read everything. The refusal does not depend on
// whether the name exists.
func indicesBoostRefusal(az Authorizer, req authz.Request, c *esapi.Classification, pb *parsedBody) *itemRefusal {
	if pb == nil {
		return nil
	}
	var names []string
	if searchBodyActions[c.Action] {
		if o, ok := pb.json.(*esbody.Object); ok {
			names = append(names, boostedNames(o)...)
			if c.Action == "indices:data/read/rank_eval" {
				names = append(names, rankEvalBoostedNames(o)...)
			}
		}
	}
	for _, it := range pb.msearch {
		if it.Body != nil {
			names = append(names, boostedNames(it.Body)...)
		}
	}
	if len(names) == 0 || mayReadBeyond(az, req) {
		return nil
	}
	for _, name := range names {
		if strings.ContainsAny(name, "*,<") || strings.HasPrefix(name, "-") || strings.HasPrefix(name, "_") {
			return forbidden(req, fmt.Sprintf("indices_boost [%s] must name an index the user may search, without wildcards, exclusions or date math", name))
		}
		r := req
		r.Action, r.Indices, r.Options = searchAction, []string{name}, authz.IndicesOptions{}
		d := az.Decide(r)
		if !d.Allowed || d.Rewritten || d.MatchNothing {
			// One answer whether the name exists or not.
			return forbidden(req, fmt.Sprintf("indices_boost names [%s], which the user may not search", name))
		}
	}
	return nil
}

// boostedNames lists the index expressions of a search source's
// indices_boost, in either of its forms: an array of one-member objects or
// (deprecated) one object. Anything else is left to the cluster, which
// refuses it.
func boostedNames(src *esbody.Object) []string {
	v, ok := src.Get("indices_boost")
	if !ok {
		return nil
	}
	var out []string
	add := func(o *esbody.Object) {
		out = append(out, o.Names()...)
	}
	switch t := v.(type) {
	case *esbody.Object:
		add(t)
	case esbody.Array:
		for _, e := range t {
			if o, ok := e.(*esbody.Object); ok {
				add(o)
			}
		}
	}
	return out
}

// rankEvalBoostedNames lists the indices_boost names of a rank_eval body's
// requests[].request.
func rankEvalBoostedNames(body *esbody.Object) []string {
	v, _ := body.Get("requests")
	reqs, _ := v.(esbody.Array)
	var out []string
	for _, e := range reqs {
		ro, ok := e.(*esbody.Object)
		if !ok {
			continue
		}
		rv, _ := ro.Get("request")
		if src, ok := rv.(*esbody.Object); ok {
			out = append(out, boostedNames(src)...)
		}
	}
	return out
}
