package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// This file exports, for `proxy explain` (internal/explain), the pure
// pieces of the authorization stage, so that the explanation is computed
// by the same code that decides real requests.

// MgetShardAction is the action each document of an _mget is authorized
// with, as Elasticsearch authorizes its shard requests.
const MgetShardAction = mgetShardAction

// BulkItemAction is the action one _bulk item is authorized with.
func BulkItemAction(it esbody.BulkItem) string { return bulkItemAction(it) }

// MsearchItemAction is the action each search of an _msearch (or
// _msearch/template) request with action action is authorized with.
func MsearchItemAction(action string) string { return searchItemAction(action) }

// MsearchItemOptions are the indices options an _msearch item's header sets.
func MsearchItemOptions(it *esbody.MsearchItem) authz.IndicesOptions { return itemOptions(it) }

// AuthzRequest is the request the authorization stage hands to authz for
// a classified request of user, with md as the cluster's metadata (nil:
// none).
func AuthzRequest(user string, roles []string, c *esapi.Classification, md *authz.Metadata) authz.Request {
	st := &requestState{Class: c, Principal: &authn.Principal{Username: user, Roles: roles}}
	return authzRequest(st, fixedMetadata{md})
}

// fixedMetadata is a MetadataSource that always gives one snapshot.
type fixedMetadata struct{ md *authz.Metadata }

// Snapshot implements MetadataSource.
func (f fixedMetadata) Snapshot() *authz.Metadata { return f.md }

// FullAccess reports whether the user of req may perform its action on
// every index without document- or field-level security (then the proxy
// lets composite and body-naming requests through undecomposed).
func FullAccess(az Authorizer, req authz.Request) bool { return fullAccess(az, req) }

// ClassificationRefusal is the error the proxy answers, to an
// authenticated caller, for a request the classifier refused: err is
// ClassifyURL's error, or nil with c.Denied set for an endpoint refused on
// purpose.
func ClassificationRefusal(method, escapedPath string, c *esapi.Classification, err error) *eserr.Error {
	st := &requestState{Class: c, classifyErr: err}
	if err == nil {
		st.classifyErr = errDeniedEndpoint
	}
	r, rerr := http.NewRequest(method, "http://explain"+escapedPath, nil)
	if rerr != nil { // the classifier accepted the path; fail closed anyway
		return eserr.Security(http.StatusForbidden, fmt.Sprintf("request [%s %s] is malformed and was refused: %v", method, escapedPath, rerr))
	}
	return classificationError(r, st)
}

// ParsedBody is a request body parsed as the body stage parses it.
type ParsedBody struct{ pb *parsedBody }

// ParseBody reads r's body (encodings, content type, the `source`
// parameter) and parses it for the classified route, as the body stage
// does; errors are *esbody.Error.
func ParseBody(r *http.Request, c *esapi.Classification, maxBytes int64) (*ParsedBody, error) {
	pb, err := parseBody(r, c, maxBytes)
	if err != nil {
		return nil, err
	}
	return &ParsedBody{pb: pb}, nil
}

// Bulk are the items of a _bulk body.
func (b *ParsedBody) Bulk() []esbody.BulkItem { return b.pb.bulk }

// Msearch are the items of an _msearch body.
func (b *ParsedBody) Msearch() []esbody.MsearchItem { return b.pb.msearch }

// Mget are the documents ("docs") and ids ("ids") of an _mget body.
func (b *ParsedBody) Mget() ([]esbody.MgetDoc, []string) { return b.pb.mget, b.pb.mgetIDs }

// explainState is the request state the authorization helpers read, for
// a request that is only explained.
func explainState(req authz.Request, c *esapi.Classification, b *ParsedBody) *requestState {
	st := &requestState{Class: c, Principal: &authn.Principal{Username: req.User, Roles: req.Roles},
		restrictions: &Restrictions{}} // DLS/FLS is enforced in serve: items are not refused for it
	if b != nil {
		st.Body = b.pb
	}
	return st
}

// ReachRefusal is the authorization stage's refusal of an allowed request
// whose body or parameters could reach beyond its indices (documents by
// id, templates, ingest pipelines), or nil.
func ReachRefusal(az Authorizer, req authz.Request, c *esapi.Classification, b *ParsedBody) *eserr.Error {
	st := explainState(req, c, b)
	return reachRefusal(az, req, c, st.Body, unboundedAccessProbe(az, req, fullAccessProbe(az, req))).esError()
}

// UnboundedAccess reports whether nothing a request's body or targets name
// can give the user of req more than they have (full access for its action,
// read and write on every index): the proxy then lets them through without
// deciding each name (BodyChecks).
func UnboundedAccess(az Authorizer, req authz.Request) bool {
	return unboundedAccessProbe(az, req, fullAccessProbe(az, req))()
}

// BodyChecks decides, for a request the role evaluator allowed and a user
// without full access, the indices named by _reindex and _aliases bodies.
// It returns the refusal, if any, and whether the body's indices were
// fully decided (the request is then forwarded as it is).
func BodyChecks(az Authorizer, req authz.Request, c *esapi.Classification, b *ParsedBody) (refusal *eserr.Error, decided bool) {
	st := explainState(req, c, b)
	if !c.BodyIndices && len(c.Targets) == 0 {
		return nil, false
	}
	handled, ref := authorizeBodyIndices(context.Background(), nil, az, req, st)
	if handled && ref != nil {
		return eserr.Security(ref.status, ref.reason), true
	}
	return nil, handled
}

// Unenforceable is the refusal of a request allowed under d that the
// proxy cannot forward safely (indices its body may name), or nil.
func Unenforceable(req authz.Request, d authz.Decision, c *esapi.Classification, b *ParsedBody) *eserr.Error {
	if reason := unenforceable(req, d, c, explainState(req, c, b).Body, true); reason != "" {
		return eserr.Security(http.StatusForbidden, reason)
	}
	return nil
}

// DecideItem decides one item of a composite request on one index, as the
// authorization stage does: the item must be allowed on index as named.
// It returns the DLS/FLS to enforce, or the item's refusal.
func DecideItem(az Authorizer, base authz.Request, action, index string) ([]authz.IndexAccess, *eserr.Error) {
	access, ref := decideItem(az, base, explainState(base, nil, nil), action, index)
	if ref != nil {
		return nil, eserr.Security(ref.status, ref.reason)
	}
	return access, nil
}

// RestrictedBulkUpdateRefusal is the refusal of a _bulk update item on an
// index under document- or field-level security.
func RestrictedBulkUpdateRefusal() *eserr.Error {
	return eserr.Security(http.StatusBadRequest, reasonBulkUpdateDLSFLS)
}

// BulkRequestRefusal is the refusal of a whole _bulk for what its URL
// says, or nil.
func BulkRequestRefusal(az Authorizer, req authz.Request, c *esapi.Classification) *eserr.Error {
	return bulkRequestProblem(c, func() bool { return mayUsePipelines(az, req) }).esError()
}

// BulkItemIndex is the index a _bulk item writes to, or the refusal of the
// whole request the item causes.
func BulkItemIndex(az Authorizer, req authz.Request, c *esapi.Classification, it esbody.BulkItem) (string, *eserr.Error) {
	idx, ref := bulkItemIndex(c, it, func() bool { return mayUsePipelines(az, req) })
	return idx, ref.esError()
}

// esError is the refusal as the error body the proxy answers, or nil.
func (r *itemRefusal) esError() *eserr.Error {
	if r == nil {
		return nil
	}
	return eserr.Security(r.status, r.reason)
}

// MgetDocument is one document of an _mget, with the index it reads.
type MgetDocument struct{ Index, ID string }

// MgetDocuments lists an _mget's documents in response order, each with
// the index it reads (the URL's when it names none), as the authorization
// stage does, or the refusal of the whole request.
func MgetDocuments(c *esapi.Classification, b *ParsedBody) ([]MgetDocument, *eserr.Error) {
	items, ref := mgetItems(&requestState{Class: c}, b.pb)
	if ref != nil {
		return nil, ref.esError()
	}
	docs := make([]MgetDocument, len(items))
	for i, it := range items {
		docs[i] = MgetDocument{Index: it.index, ID: it.id}
	}
	return docs, nil
}
