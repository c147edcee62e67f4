package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// planGet enforces DLS and FLS on GET/HEAD of one document or its source:
// under DLS, a document the role queries hide answers exactly as a
// missing one, and the proxy makes the read itself, pinned to the version
// the visibility check found and checked to be it (restrict_pinread.go),
// so that neither another copy of the _id nor a hidden version (not yet
// refreshed, refreshed since the check, or written again under the same
// external version) can be returned; under FLS, the answer is filtered.
func (rr *restrictedRequest) planGet() (*restrictionPlan, error) {
	index, err := rr.singleIndex()
	if err != nil {
		return nil, err
	}
	id := rr.st.Class.PathParams["id"]
	source := isSourceEndpoint(rr.st.Class.Endpoint)
	plan := &restrictionPlan{}
	if rr.fls && rr.r.Method != http.MethodHead {
		if plan.filter, err = rr.docFilter(source); err != nil {
			return nil, err
		}
	}
	if rr.dls {
		if err := rr.refusePinnedReadParams(pinnedReadParams...); err != nil {
			return nil, err
		}
		if source {
			if err := refuseOtherSourceParams(rr.st.Class.Params.Values); err != nil {
				return nil, err
			}
		}
		var visible docPin
		check, err := rr.answerIfHidden(index, id, true, func(w http.ResponseWriter, r *http.Request) {
			writeMissingDocument(w, r, index, id, source)
		}, func(_ *http.Request, pin docPin) bool {
			visible = pin // read by pinnedReadAnswer (restrict_pinread.go)
			return true
		})
		if err != nil {
			return nil, err
		}
		if plan.filter == nil && rr.r.Method != http.MethodHead {
			// The answer is JSON the proxy writes: a format it cannot
			// honour is refused in planning, a filter_path applied.
			plan.filter = identityFilter
		}
		// The answer takes the plan's filter when it runs: planning may
		// still add the client's filter_path after it.
		plan.answer = rr.pinnedReadAnswer(index, id, source, &visible, check, func() bodyFilter { return plan.filter })
	}
	return plan, nil
}

// planDelete refuses, under DLS, the deletion of a document the user
// cannot see (missing or hidden alike, so the answer reveals nothing), and
// pins the delete to the latest version (read in real time) once it is
// found visible (if_seq_no and if_primary_term), so that it can remove
// neither a hidden copy of the _id on another shard nor a hidden version
// written since the last refresh. A client's own if_seq_no/if_primary_term must
// name that version; version and version_type (external versioning, which
// cannot be combined with the pin) are refused.
func (rr *restrictedRequest) planDelete() (*restrictionPlan, error) {
	if !rr.dls {
		return &restrictionPlan{}, nil
	}
	index, err := rr.singleIndex()
	if err != nil {
		return nil, err
	}
	if err := rr.refusePinnedReadParams("version", "version_type"); err != nil {
		return nil, err
	}
	id := rr.st.Class.PathParams["id"]
	params := rr.st.Class.Params.Values
	hidden := func(w http.ResponseWriter, _ *http.Request) {
		eserr.Security(http.StatusForbidden, fmt.Sprintf("action [%s] is unauthorized for user [%s]: document [%s] of index [%s] is not visible under document level security",
			rr.st.Action, rr.st.Principal.Username, id, index)).Write(w)
	}
	if _, err := rr.dlsFilter([]string{index}); err != nil {
		return nil, err
	}
	name := rr.pathIndexName()
	answer := func(w http.ResponseWriter, r *http.Request) bool {
		ref, err := rr.docRefOf(r, name, index, id, params["routing"])
		var exists, visible bool
		var pin docPin
		if err == nil {
			exists, visible, pin, err = rr.latestVisible(r, index, ref)
		}
		if err != nil {
			rr.st.Log().Error("document visibility check failed", zap.Error(err))
			eserr.Security(http.StatusServiceUnavailable, "the security proxy could not check the document's visibility").Write(w)
			return true
		}
		seqNo, primaryTerm := strconv.FormatInt(pin.seqNo, 10), strconv.FormatInt(pin.primaryTerm, 10)
		if v, ok := params["if_seq_no"]; ok && v != seqNo {
			visible = false
		}
		if v, ok := params["if_primary_term"]; ok && v != primaryTerm {
			visible = false
		}
		if !exists || !visible {
			hidden(w, r)
			return true
		}
		setRawParams(r, "if_seq_no", seqNo, "if_primary_term", primaryTerm)
		return false
	}
	return &restrictionPlan{answer: answer}, nil
}

// singleIndex is the one concrete index a document API reaches.
func (rr *restrictedRequest) singleIndex() (string, error) {
	if len(rr.d.Access) != 1 {
		return "", rr.unsupported(fmt.Sprintf("a document request must reach exactly one index, it reaches %d", len(rr.d.Access)))
	}
	return rr.d.Access[0].Index, nil
}

// answerIfHidden returns a plan answer that asks the cluster, just before
// forwarding, whether document id of index (with the request's routing,
// or, when aliasRouting, the index routing of the alias the path names:
// GET, HEAD and _source use it, _explain does not) matches the index's DLS
// filter, and answers with hidden when it does not
// (a failed check answers 503: fail closed). When it does, pin (if not
// nil) adapts the forwarded request to the version found; it returns false
// to answer with hidden after all. The filter is built now, during
// planning, so that a role query that cannot be applied refuses the
// request before it is audited as granted.
func (rr *restrictedRequest) answerIfHidden(index, id string, aliasRouting bool, hidden func(http.ResponseWriter, *http.Request), pin func(*http.Request, docPin) bool) (func(http.ResponseWriter, *http.Request) bool, error) {
	if _, err := rr.dlsFilter([]string{index}); err != nil {
		return nil, err
	}
	routing, routed := rr.st.Class.Params.Values["routing"]
	if routed && routing == "" {
		// A read keeps an empty routing and goes to the shard the empty
		// string routes to; writes drop it, so no document has it: what
		// the read finds there has another routing, which the check
		// cannot name. Answer as for a hidden document.
		return func(w http.ResponseWriter, r *http.Request) bool {
			hidden(w, r)
			return true
		}, nil
	}
	name := ""
	if aliasRouting {
		name = rr.pathIndexName()
	}
	return func(w http.ResponseWriter, r *http.Request) bool {
		ref, err := rr.docRefOf(r, name, index, id, routing)
		var visible map[docRef]docPin
		if err == nil {
			visible, err = rr.visibleDocs(r, index, []docRef{ref})
		}
		if err != nil {
			rr.st.Log().Error("document visibility check failed", zap.Error(err))
			eserr.Security(http.StatusServiceUnavailable, "the security proxy could not check the document's visibility").Write(w)
			return true
		}
		if p, ok := visible[ref]; ok && (pin == nil || pin(r, p)) {
			return false
		}
		hidden(w, r)
		return true
	}, nil
}

// writeMissingDocument answers as the cluster does for a missing document.
func writeMissingDocument(w http.ResponseWriter, r *http.Request, index, id string, source bool) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if source {
		(&eserr.Error{Status: http.StatusNotFound, Type: "resource_not_found_exception",
			Reason: fmt.Sprintf("Document not found [%s]/[_doc]/[%s]", index, id)}).Write(w)
		return
	}
	b, _ := json.Marshal(struct {
		Index string `json:"_index"`
		ID    string `json:"_id"`
		Found bool   `json:"found"`
	}{index, id, false})
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write(b)
}

func isSourceEndpoint(endpoint string) bool {
	return containsSegment(endpoint, "_source")
}

// containsSegment reports whether a route pattern has seg as one of its
// path segments.
func containsSegment(pattern, seg string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	for _, s := range strings.Split(path, "/") {
		if s == seg {
			return true
		}
	}
	return false
}
