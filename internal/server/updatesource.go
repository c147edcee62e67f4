package server

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// An update can read the document it updates and tell the caller: with
// _source (true, or fields to include) in the update API's query or body,
// in a _bulk update item or the _bulk query, the cluster returns the stored
// document in "get"; and a script reads ctx._source, which it can spell out
// in an error or through which outcome it picks (ctx.op = 'noop' when a
// stored value matches a guess: a bit at a time). Elasticsearch authorizes
// all of it with the write privilege alone, so a user who may update but
// not read an index would read every document it can name by id. The
// proxy requires read (the get action) on the index for an update that
// asks for the document back or runs a script; a plain partial-document
// update is unchanged.

const actionUpdate = "indices:data/write/update"

// sourceParams are the query parameters that ask for the updated
// document back.
var sourceParams = []string{"_source", "_source_includes", "_source_excludes", "_source_include", "_source_exclude"}

// asksForSource reports whether a _source value asks for the document: any
// value but false.
func asksForSource(v esbody.Value) bool {
	b, ok := v.(esbody.Bool)
	return !ok || bool(b)
}

// queryAsksForSource reports whether the query string asks for the
// document back.
func queryAsksForSource(p esapi.Params) bool {
	for _, name := range sourceParams {
		if v, ok := p.Get(name); ok && !(name == "_source" && v == "false") {
			return true
		}
	}
	return false
}

// updateReadRefusal refuses a single-document update that reads the
// document (see above) when the user may not read the index without
// DLS/FLS, and any update when the user's read of the index is restricted
// by document-level security (see readOf).
//
// d is the update's own decision: when DLS/FLS restricts it, the
// restriction stage refuses the update as Elasticsearch does.
func updateReadRefusal(az Authorizer, req authz.Request, d authz.Decision, c *esapi.Classification, pb *parsedBody) *itemRefusal {
	if c.Action != actionUpdate || slices.ContainsFunc(d.Access, authz.IndexAccess.Filtered) {
		return nil
	}
	var body *esbody.Object
	if pb != nil {
		body, _ = pb.json.(*esbody.Object)
	}
	ra := readOf(az, req, req.Indices)
	if ra.dls {
		return mergeRefusal(req.User, req.Indices)
	}
	if !queryAsksForSource(c.Params) && !updateBodyReads(body) {
		return nil
	}
	return ra.refusal(req.User, req.Indices)
}

// updateBodyReads reports whether an update body (the API's, or a _bulk
// update item's document line) reads the stored document: a script, or
// _source asking for it back.
func updateBodyReads(body *esbody.Object) bool {
	if body == nil {
		return false
	}
	if body.Has("script") {
		return true
	}
	v, ok := body.Get("_source")
	return ok && asksForSource(v)
}

// bulkUpdateReads reports whether a _bulk update item (with its Meta and
// Source) reads the stored document: _source in its metadata, its
// document line or the request's query, or a script.
func bulkUpdateReads(c *esapi.Classification, it esbody.BulkItem) bool {
	if it.Op != "update" {
		return false
	}
	if updateBodyReads(it.Source) {
		return true
	}
	if it.Meta != nil {
		if v, ok := it.Meta.Get("_source"); ok {
			return asksForSource(v)
		}
	}
	return queryAsksForSource(c.Params)
}

// readAccess is what the user's read privilege allows on some indices,
// as far as an update is concerned.
type readAccess struct {
	// unrestricted: the user may get documents of the indices without
	// document- or field-level security.
	unrestricted bool
	// allowed: the user may get documents of the indices (maybe under
	// DLS/FLS).
	allowed bool
	// dls: document-level security restricts the user's read of one of
	// the indices.
	dls bool
}

// readOf decides the get action on indices. The cluster hands an update the
// whole stored document, whatever the user's read privilege shows (a role
// granting write without DLS/FLS lets the update itself through
// unrestricted while another role restricts the user's read). An update
// that returns the document (or runs a script) reads it; any update merges
// into it: under DLS, a partial update of a document the user cannot see
// (say, setting the field the role query matches on) moves it, with all it
// holds, into the user's view.
func readOf(az Authorizer, base authz.Request, indices []string) readAccess {
	probe := base
	probe.Action, probe.Indices, probe.Options = "indices:data/read/get", indices, authz.IndicesOptions{}
	d := az.Decide(probe)
	if !d.Allowed || d.MatchNothing {
		return readAccess{}
	}
	return readAccess{allowed: true,
		unrestricted: !slices.ContainsFunc(d.Access, authz.IndexAccess.Filtered),
		dls:          slices.ContainsFunc(d.Access, func(a authz.IndexAccess) bool { return len(a.Queries) > 0 })}
}

// refusal refuses an update that reads the document unless the read is
// unrestricted (nil then).
func (ra readAccess) refusal(user string, indices []string) *itemRefusal {
	switch {
	case ra.unrestricted:
		return nil
	case ra.allowed:
		return &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf(
			"action [%s] is unauthorized for user [%s] on indices %v: the update reads the document (_source asked back, or a script), which needs the read privilege on the index without document- or field-level security",
			actionUpdate, user, indices)}
	}
	return &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf(
		"action [%s] is unauthorized for user [%s] on indices %v: the update reads the document (_source asked back, or a script), which needs the read privilege on the index",
		actionUpdate, user, indices)}
}

// mergeRefusal refuses an update where document-level security restricts
// the user's read (see readOf).
func mergeRefusal(user string, indices []string) *itemRefusal {
	return &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf(
		"action [%s] is unauthorized for user [%s] on indices %v: an update merges into the stored document, which document level security may hide from the user's read",
		actionUpdate, user, indices)}
}

// memoReadOf answers readOf once per index.
func memoReadOf(az Authorizer, base authz.Request) func(index string) readAccess {
	seen := map[string]readAccess{}
	return func(index string) readAccess {
		ra, done := seen[index]
		if !done {
			ra = readOf(az, base, []string{index})
			seen[index] = ra
		}
		return ra
	}
}

// bulkUpdateReadRefusal refuses a _bulk update item that reads the document
// when the user may not read its index without DLS/FLS, and any update
// item when DLS restricts the user's read of its index (see readOf). Only
// when it matters is the item of a spooled bulk read back from disk (its
// Meta and Source are not kept in memory).
//
// access is the item's own DLS/FLS: when it restricts the item, the item
// is refused as Elasticsearch does (checkRestrictedBulkItem).
func bulkUpdateReadRefusal(st *requestState, pos int, it esbody.BulkItem, index string, access []authz.IndexAccess, readOf func(string) readAccess) *itemRefusal {
	if slices.ContainsFunc(access, authz.IndexAccess.Filtered) {
		return nil
	}
	ra := readOf(index)
	switch {
	case ra.dls:
		return mergeRefusal(st.Principal.Username, []string{index})
	case ra.unrestricted:
		return nil
	}
	it, ref := spooledItem(st, pos, it)
	if ref != nil {
		return ref
	}
	if !bulkUpdateReads(st.Class, it) {
		return nil
	}
	return ra.refusal(st.Principal.Username, []string{index})
}
