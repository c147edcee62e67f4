package server

import (
	"context"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// A write to an index that does not exist makes the cluster create it
// (action.auto_create_index), and Elasticsearch authorizes that creation
// as indices:admin/auto_create on the name (granted by create_index,
// auto_configure, manage and all; not by write, index, create or
// create_doc: checklist 38). Behind the proxy the cluster creates any
// index it is asked to write to, so the proxy asks for auto_create itself
// when the name is not an index, alias or data stream of the cluster.
// Deletes create nothing, except with external versioning: the cluster then
// creates the index to keep the deleted version (TransportBulkAction
// auto-creates the indices of every item but internally versioned
// deletes), so a delete-only user would create indices by name.

// actionAutoCreate is Elasticsearch's automatic index creation.
const actionAutoCreate = "indices:admin/auto_create"

// freshEnough is how old a metadata snapshot may be for a name it lacks to
// count as missing without a refresh: an index another client created a
// moment ago must not make a write fail, and a client writing to missing
// names must not make the proxy fetch the cluster's metadata more often.
const freshEnough = 250 * time.Millisecond

// existence answers whether the cluster has a name, for one request, and
// remembers whether the request writes to a name the cluster lacks: after
// forwarding it, the proxy reads the metadata again (afterWrite), so that
// the next request of any user sees the index this one created.
type existence struct {
	ctx       context.Context
	md        MetadataSource
	snap      *authz.Metadata
	refreshed bool
	creates   bool
}

func newExistence(ctx context.Context, md MetadataSource, snap *authz.Metadata) *existence {
	return &existence{ctx: ctx, md: md, snap: snap}
}

// has reports whether name is an index, alias or data stream. Without
// metadata (no cluster to read it from: tests, offline explain) every name
// counts as existing, as explicit names are then judged by name alone.
func (e *existence) has(name string) bool {
	if e == nil || e.snap == nil {
		return true
	}
	if e.snap.Has(name) {
		return true
	}
	if !e.refreshed {
		e.refreshed = true
		if e.refresh() && e.snap.Has(name) {
			return true
		}
	}
	e.creates = true
	return false
}

// note records a write to name by a user whose writes are not checked
// (full access): it may create the index too.
func (e *existence) note(name string) {
	if e != nil && e.snap != nil && !e.snap.Has(name) {
		e.creates = true
	}
}

// afterWrite reads the cluster's metadata again when the request may have
// created an index (the cluster answered only once it had).
func (e *existence) afterWrite() {
	if e == nil || !e.creates {
		return
	}
	if rf, ok := e.md.(Refresher); ok {
		_ = rf.Refresh(e.ctx) // a failure keeps the previous snapshot
	}
}

// refresh fetches the metadata again, once per request, unless the
// snapshot at hand is recent; it reports whether the snapshot changed.
func (e *existence) refresh() bool {
	rf, ok := e.md.(Refresher)
	if !ok {
		return false
	}
	if fa, ok := e.md.(interface{ FetchedAt() time.Time }); ok && time.Since(fa.FetchedAt()) < freshEnough {
		return false
	}
	if err := rf.Refresh(e.ctx); err != nil {
		return false
	}
	e.snap = e.md.Snapshot()
	return e.snap != nil
}

// autoCreateRefusal decides indices:admin/auto_create on name when the
// cluster does not have it; nil when the write creates nothing or may.
func autoCreateRefusal(az Authorizer, base authz.Request, names *existence, name string) *itemRefusal {
	if names.has(name) {
		return nil
	}
	req := base
	req.Action, req.Indices, req.Options = actionAutoCreate, []string{name}, authz.IndicesOptions{}
	if d := az.Decide(req); !d.Allowed {
		return &itemRefusal{status: statusOr403(d.Status), reason: d.Reason}
	}
	return nil
}

// autoCreateAnywhere reports whether the user of base may create any index
// by writing to it (indices:admin/auto_create on every index).
func autoCreateAnywhere(az Authorizer, base authz.Request) bool {
	probe := base
	probe.Action = actionAutoCreate
	return fullAccess(az, probe)
}

// writesDocuments reports whether the request writes documents, which can
// create their index: single-document writes (deletes included, see
// deleteCreatesIndex), _bulk and _reindex.
func writesDocuments(c *esapi.Classification) bool {
	switch c.API {
	case "index", "create", "update", "delete", "bulk", "reindex":
		return true
	}
	return false
}

// deleteCreatesIndex reports whether a delete with this version_type
// (present: the parameter was given) makes the cluster create its index
// when missing: any versioning but the internal one does (external,
// external_gt, external_gte); a value the cluster would refuse is judged
// as creating.
func deleteCreatesIndex(versionType string, present bool) bool {
	return present && versionType != "internal"
}

// bulkItemCreates reports whether a _bulk item makes the cluster create its
// index when missing: every item but a delete without external
// versioning. Null metadata is the default, as the cluster reads it.
func bulkItemCreates(it esbody.BulkItem) bool {
	if it.Op != "delete" {
		return true
	}
	v, ok := it.Meta.Get("version_type")
	if _, null := v.(esbody.Null); !ok || null {
		return false
	}
	s, _ := v.(esbody.String)
	return deleteCreatesIndex(string(s), true)
}

// singleDocWriteIndex is the index a single-document write goes to (its
// date math resolved by the decision), or "" for other requests and for
// deletes that create nothing.
func singleDocWriteIndex(c *esapi.Classification, d authz.Decision) string {
	switch c.API {
	case "index", "create", "update":
	case "delete":
		if !deleteCreatesIndex(c.Params.Get("version_type")) {
			return ""
		}
	default:
		return ""
	}
	if len(d.Indices) == 1 {
		return d.Indices[0]
	}
	if len(c.Indices) == 1 {
		return c.Indices[0]
	}
	return ""
}

// noteBulk records the bulk items' indices for a user whose items are not
// decided one by one (full access): a new index among them is read back
// after forwarding, as for checked writes.
func (e *existence) noteBulk(c *esapi.Classification, pb *parsedBody) {
	if e == nil || pb == nil {
		return
	}
	anyPipeline := func() bool { return true } // a full-access user may name one
	for _, it := range pb.bulk {
		if !bulkItemCreates(it) {
			continue
		}
		if idx, ref := bulkItemIndex(c, it, anyPipeline); ref == nil {
			if e.note(idx); e.creates {
				return
			}
		}
	}
}
