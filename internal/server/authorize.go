package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// Authorizer decides requests; *authz.RoleStore implements it.
type Authorizer interface {
	Decide(req authz.Request) authz.Decision
}

// MetadataSource gives the cluster's current indices, aliases and data
// streams (upstream.MetadataCache). Nil means an empty cluster.
type MetadataSource interface {
	Snapshot() *authz.Metadata
}

// withAuthorization decides the classified request with Elastic's role
// model and lets through only what the decision allows, narrowing index
// expressions to the authorized names where Elasticsearch would. What the
// proxy cannot enforce (indices named in bodies; document- and field-level
// security when no restriction stage is configured) is refused for
// everyone but users with unrestricted access: fail closed. A request
// allowed under document- or field-level security is marked for the
// restriction stage (st.Restricted).
func withAuthorization(az Authorizer, md MetadataSource, rs *Restrictions, next http.Handler) http.Handler {
	restrict := rs != nil
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		p, c := st.Principal, st.Class
		if p == nil || c == nil { // cannot happen behind the earlier stages; fail closed anyway
			st.Decision = "error"
			eserr.Security(http.StatusForbidden, "request has no authenticated principal or classification").Write(w)
			return
		}
		if md != nil {
			st.snapshot = md.Snapshot()
		}
		if st.cursor != nil && st.cursor.decision != nil {
			authorizeContinuation(w, r, st, *st.cursor.decision, restrict, next)
			return
		}
		if c.BodyIndices || len(c.Targets) > 0 {
			st.Indices = bodyAuditIndices(st) // the events name what the body names and the targets
		}
		req := authzRequest(st, md)
		d := az.Decide(req)
		if st.cursor != nil {
			st.decided = &d // a cursor this request opens is bound to it
		}
		full := fullAccessProbe(az, req) // evaluated at most once, only when needed
		unbounded := unboundedAccessProbe(az, req, full)
		if !d.Allowed {
			deny(w, st, d)
			return
		}
		st.ownAPIKeysOnly, st.managedApplications, st.profileApplications = d.OwnAPIKeysOnly, d.ManagedApplications, d.ProfileApplications
		if ref := reachRefusal(az, req, c, st.Body, unbounded); ref != nil {
			refuse(w, st, ref.status, ref.reason)
			return
		}
		if ref := updateReadRefusal(az, req, d, c, st.Body); ref != nil && !unbounded() {
			refuse(w, st, ref.status, ref.reason)
			return
		}
		if ref := updateWriteRefusal(az, req, c); ref != nil {
			refuse(w, st, ref.status, ref.reason)
			return
		}
		if scriptUpdateActions[c.Action] && !d.MatchNothing {
			if ref, why := scriptDeleteRefusal(az, req, c, st.Body, d); ref != nil {
				st.Log().Info("the update's script may delete documents", zap.String("why", why))
				refuse(w, st, ref.status, ref.reason)
				return
			}
		}
		if c.Action == composableTemplatePut && !mayReadEverything(az, req) {
			if ref := composedAliasesRefusal(r.Context(), rs, req, c, st.Body); ref != nil {
				refuse(w, st, ref.status, ref.reason)
				return
			}
		}
		if ref := namedSearchPipelineRefusal(r.Context(), rs, az, req, c); ref != nil {
			refuse(w, st, ref.status, ref.reason)
			return
		}
		if scriptedWriteActions[c.Action] && !unbounded() {
			written := c.Indices
			if d.Rewritten || d.MatchNothing {
				written = d.Indices
			}
			if ref := percolatorScriptRefusal(r.Context(), rs, req, c, st.Body, written); ref != nil {
				refuse(w, st, ref.status, ref.reason)
				return
			}
		}
		if writesDocuments(c) { // only writes can create indices
			st.indexNames = newExistence(r.Context(), md, req.Metadata)
		}
		if ix := singleDocWriteIndex(c, d); ix != "" {
			// Writing everywhere is not creating everywhere: write on every
			// index without create_index or auto_configure must not create
			// indices (Elasticsearch authorizes indices:admin/auto_create).
			if full() && autoCreateAnywhere(az, req) {
				st.indexNames.note(ix)
			} else if ref := autoCreateRefusal(az, req, st.indexNames, ix); ref != nil {
				refuse(w, st, ref.status, ref.reason)
				return
			}
		}
		if ref := docAutoPutRefusal(r.Context(), rs, az, req, c, d, st.Body); ref != nil {
			refuse(w, st, ref.status, ref.reason)
			return
		}
		if (c.BodyIndices || len(c.Targets) > 0) && !unbounded() {
			if handled, ref := authorizeBodyIndices(r.Context(), rs, az, req, st); handled {
				if ref == nil {
					ref = percolatorReindexRefusal(r.Context(), rs, req, c, st.Body)
				}
				if ref != nil {
					refuse(w, st, ref.status, ref.reason)
					return
				}
				st.Decision = "allow"
				next.ServeHTTP(forgettingMappings(rs, c.Action, w), r)
				refreshAfter(md, c.Action)
				return
			}
		}
		if d.ActionOnly && full() {
			st.indexNames.noteBulk(c, st.Body)
		}
		if d.ActionOnly && !full() {
			if restrict {
				st.restrictions = rs
			}
			ref := authorizeItems(r, az, req, st)
			if len(st.itemAccess) > 0 && (ref == nil || ref.merge != nil) {
				st.Restricted = &authz.Decision{Allowed: true, ActionOnly: true, Access: st.itemAccess}
			}
			if ref != nil {
				if ref.merge == nil {
					refuse(w, st, ref.status, ref.reason)
					return
				}
				if reason := unmergeableResponse(r, ref.merge); reason != "" {
					refuse(w, st, http.StatusBadRequest, reason)
					return
				}
				st.Decision = "allow"
				st.Log().Info("bulk items refused one by one", zap.Int("refused", len(ref.merge.denied)), zap.Int("items", ref.merge.total))
				st.merged = true // the merger, outermost, reads the answer: no compression inside it
				ref.merge.serve(w, r, next)
				st.indexNames.afterWrite()
				return
			}
		} else if !d.Unrestricted {
			if reason := unenforceable(req, d, c, st.Body, restrict); reason != "" && !full() {
				refuse(w, st, http.StatusForbidden, reason)
				return
			}
			if restrict && slices.ContainsFunc(d.Access, authz.IndexAccess.Filtered) && !full() {
				st.Restricted = &d
			}
			if d.Rewritten || d.MatchNothing {
				if err := narrow(r, c, d); err != nil {
					st.Log().Warn("cannot narrow the request's indices", zap.Error(err))
					refuse(w, st, http.StatusForbidden, fmt.Sprintf("action [%s] is unauthorized for user [%s]: the request's indices cannot be narrowed safely", c.Action, p.Username))
					return
				}
				st.Indices = d.Indices
			}
		}
		if aliasListingAPIs[c.API] && !full() {
			if ref := aliasNamesRefusal(r, az, req, c); ref != nil {
				refuse(w, st, ref.status, ref.reason)
				return
			}
		}
		if hidesTaskDescriptions(az, req, c) {
			serveTaskWithoutDescriptions(w, r, st, next)
			return
		}
		st.Decision = "allow"
		next.ServeHTTP(forgettingMappings(rs, c.Action, w), r)
		st.indexNames.afterWrite()
		refreshAfter(md, c.Action)
	})
}

// authorizeContinuation lets through the continuation of a cursor the
// caller owns, already decided again on the cursor's indices
// (withCursorResolution); its DLS/FLS goes to the restriction stage.
func authorizeContinuation(w http.ResponseWriter, r *http.Request, st *requestState, d authz.Decision, restrict bool, next http.Handler) {
	st.decided = &d
	if slices.ContainsFunc(d.Access, authz.IndexAccess.Filtered) {
		if !restrict {
			refuse(w, st, http.StatusForbidden, fmt.Sprintf("action [%s] is unauthorized for user [%s]: document- or field-level security applies and is not enforced by the security proxy", st.Action, st.Principal.Username))
			return
		}
		st.Restricted = &d
	}
	st.Decision = "allow"
	next.ServeHTTP(w, r)
}

// Refresher is a MetadataSource that can be told the cluster's indices
// changed.
type Refresher interface {
	Refresh(ctx context.Context) error
}

// refreshAfter asks for fresh metadata after requests that create, delete
// or re-point indices, aliases and data streams, so that later wildcard
// expansions see them without waiting for the next periodic refresh.
func refreshAfter(md MetadataSource, action string) {
	rf, ok := md.(Refresher)
	if !ok {
		return
	}
	for _, prefix := range []string{"indices:admin/create", "indices:admin/auto_create", "indices:admin/delete", "indices:admin/aliases",
		"indices:admin/rollover", "indices:admin/data_stream/", "indices:admin/resize", "indices:admin/open", "indices:admin/close",
		"indices:admin/settings/update"} { // a default search pipeline (restrict_pipeline.go)
		if strings.HasPrefix(action, prefix) {
			go func() { _ = rf.Refresh(context.Background()) }() // failures keep the previous snapshot
			return
		}
	}
}

// authzRequest builds what authz needs from the request's state.
func authzRequest(st *requestState, md MetadataSource) authz.Request {
	c := st.Class
	req := authz.Request{
		User: st.Principal.Username, Roles: st.Principal.Roles, Action: c.Action, Indices: c.Indices,
		// The user a security API is about (see users.go).
		TargetUser: authzTargetUser(st),
		Limit:      st.limit,
	}
	if st.snapshot != nil {
		req.Metadata = st.snapshot
	} else if md != nil {
		req.Metadata = md.Snapshot()
	}
	o := c.Params.IndicesOptions
	if len(o.ExpandWildcards) > 0 {
		// Validated by the classifier; a parse error here fails closed to "open".
		req.Options.ExpandWildcards, _ = authz.ParseExpandWildcards(strings.Join(o.ExpandWildcards, ","))
	}
	if o.IgnoreUnavailable != nil {
		req.Options.IgnoreUnavailable = *o.IgnoreUnavailable
	}
	if o.AllowNoIndices != nil {
		req.Options.ForbidNoIndices = !*o.AllowNoIndices
	}
	// The data stream APIs ({name} of /_data_stream/...) take data streams
	// only: a wildcard narrowed to the user's indices or aliases would be
	// refused by the cluster (Elasticsearch resolves them to data streams).
	req.Options.DataStreamsOnly = c.Route == "data_stream" &&
		(c.IndexParam == "name" || c.IndexParam == "" && c.IndicesFrom == esapi.IndicesAllImplicit)
	return req
}

// unenforceable says why an allowed but restricted request cannot be
// forwarded safely yet (unless the user has full access), or "" when it can.
func unenforceable(req authz.Request, d authz.Decision, c *esapi.Classification, pb *parsedBody, restrict bool) string {
	switch {
	case !restrict && slices.ContainsFunc(d.Access, authz.IndexAccess.Filtered):
		return fmt.Sprintf("action [%s] is unauthorized for user [%s] on indices [%s]: document- or field-level security applies and is not enforced by the security proxy yet", req.Action, req.User, strings.Join(filteredIndices(d.Access), ","))
	case c.BodyIndices && bodyMayNameIndices(c, pb):
		return fmt.Sprintf("action [%s] is unauthorized for user [%s]: this request can name indices in its body, which the security proxy does not authorize yet", req.Action, req.User)
	}
	return ""
}

// bodyMayNameIndices reports whether the parsed body can make the cluster
// read indices other than those in the path. For searches that is a point
// in time ("pit"), whose id carries its own indices; other APIs whose
// bodies can name indices count as naming them whenever they have a body.
func bodyMayNameIndices(c *esapi.Classification, pb *parsedBody) bool {
	if pb == nil {
		return false
	}
	switch c.Action {
	case "indices:data/read/search", "indices:data/read/search/template":
		obj, ok := pb.json.(*esbody.Object)
		if !ok {
			return pb.json != nil
		}
		_, hasPIT := obj.Get("pit")
		return hasPIT
	}
	return true
}

// fullAccess reports whether the user may perform the action on every
// index, hidden ones included, without DLS/FLS: then nothing in the
// request can reach data the user may not see. It expands "*" over the
// whole cluster.
func fullAccess(az Authorizer, req authz.Request) bool {
	probe := req
	probe.Indices = []string{"*"}
	probe.Options = authz.IndicesOptions{ExpandWildcards: authz.ExpandAll}
	d := az.Decide(probe)
	return d.Allowed && d.Unrestricted
}

// fullAccessProbe is fullAccess memoised, so that it runs only for
// requests that need it, once.
func fullAccessProbe(az Authorizer, req authz.Request) func() bool {
	return onceBool(func() bool { return fullAccess(az, req) })
}

// unboundedAccessProbe reports, memoised, whether the user has full access
// for the request's action (full) and may also read and write every index,
// restricted ones included, without DLS/FLS: then no name in its body or
// path (an alias, a resize target, a reindex source), and no stored
// document an update reads back, gives the user anything more. Full access
// for the action alone is not that: manage on every index allows cloning
// hr-payroll to logs-copy or aliasing it as logs-view, which Elasticsearch
// refuses to a user who may read logs-* only (the target would grant more
// than its source), and write on every index is not read access.
func unboundedAccessProbe(az Authorizer, req authz.Request, full func() bool) func() bool {
	return onceBool(func() bool { return full() && mayEverywhere(az, req, pipelineProbeActions...) })
}

func filteredIndices(access []authz.IndexAccess) []string {
	var out []string
	for _, a := range access {
		if a.Filtered() {
			out = append(out, a.Index)
		}
	}
	return out
}

func deny(w http.ResponseWriter, st *requestState, d authz.Decision) {
	st.Decision = "deny"
	status, typ := d.Status, d.ErrorType
	if status == 0 {
		status = http.StatusForbidden
	}
	if typ == "" {
		typ = "security_exception"
	}
	st.Log().Info("access denied", zap.String("user", st.Principal.Username), zap.String("action", st.Action), zap.Int("status", status))
	(&eserr.Error{Status: status, Type: typ, Reason: d.Reason}).Write(w)
}

func refuse(w http.ResponseWriter, st *requestState, status int, reason string) {
	st.Decision = "deny"
	st.Log().Info("request refused", zap.String("reason", reason))
	eserr.Security(status, reason).Write(w)
}
