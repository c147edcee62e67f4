package server

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
)

// memoDecideItem is decideItem remembered per (action, index) for the
// items of one _bulk: the decision depends on nothing else, and a bulk of
// 200k items then costs as many role evaluations as it has distinct
// targets, and its refused items share one reason string.
func memoDecideItem(az Authorizer, base authz.Request, st *requestState) func(action, index string) ([]authz.IndexAccess, *itemRefusal) {
	type decided struct {
		access []authz.IndexAccess
		ref    *itemRefusal
	}
	memo := map[[2]string]decided{}
	return func(action, index string) ([]authz.IndexAccess, *itemRefusal) {
		key := [2]string{action, index}
		if d, ok := memo[key]; ok {
			return d.access, d.ref
		}
		access, ref := decideItem(az, base, st, action, index)
		memo[key] = decided{access, ref}
		return access, ref
	}
}

// checkRestrictedBulkItem enforces DLS/FLS on item pos; for a spooled
// body it first reads the document back from the spool (write-side DLS
// needs it), so that only one document is in memory at a time.
func checkRestrictedBulkItem(r *http.Request, st *requestState, pos int, it esbody.BulkItem, index string, access []authz.IndexAccess) *itemRefusal {
	if it.Source == nil && (it.Op == "index" || it.Op == "create") {
		var ref *itemRefusal
		if it, ref = spooledItem(st, pos, it); ref != nil {
			return ref
		}
	}
	return st.restrictions.checkBulkItem(r, st, it, index, access)
}

// spooledItem returns item pos with its Meta and Source, which a spooled
// bulk keeps only on disk (an item in memory is returned as it is).
func spooledItem(st *requestState, pos int, it esbody.BulkItem) (esbody.BulkItem, *itemRefusal) {
	sb := st.Body.spooled
	if sb == nil || it.Meta != nil {
		return it, nil
	}
	full, err := sb.withSource(pos, it)
	if err != nil {
		st.Log().Error("cannot read a bulk item back from the spool", zap.Error(err))
		return it, &itemRefusal{status: http.StatusServiceUnavailable, reason: "the security proxy could not read the bulk item back from its spool"}
	}
	return full, nil
}

// distinctDecisions keeps the first decision of each (index, action,
// outcome), in order: bulkAudits depends on nothing else, so a bulk of
// 200k items keeps a handful of decisions instead of 200k.
type distinctDecisions struct {
	seen map[bulkDecision]bool
	list []bulkDecision
}

func (d *distinctDecisions) add(x bulkDecision) {
	if d.seen == nil {
		d.seen = map[bulkDecision]bool{}
	}
	if !d.seen[x] {
		d.seen[x] = true
		d.list = append(d.list, x)
	}
}
