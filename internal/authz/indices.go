package authz

import (
	"slices"
	"strings"
)

// actionOnly are the index actions Elasticsearch authorizes by their name
// alone: the composite requests whose items are authorized one by one
// (RBACEngine.shouldAuthorizeIndexActionNameOnly), and the continuations of
// a context opened by an authorized request (scroll, point in time, async
// results), which name no index.
var actionOnly = map[string]bool{
	"indices:data/write/bulk":               true,
	"indices:data/read/mget":                true,
	"indices:data/read/msearch":             true,
	"indices:data/read/msearch/template":    true,
	"indices:data/read/mtv":                 true,
	"indices:data/read/scroll":              true,
	"indices:data/read/scroll/clear":        true,
	"indices:data/read/close_point_in_time": true,
	"indices:data/read/async_search/get":    true,
	"indices:data/read/async_search/delete": true,
	"indices:data/read/sql/close_cursor":    true,
}

// IsActionOnly reports whether an index action is authorized by its name
// alone (see Decision.ActionOnly).
func IsActionOnly(action string) bool { return actionOnly[action] }

// decideIndices decides an index action; groups are the user's groups that
// grant it.
func (e *Evaluator) decideIndices(req Request, groups []*compiledGroup, d Decision) Decision {
	if actionOnly[req.Action] {
		if len(groups) == 0 {
			return e.denyIndices(req, d, nil)
		}
		d.Allowed, d.ActionOnly = true, true
		return d
	}
	if slices.ContainsFunc(groups, (*compiledGroup).unconditional) && !anyRemoteSyntax(req.Indices) {
		d.Allowed, d.Unrestricted = true, true
		d.Indices = slices.Clone(req.Indices)
		return d
	}
	r := &resolver{md: req.Metadata, opts: req.Options, groups: groups, clock: e.now}
	if c := e.grantsCache(req.Metadata); c != nil {
		r.groupBits = make([][]uint64, len(groups))
		for i, g := range groups {
			r.groupBits[i] = c.bits(g)
		}
	}
	r.run(req.Indices)
	switch {
	case r.fail != nil && r.fail.status == 400:
		return refuse(d, r.fail)
	case len(groups) == 0:
		// A user whose roles grant the action nowhere is refused even when
		// nothing explicit was named, as RBACEngine does.
		return e.denyIndices(req, d, r.denied)
	case r.fail != nil:
		return refuse(d, r.fail)
	case len(r.denied) > 0:
		return e.denyIndices(req, d, r.denied)
	case r.notFound != "":
		return refuse(d, notFoundFailure(r.notFound))
	}
	entries := r.result()
	if len(entries) == 0 {
		if req.Options.ForbidNoIndices {
			return refuse(d, notFoundFailure("["+strings.Join(req.Indices, ", ")+"]"))
		}
		d.Allowed, d.MatchNothing, d.Rewritten = true, true, true
		return d
	}
	d.Allowed = true
	d.Indices = make([]string, len(entries))
	for i, en := range entries {
		d.Indices[i] = en.name
	}
	d.Rewritten = !slices.Equal(d.Indices, req.Indices)
	d.Access = r.access(entries)
	d.Unrestricted = !d.Rewritten && !slices.ContainsFunc(d.Access, IndexAccess.Filtered)
	if d.Rewritten && namesLength(d.Indices) > longIndexList && !slices.ContainsFunc(d.Access, IndexAccess.Filtered) {
		d = shortenedList(req, groups, d)
	}
	return d
}

// anyRemoteSyntax reports whether an expression may name a remote index or
// carry a selector: those always go through full resolution (and are
// refused there).
func anyRemoteSyntax(exprs []string) bool {
	return slices.ContainsFunc(exprs, func(s string) bool { return strings.Contains(s, ":") })
}

// denyIndices builds the 403 for an index action, listing the refused names
// apart from the refused restricted ones, each sorted and unique, as
// IndexAuthorizationResult.getFailureDescription does.
func (e *Evaluator) denyIndices(req Request, d Decision, denied []string) Decision {
	var plain, restricted []string
	for _, name := range denied {
		if req.Metadata.IsRestricted(name) {
			restricted = append(restricted, name)
		} else {
			plain = append(plain, name)
		}
	}
	d.Status, d.ErrorType = 403, "security_exception"
	d.Reason = denialMessage(req, d.EffectiveRoles, d.MissingRoles, sortedUnique(plain), sortedUnique(restricted))
	return d
}

// refuse turns a failure into the decision.
func refuse(d Decision, f *failure) Decision {
	d.Status, d.ErrorType, d.Reason, d.NotFoundIndex = f.status, f.errorType, f.reason, f.index
	return d
}
