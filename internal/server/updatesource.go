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
// document (see above) when the user may not read the index.
func updateReadRefusal(az Authorizer, req authz.Request, c *esapi.Classification, pb *parsedBody) *itemRefusal {
	if c.Action != actionUpdate {
		return nil
	}
	var body *esbody.Object
	if pb != nil {
		body, _ = pb.json.(*esbody.Object)
	}
	if !queryAsksForSource(c.Params) && !updateBodyReads(body) {
		return nil
	}
	return readRefusal(az, req, req.Indices)
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

// readRefusal refuses unless the user may get documents of indices
// without document- or field-level security: the cluster hands the update
// the whole stored document, hidden fields included, whatever it is (a
// role granting write without DLS/FLS lets the update itself through
// unrestricted, while the user's read is restricted by another role).
func readRefusal(az Authorizer, base authz.Request, indices []string) *itemRefusal {
	probe := base
	probe.Action, probe.Indices, probe.Options = "indices:data/read/get", indices, authz.IndicesOptions{}
	d := az.Decide(probe)
	switch {
	case d.Allowed && !d.MatchNothing && !slices.ContainsFunc(d.Access, authz.IndexAccess.Filtered):
		return nil
	case d.Allowed && !d.MatchNothing:
		return &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf(
			"action [%s] is unauthorized for user [%s] on indices %v: the update reads the document (_source asked back, or a script), which needs the read privilege on the index without document- or field-level security",
			actionUpdate, base.User, indices)}
	}
	return &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf(
		"action [%s] is unauthorized for user [%s] on indices %v: the update reads the document (_source asked back, or a script), which needs the read privilege on the index",
		actionUpdate, base.User, indices)}
}

// memoMayRead answers, once per index, whether the user may get documents
// of it.
func memoMayRead(az Authorizer, base authz.Request) func(index string) bool {
	seen := map[string]bool{}
	return func(index string) bool {
		ok, done := seen[index]
		if !done {
			ok = readRefusal(az, base, []string{index}) == nil
			seen[index] = ok
		}
		return ok
	}
}

// bulkUpdateReadRefusal refuses a _bulk update item that reads the document
// when the user may not read its index. Only then is the item of a spooled
// bulk read back from disk (its Meta and Source are not kept in memory).
func bulkUpdateReadRefusal(st *requestState, pos int, it esbody.BulkItem, index string, mayRead func(string) bool) *itemRefusal {
	if mayRead(index) {
		return nil
	}
	it, ref := spooledItem(st, pos, it)
	if ref != nil {
		return ref
	}
	if !bulkUpdateReads(st.Class, it) {
		return nil
	}
	return &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf(
		"action [%s] is unauthorized for user [%s] on indices [%s]: the update reads the document (_source asked back, or a script), which needs the read privilege on the index",
		actionUpdate, st.Principal.Username, index)}
}
