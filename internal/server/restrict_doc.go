package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// planGet enforces DLS and FLS on GET/HEAD of one document or its source:
// under DLS, a document the role queries hide answers exactly as a
// missing one; under FLS, the answer is filtered.
func (rr *restrictedRequest) planGet() (*restrictionPlan, error) {
	index, err := rr.singleIndex()
	if err != nil {
		return nil, err
	}
	id := rr.st.Class.PathParams["id"]
	source := isSourceEndpoint(rr.st.Class.Endpoint)
	plan := &restrictionPlan{}
	if rr.dls {
		check, err := rr.visibilityCheck(index, id)
		if err != nil {
			return nil, err
		}
		plan.answer = func(w http.ResponseWriter, r *http.Request) bool {
			visible, err := check(r)
			if err != nil {
				rr.st.Log.Error("document visibility check failed", zap.Error(err))
				eserr.Security(http.StatusServiceUnavailable, "the security proxy could not check the document's visibility").Write(w)
				return true
			}
			if visible {
				return false
			}
			writeMissingDocument(w, r, index, id, source)
			return true
		}
	}
	if rr.fls && rr.r.Method != http.MethodHead {
		f, err := rr.docFilter(source)
		if err != nil {
			return nil, err
		}
		plan.filter = f
	}
	return plan, nil
}

// planDelete refuses, under DLS, the deletion of a document the user
// cannot see (missing or hidden alike, so the answer reveals nothing).
func (rr *restrictedRequest) planDelete() (*restrictionPlan, error) {
	if !rr.dls {
		return &restrictionPlan{}, nil
	}
	index, err := rr.singleIndex()
	if err != nil {
		return nil, err
	}
	id := rr.st.Class.PathParams["id"]
	check, err := rr.visibilityCheck(index, id)
	if err != nil {
		return nil, err
	}
	return &restrictionPlan{answer: func(w http.ResponseWriter, r *http.Request) bool {
		visible, err := check(r)
		if err != nil {
			rr.st.Log.Error("document visibility check failed", zap.Error(err))
			eserr.Security(http.StatusServiceUnavailable, "the security proxy could not check the document's visibility").Write(w)
			return true
		}
		if !visible {
			eserr.Security(http.StatusForbidden, fmt.Sprintf("action [%s] is unauthorized for user [%s]: document [%s] of index [%s] is not visible under document level security",
				rr.st.Action, rr.st.Principal.Username, id, index)).Write(w)
		}
		return !visible
	}}, nil
}

// singleIndex is the one concrete index a document API reaches.
func (rr *restrictedRequest) singleIndex() (string, error) {
	if len(rr.d.Access) != 1 {
		return "", rr.unsupported(fmt.Sprintf("a document request must reach exactly one index, it reaches %d", len(rr.d.Access)))
	}
	return rr.d.Access[0].Index, nil
}

// visibilityCheck returns a function asking the cluster whether document
// id of index matches the index's DLS filter: a search for that id under
// the filter. The filter is built now (during planning) so that a role
// query that cannot be applied refuses the request before it is audited
// as granted.
func (rr *restrictedRequest) visibilityCheck(index, id string) (func(*http.Request) (bool, error), error) {
	filter, err := rr.dlsFilter([]string{index})
	if err != nil {
		return nil, err
	}
	body, err := visibilityQuery(id, filter)
	if err != nil {
		return nil, err
	}
	q := url.Values{"filter_path": {"hits.total.value"}}
	if routing := rr.st.Class.Params.Values["routing"]; routing != "" {
		q.Set("routing", routing)
	}
	path := "/" + url.PathEscape(index) + "/_search?" + q.Encode()
	return func(r *http.Request) (bool, error) {
		resp, err := rr.rs.Cluster.Send(r.Context(), http.MethodPost, path, body)
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return false, err
		}
		if resp.StatusCode == http.StatusNotFound {
			return false, nil
		}
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("visibility search answered %d: %.200s", resp.StatusCode, raw)
		}
		var out struct {
			Hits struct {
				Total struct {
					Value *int `json:"value"`
				} `json:"total"`
			} `json:"hits"`
		}
		if err := json.Unmarshal(raw, &out); err != nil || out.Hits.Total.Value == nil {
			return false, fmt.Errorf("visibility search: unexpected answer %.200s", raw)
		}
		return *out.Hits.Total.Value > 0, nil
	}, nil
}

// visibilityQuery is {"size":0,"track_total_hits":true,"query":{"bool":
// {"filter":[{"ids":{"values":[id]}}, filter]}}}.
func visibilityQuery(id string, filter esbody.Value) ([]byte, error) {
	ids := &esbody.Object{}
	ids.Set("values", esbody.Array{esbody.String(id)})
	idsQ := &esbody.Object{}
	idsQ.Set("ids", ids)
	boolQ := &esbody.Object{}
	boolQ.Set("filter", esbody.Array{idsQ, filter})
	query := &esbody.Object{}
	query.Set("bool", boolQ)
	body := &esbody.Object{}
	body.Set("size", esbody.Number("0"))
	body.Set("track_total_hits", esbody.Bool(true))
	body.Set("query", query)
	return esbody.Encode(body)
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
