package server

import (
	"fmt"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
	"net/http"
	"strings"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// Elasticsearch's refusals of writes under DLS/FLS (UpdateRequestInterceptor,
// BulkShardRequestInterceptor).
const (
	reasonUpdateUnderDLSFLS = "Can't execute an update request if field or document level security is enabled"
	reasonBulkUpdateDLSFLS  = "Can't execute a bulk item request with update requests embedded if field or document level security is enabled"
)

// plan decides how a request allowed under DLS/FLS is enforced, by its
// action. Actions not listed are refused: the proxy forwards nothing it
// cannot make safe.
func (rr *restrictedRequest) plan() (*restrictionPlan, error) {
	c := rr.st.Class
	if rr.fls && rr.r.URL.Query().Has("search_pipeline") {
		// A search pipeline runs in the cluster after the proxy: its
		// processors (rename_field, script, …) can move a hidden field's
		// value under a visible name or change the rewritten query. DLS
		// refuses it too (dls.CheckURL).
		return nil, &eserr.Error{Status: http.StatusBadRequest, Type: "security_exception",
			Reason: "[search_pipeline] is not supported by the proxy if field level security is enabled"}
	}
	switch c.Action {
	case "indices:data/read/search", "indices:data/read/explain", "indices:admin/validate/query",
		"indices:data/write/delete/byquery":
		return rr.planSearch()
	case "indices:data/read/async_search/submit":
		return rr.planSearch()
	case "indices:data/read/scroll", "indices:data/read/async_search/get":
		return rr.planFieldFiltered(fls.KindSearch) // DLS is in the query the cursor runs
	case "cluster:monitor/async_search/status", "indices:data/read/async_search/delete",
		"indices:data/read/point_in_time/create", "indices:data/read/open_point_in_time":
		// A point in time holds no data of its own: the searches on it
		// get the DLS/FLS of its indices (withCursorResolution).
		return &restrictionPlan{}, nil
	case "indices:data/read/get":
		return rr.planGet()
	case "indices:data/read/mget":
		return rr.planMget()
	case "indices:data/read/msearch":
		return rr.planMsearch()
	case "indices:data/write/bulk":
		return &restrictionPlan{}, nil // items checked one by one (checkBulkItem)
	case "indices:data/read/tv":
		if rr.dls {
			return nil, rr.unsupported("term vectors reveal term statistics of hidden documents")
		}
		return rr.planFieldFiltered(filterTermVectors)
	case "indices:admin/mappings/get", "indices:admin/mappings/fields/get", "indices:admin/get":
		return rr.planFieldFiltered(filterMappings)
	case "indices:data/read/field_caps":
		return rr.planFieldCaps()
	case "indices:data/read/xpack/termsenum/list":
		return rr.planTermsEnum()
	case "indices:data/write/update":
		return nil, &eserr.Error{Status: http.StatusBadRequest, Type: "security_exception", Reason: reasonUpdateUnderDLSFLS}
	case "indices:data/write/index":
		return rr.planIndexWrite()
	case "indices:data/write/delete":
		return rr.planDelete()
	}
	return nil, rr.unsupported("the security proxy does not enforce document- or field-level security on this API")
}

// unsupported is the 403 for a request the proxy cannot make safe.
func (rr *restrictedRequest) unsupported(why string) error {
	return eserr.Security(http.StatusForbidden, fmt.Sprintf("action [%s] is unauthorized for user [%s] on indices [%s]: %s",
		rr.st.Action, rr.st.Principal.Username, strings.Join(filteredIndices(rr.d.Access), ","), why))
}
