package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
)

// planIndexWrite applies write-side DLS (beyond Elasticsearch): a document
// indexed or created through a role with DLS must match that role's query,
// so a user cannot plant documents other users' queries would show them,
// nor write documents they could no longer read. Field-level security
// does not restrict writes, as in Elasticsearch.
func (rr *restrictedRequest) planIndexWrite() (*restrictionPlan, error) {
	if !rr.dls || !rr.rs.WriteDLS {
		return &restrictionPlan{}, nil
	}
	index, err := rr.singleIndex()
	if err != nil {
		return nil, err
	}
	if _, ok := rr.st.Class.Params.Values["pipeline"]; ok {
		return nil, rr.unsupported("an ingest pipeline could change the document after the document level security check")
	}
	doc, err := rr.bodyObject()
	if err != nil {
		return nil, err
	}
	id := rr.st.Class.PathParams["id"]
	if err := rr.checkWrite(index, id, doc); err != nil {
		return nil, err
	}
	if id == "" {
		return &restrictionPlan{}, nil // a new document: it replaces nothing
	}
	if containsSegment(rr.st.Class.Endpoint, "_create") || rr.st.Class.Params.Values["op_type"] == "create" {
		return rr.planCreate(index, id), nil
	}
	return rr.planReplace(index, id)
}

// planCreate refuses, under DLS, a create whose _id is taken by a document
// the caller cannot see, as planReplace refuses replacing it: the cluster
// would answer version_conflict_engine_exception quoting the hidden
// document's current version ("document already exists (current version
// [N])"). A create over a visible document, or of a new one, goes on.
func (rr *restrictedRequest) planCreate(index, id string) *restrictionPlan {
	params := rr.st.Class.Params.Values
	name := rr.pathIndexName()
	answer := func(w http.ResponseWriter, r *http.Request) bool {
		ref, err := rr.docRefOf(r, name, index, id, params["routing"])
		var exists, visible bool
		if err == nil {
			exists, visible, _, err = rr.latestVisible(r, index, ref)
		}
		switch {
		case err != nil:
			rr.st.Log().Error("document visibility check failed", zap.Error(err))
			eserr.Security(http.StatusServiceUnavailable, "the security proxy could not check the document's visibility").Write(w)
			return true
		case exists && !visible:
			eserr.Security(http.StatusForbidden, fmt.Sprintf("action [%s] is unauthorized for user [%s]: document [%s] of index [%s] is not visible under document level security",
				rr.st.Action, rr.st.Principal.Username, id, index)).Write(w)
			return true
		}
		return false
	}
	return &restrictionPlan{answer: answer}
}

// planReplace refuses, under DLS, an index operation that would replace a
// document the caller cannot see: it would destroy a hidden document (a
// DELETE of it is refused) and tell from "updated" that it existed. The
// write is pinned to what the check found: if_seq_no/if_primary_term of
// the visible document it replaces, or op_type=create when there was none.
// version and version_type cannot be combined with the pin: refused.
func (rr *restrictedRequest) planReplace(index, id string) (*restrictionPlan, error) {
	if err := rr.refusePinnedReadParams("version", "version_type"); err != nil {
		return nil, err
	}
	params := rr.st.Class.Params.Values
	name := rr.pathIndexName()
	answer := func(w http.ResponseWriter, r *http.Request) bool {
		ref, err := rr.docRefOf(r, name, index, id, params["routing"])
		var exists, visible bool
		var pin docPin
		if err == nil {
			exists, visible, pin, err = rr.latestVisible(r, index, ref)
		}
		hidden := exists && !visible
		if err != nil {
			rr.st.Log().Error("document visibility check failed", zap.Error(err))
			eserr.Security(http.StatusServiceUnavailable, "the security proxy could not check the document's visibility").Write(w)
			return true
		}
		seqNo, primaryTerm := strconv.FormatInt(pin.seqNo, 10), strconv.FormatInt(pin.primaryTerm, 10)
		if v, ok := params["if_seq_no"]; ok && exists && v != seqNo {
			hidden = true
		}
		if v, ok := params["if_primary_term"]; ok && exists && v != primaryTerm {
			hidden = true
		}
		switch {
		case hidden:
			eserr.Security(http.StatusForbidden, fmt.Sprintf("action [%s] is unauthorized for user [%s]: document [%s] of index [%s] is not visible under document level security",
				rr.st.Action, rr.st.Principal.Username, id, index)).Write(w)
			return true
		case exists:
			setRawParams(r, "if_seq_no", seqNo, "if_primary_term", primaryTerm)
		case !hasParam(params, "if_seq_no", "if_primary_term"):
			setRawParams(r, "op_type", "create")
		}
		return false
	}
	return &restrictionPlan{answer: answer}, nil
}

func hasParam(params map[string]string, names ...string) bool {
	for _, n := range names {
		if _, ok := params[n]; ok {
			return true
		}
	}
	return false
}

// checkWrite refuses a document that the index's role queries would hide.
func (rr *restrictedRequest) checkWrite(index, id string, doc *esbody.Object) error {
	a, ok := rr.access[index]
	if !ok || len(a.Queries) == 0 {
		return nil
	}
	queries, err := rr.rs.Queries.Queries(a.Queries, dlsUser(rr.st.Principal))
	if err != nil {
		return err
	}
	match, err := dls.MatchesAny(queries, id, doc)
	switch {
	case errors.Is(err, dls.ErrUnsupported):
		return rr.unsupported("the role's document level security query cannot be checked on written documents by the security proxy")
	case err != nil:
		return err
	case !match:
		return eserr.Security(http.StatusForbidden, fmt.Sprintf("action [%s] is unauthorized for user [%s] on index [%s]: the document does not match the document level security query of the user's roles",
			rr.st.Action, rr.st.Principal.Username, index))
	}
	return nil
}
