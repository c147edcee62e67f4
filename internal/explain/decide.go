package explain

import (
	"net/http"
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/server"
)

// decide follows the server's authorization stage (withAuthorization)
// step by step, recording each outcome in rep instead of forwarding.
func decide(rep *Report, in Input, c *esapi.Classification, b *server.ParsedBody) {
	req := request(in, c)
	d := in.Authorizer.Decide(req)
	rep.EffectiveRoles, rep.MissingRoles = d.EffectiveRoles, d.MissingRoles
	if !d.Allowed {
		rep.refuse(denial(d))
		return
	}
	if e := server.ReachRefusal(in.Authorizer, req, c, b); e != nil {
		rep.refuse(e)
		return
	}
	full := server.FullAccess(in.Authorizer, req)
	if !server.UnboundedAccess(in.Authorizer, req) {
		e, decided := server.BodyChecks(in.Authorizer, req, c, b)
		if e != nil {
			rep.refuse(e)
			return
		}
		if decided {
			rep.Outcome = Allow
			rep.Notes = append(rep.Notes, "the indices named in the body were each authorized as written")
			return
		}
	}
	switch {
	case d.ActionOnly && c.IndicesFrom == esapi.IndicesCursor:
		rep.Outcome = Narrow
		rep.addNote("this request continues a scroll, point in time or async search: the proxy decides it again on the indices the cursor was opened for, and only for the cursor's owner; explain cannot see those")
	case d.ActionOnly && full:
		rep.Outcome = Allow
		rep.Notes = append(rep.Notes, "the user has full access: the items are forwarded without per-item decisions")
	case d.ActionOnly:
		decideItems(rep, in, c, req, b)
	case d.Unrestricted:
		rep.Outcome = Allow
	default:
		decideRestricted(rep, in, req, d, c, b, full)
	}
}

// decideRestricted explains an allowed request that is narrowed or
// filtered.
func decideRestricted(rep *Report, in Input, req authz.Request, d authz.Decision, c *esapi.Classification, b *server.ParsedBody, full bool) {
	if !full {
		if e := server.Unenforceable(req, d, c, b); e != nil {
			rep.refuse(e)
			return
		}
	}
	rep.Outcome = Allow
	if d.Rewritten || d.MatchNothing {
		rep.Outcome, rep.Indices, rep.Rewritten, rep.MatchNothing = Narrow, d.Indices, d.Rewritten, d.MatchNothing
	}
	if !full && slices.ContainsFunc(d.Access, authz.IndexAccess.Filtered) {
		rep.Outcome, rep.Access = Narrow, accessOf(d.Access, in.User)
		rep.addNote(restrictionNote)
	}
}

// restrictionNote: what the restriction stage decides only when serving.
const restrictionNote = "under document- or field-level security the request body is rewritten when served; query features the proxy cannot enforce there are refused at that point"

// denial is the error the proxy answers for a refused decision.
func denial(d authz.Decision) *eserr.Error {
	status, typ := d.Status, d.ErrorType
	if status == 0 {
		status = http.StatusForbidden
	}
	if typ == "" {
		typ = "security_exception"
	}
	return &eserr.Error{Status: status, Type: typ, Reason: d.Reason}
}
