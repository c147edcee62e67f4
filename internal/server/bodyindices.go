package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// authorizeBodyIndices decides requests whose indices are named in their
// body or besides their index expression, for users without full access:
// _reindex (read on the source, write on the destination), POST _aliases
// (each action on its indices and aliases) and the single-alias APIs
// (targets.go), as Elasticsearch authorizes their parts, and refuses CCR
// follower indices (their leader is named in the body). Every name must
// be allowed as written (no wildcard narrowing) and without DLS/FLS
// (Elasticsearch refuses aliases on such indices, and a reindex would copy
// hidden data out). handled is false for other requests.
func authorizeBodyIndices(ctx context.Context, rs *Restrictions, az Authorizer, base authz.Request, st *requestState) (handled bool, ref *itemRefusal) {
	switch {
	case base.Action == "indices:data/write/reindex":
		return true, authorizeReindex(ctx, rs, az, base, st)
	case st.Class.API == "indices.update_aliases":
		return true, authorizeAliasActions(az, base, st)
	case st.Class.API == "indices.put_alias" || st.Class.API == "indices.delete_alias":
		return true, authorizeAliasAPI(az, base, st)
	case st.Class.API == "ccr.follow":
		return true, forbidden(base, reasonFollowLeader)
	case st.Class.API == "simulate.ingest":
		return true, authorizeSimulateIngest(az, base, st)
	}
	return false, nil
}

// authorizeSimulateIngest decides Elasticsearch's simulate ingest API as
// Elasticsearch does, on each document's index: a document's _index
// overrides the path's, and the cluster runs it through that index's
// pipelines and mappings. Substituted pipelines are held to the rule of
// naming one (mayUsePipelines).
func authorizeSimulateIngest(az Authorizer, base authz.Request, st *requestState) *itemRefusal {
	body, ok := bodyObject(st.Body)
	if !ok {
		return badBody("simulate ingest requires a JSON object body")
	}
	if body.Has("pipeline_substitutions") && !mayUsePipelines(az, base) {
		return forbidden(base, reasonPipeline)
	}
	pathIdx := st.Class.Indices
	if len(pathIdx) > 0 {
		if ref := decideNames(az, base, base.Action, pathIdx); ref != nil {
			return ref
		}
	}
	v, _ := body.Get("docs")
	docs, ok := v.(esbody.Array)
	if !ok {
		return badBody("simulate ingest requires a [docs] array")
	}
	for _, d := range docs {
		doc, ok := d.(*esbody.Object)
		if !ok {
			return badBody("each simulated document is an object")
		}
		names, err := indexNames(doc, "_index")
		if err != nil || len(names) > 1 {
			return badBody("a simulated document's [_index] must be one string")
		}
		if len(names) == 0 {
			if len(pathIdx) == 0 {
				return badBody("a simulated document names no index")
			}
			continue
		}
		if ref := decideNames(az, base, base.Action, names); ref != nil {
			return ref
		}
	}
	return nil
}

// reasonFollowLeader is why a follower index is refused to users without
// full access: a secured remote cluster authorizes the leader index as the
// user, the unsecured one behind the proxy copies any index it is asked for.
const reasonFollowLeader = "a follower index copies the leader index its body names from a remote cluster, " +
	"which the security proxy does not authorize"

// authorizeReindex: source.index read, dest.index index (and auto_create
// when the cluster does not have it); remote sources,
// scripts (they can change the destination of each document) and
// destination pipelines are refused.
func authorizeReindex(ctx context.Context, rs *Restrictions, az Authorizer, base authz.Request, st *requestState) *itemRefusal {
	body, ok := bodyObject(st.Body)
	if !ok {
		return badBody("reindex requires a JSON object body")
	}
	if body.Has("script") {
		return forbidden(base, "a reindex script can change each document's destination index")
	}
	source, _ := body.Get("source")
	dest, _ := body.Get("dest")
	src, ok1 := source.(*esbody.Object)
	dst, ok2 := dest.(*esbody.Object)
	if !ok1 || !ok2 {
		return badBody("reindex requires [source] and [dest] objects")
	}
	if src.Has("remote") {
		return forbidden(base, "reindex from a remote cluster is not supported by the security proxy")
	}
	if dst.Has("pipeline") {
		return forbidden(base, "an ingest pipeline can change the destination index")
	}
	srcIdx, err := indexNames(src, "index")
	if err != nil {
		return badBody(err.Error())
	}
	// The cluster splits a string source.index at commas (an array's
	// elements are taken as they are).
	if v, _ := src.Get("index"); isString(v) {
		srcIdx = strings.Split(srcIdx[0], ",")
	}
	dstIdx, err := indexNames(dst, "index")
	if err != nil || len(dstIdx) != 1 {
		return badBody("reindex requires one [dest.index]")
	}
	if ref := decideNames(az, base, "indices:data/read/search", srcIdx); ref != nil {
		return ref
	}
	if ref := decideNames(az, base, "indices:data/write/index", dstIdx); ref != nil {
		return ref
	}
	// Each document is then written by its operation type, as a _bulk
	// item (Elasticsearch authorizes the reindex's bulk requests item by
	// item): create_doc may add documents but not overwrite them.
	if ref := decideNames(az, base, reindexDestAction(dst), dstIdx); ref != nil {
		return ref
	}
	// ...in bulk shard requests, authorized on the destination too.
	if ref := decideNames(az, base, actionBulkShard, dstIdx); ref != nil {
		return ref
	}
	// Copied documents with fields a data stream destination does not map
	// update its mapping, which Elasticsearch authorizes as auto_put: the
	// proxy does not see them (autoput.go).
	if ref := newAutoPutCheck(ctx, rs, az, base, dstIdx[0]).refusal(nil, reasonCopiedAutoPut); ref != nil {
		return ref
	}
	// A destination the cluster lacks is created by the reindex's writes,
	// which Elasticsearch authorizes as indices:admin/auto_create.
	return autoCreateRefusal(az, base, st.indexNames, dstIdx[0])
}

// reindexDestAction is the item action of a reindex's writes: create when
// dest.op_type is "create" (read case-insensitively, as the cluster does),
// an overwrite otherwise (the default, and any value the cluster would
// refuse: judged as the strictest).
func reindexDestAction(dst *esbody.Object) string {
	if v, ok := dst.Get("op_type"); ok {
		if s, ok := v.(esbody.String); ok && strings.EqualFold(string(s), "create") {
			return actionIndexCreate
		}
	}
	return actionIndexOverwrite
}

// authorizeAliasActions decides each action of POST _aliases: add and
// remove need indices:admin/aliases on the indices and on the aliases,
// remove_index needs indices:admin/delete on the index.
func authorizeAliasActions(az Authorizer, base authz.Request, st *requestState) *itemRefusal {
	body, ok := bodyObject(st.Body)
	if !ok {
		return badBody("aliases requires a JSON object body")
	}
	v, _ := body.Get("actions")
	actions, ok := v.(esbody.Array)
	if !ok || len(actions) == 0 || body.Len() != 1 {
		return badBody("aliases requires only an [actions] array")
	}
	for _, a := range actions {
		obj, ok := a.(*esbody.Object)
		if !ok || obj.Len() != 1 {
			return badBody("each alias action is an object with one member")
		}
		kind, spec := obj.At(0).Name, obj.At(0).Value
		so, ok := spec.(*esbody.Object)
		if !ok {
			return badBody("alias action [" + kind + "] must be an object")
		}
		indices, err := indexNames(so, "index", "indices")
		if err != nil {
			return badBody(err.Error())
		}
		switch kind {
		case "add", "remove":
			aliases, err := indexNames(so, "alias", "aliases")
			if err != nil {
				return badBody(err.Error())
			}
			var adds [][2]string
			if kind == "add" {
				for _, a := range aliases {
					for _, i := range indices {
						adds = append(adds, [2]string{a, i})
					}
				}
			}
			if ref := decideAliasNames(az, base, append(indices, aliases...), adds); ref != nil {
				return ref
			}
		case "remove_index":
			if ref := decideNames(az, base, "indices:admin/delete", indices); ref != nil {
				return ref
			}
		default:
			return badBody("unknown alias action [" + kind + "]")
		}
	}
	return nil
}

// decideNames decides action on each name: allowed as written, one
// target, no DLS/FLS.
func decideNames(az Authorizer, base authz.Request, action string, names []string) *itemRefusal {
	if len(names) == 0 {
		return &itemRefusal{status: http.StatusBadRequest, reason: fmt.Sprintf("[%s] names no index", action)}
	}
	for _, name := range names {
		req := base
		req.Action, req.Indices, req.Options = action, []string{name}, authz.IndicesOptions{}
		d := az.Decide(req)
		switch {
		case !d.Allowed:
			return &itemRefusal{status: statusOr403(d.Status), reason: d.Reason}
		case d.Rewritten || d.MatchNothing:
			return forbidden(base, fmt.Sprintf("[%s] must be named explicitly (no wildcards) in the body", name))
		case slices.ContainsFunc(d.Access, authz.IndexAccess.Filtered):
			return forbidden(base, fmt.Sprintf("document- or field-level security applies to [%s]", name))
		}
	}
	return nil
}

// indexNames reads the first present member of keys as a string or an
// array of strings.
func indexNames(o *esbody.Object, keys ...string) ([]string, error) {
	var out []string
	for _, k := range keys {
		v, ok := o.Get(k)
		if !ok {
			continue
		}
		switch t := v.(type) {
		case esbody.String:
			out = append(out, string(t))
		case esbody.Array:
			for _, e := range t {
				s, ok := e.(esbody.String)
				if !ok {
					return nil, fmt.Errorf("[%s] must hold strings", k)
				}
				out = append(out, string(s))
			}
		default:
			return nil, fmt.Errorf("[%s] must be a string or an array of strings", k)
		}
	}
	return out, nil
}

func badBody(reason string) *itemRefusal {
	return &itemRefusal{status: http.StatusBadRequest, reason: reason}
}

func forbidden(base authz.Request, why string) *itemRefusal {
	return &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf("action [%s] is unauthorized for user [%s]: %s", base.Action, base.User, why)}
}
