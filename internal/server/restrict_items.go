package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"

	"github.com/go-json-experiment/json/jsontext"
	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
)

// addItemAccess records the DLS/FLS of one item of a composite request.
func (st *requestState) addItemAccess(access []authz.IndexAccess) {
	for _, a := range access {
		if !slices.ContainsFunc(st.itemAccess, func(b authz.IndexAccess) bool { return b.Index == a.Index }) {
			st.itemAccess = append(st.itemAccess, a)
		}
	}
}

// itemRequest is a restrictedRequest for one item of a composite request.
func (rs *Restrictions) itemRequest(r *http.Request, st *requestState, access []authz.IndexAccess) *restrictedRequest {
	saved := st.Restricted
	st.Restricted = &authz.Decision{Allowed: true, Access: access}
	rr := newRestrictedRequest(rs, st, r)
	st.Restricted = saved
	return rr
}

// checkBulkItem enforces DLS/FLS on one _bulk item, as Elasticsearch does
// for updates (a per-item 400) and beyond it for other writes: a document
// indexed or created must match the role query (write-side DLS), a
// document deleted must be visible.
func (rs *Restrictions) checkBulkItem(r *http.Request, st *requestState, it esbody.BulkItem, index string, access []authz.IndexAccess) *itemRefusal {
	st.addItemAccess(access)
	rr := rs.itemRequest(r, st, access)
	switch it.Op {
	case "update":
		return &itemRefusal{status: http.StatusBadRequest, reason: reasonBulkUpdateDLSFLS}
	case "index", "create":
		if !rr.dls || !rs.WriteDLS {
			return nil
		}
		if err := rr.checkWrite(access[0].Index, it.ID, it.Source); err != nil {
			return itemRefusalOf(err)
		}
	case "delete":
		if !rr.dls {
			return nil
		}
		visible, err := rr.visibleIDs(r, access[0].Index, []string{it.ID}, it.Routing)
		if err != nil {
			st.Log().Error("document visibility check failed", zap.Error(err))
			return &itemRefusal{status: http.StatusServiceUnavailable, reason: "the security proxy could not check the document's visibility"}
		}
		if !visible[it.ID] {
			return &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf("action [%s] is unauthorized for user [%s]: document [%s] of index [%s] is not visible under document level security",
				bulkItemAction(it), st.Principal.Username, it.ID, index)}
		}
	}
	return nil
}

// restrictMsearchItem rewrites one _msearch item under DLS/FLS like a
// search; what cannot be made safe refuses the item.
func (rs *Restrictions) restrictMsearchItem(r *http.Request, st *requestState, it *esbody.MsearchItem, d authz.Decision) *itemRefusal {
	if st.Action == "indices:data/read/msearch/template" {
		return itemRefusalOf(dls.RefuseSearchTemplate())
	}
	st.addItemAccess(d.Access)
	rr := rs.itemRequest(r, st, d.Access)
	body := it.Body
	if body == nil {
		body = &esbody.Object{}
	} else {
		body = body.Clone()
	}
	body, err := rr.restrictSearchBody(dls.Search, body)
	if err != nil {
		return itemRefusalOf(err)
	}
	it.Body = body
	return nil
}

func itemRefusalOf(err error) *itemRefusal {
	var e interface{ ESError() *eserr.Error }
	if errors.As(err, &e) {
		ee := e.ESError()
		return &itemRefusal{status: ee.Status, reason: ee.Reason}
	}
	return &itemRefusal{status: http.StatusForbidden, reason: "document- or field-level security cannot be enforced on this item"}
}

// planMsearch filters the answers of searches whose items were rewritten
// one by one (restrictMsearchItem).
func (rr *restrictedRequest) planMsearch() (*restrictionPlan, error) {
	if !rr.fls {
		return &restrictionPlan{}, nil
	}
	f, err := rr.searchFilter()
	if err != nil {
		return nil, err
	}
	return &restrictionPlan{filter: f}, nil
}

// mgetKey names one requested document.
type mgetKey struct{ index, id string }

// planMget enforces DLS and FLS on _mget: documents the role queries hide
// answer as missing ones ("found":false), visible ones are FLS-filtered.
// Visibility is asked of the cluster (one search per index) after the
// audit record, just before the _mget is forwarded.
func (rr *restrictedRequest) planMget() (*restrictionPlan, error) {
	pb := rr.st.Body
	def, hasDef := defaultIndex(rr.st)
	byIndex := map[string][]string{}
	for _, doc := range pb.mget {
		idx := doc.Index
		if idx == "" && hasDef {
			idx = def
		}
		byIndex[idx] = append(byIndex[idx], doc.ID)
	}
	for _, id := range pb.mgetIDs {
		byIndex[def] = append(byIndex[def], id)
	}
	// The response names concrete indices; the request may name aliases.
	concrete := map[string]string{}
	for name := range byIndex {
		if a, ok := rr.access[name]; ok {
			concrete[name] = a.Index
		} else if len(rr.d.Access) == 1 {
			concrete[name] = rr.d.Access[0].Index
		}
	}
	var docFilter *fls.Filter
	if rr.fls {
		vs, err := rr.views()
		if err != nil {
			return nil, err
		}
		docFilter = &fls.Filter{Policy: vs}
	}
	hidden := map[mgetKey]bool{}
	plan := &restrictionPlan{}
	if rr.dls {
		for name := range byIndex {
			if _, ok := concrete[name]; !ok {
				return nil, rr.unsupported(fmt.Sprintf("cannot tell which index [%s] of the _mget request reaches", name))
			}
		}
		plan.answer = func(w http.ResponseWriter, r *http.Request) bool {
			for name, ids := range byIndex {
				ix := concrete[name]
				if len(rr.access[ix].Queries) == 0 {
					continue
				}
				visible, err := rr.visibleIDs(r, ix, ids, "")
				if err != nil {
					rr.st.Log().Error("document visibility check failed", zap.Error(err))
					eserr.Security(http.StatusServiceUnavailable, "the security proxy could not check the documents' visibility").Write(w)
					return true
				}
				for _, id := range ids {
					if !visible[id] {
						hidden[mgetKey{ix, id}] = true
					}
				}
			}
			return false
		}
	}
	plan.filter = func(dst io.Writer, src io.Reader) error {
		return filterMget(dst, src, hidden, docFilter)
	}
	return plan, nil
}

// filterMget streams an _mget answer: each element of docs[] is read on
// its own (memory bounded by one document), answered as missing when
// hidden, FLS-filtered otherwise.
func filterMget(dst io.Writer, src io.Reader, hidden map[mgetKey]bool, f *fls.Filter) error {
	dec := jsontext.NewDecoder(src)
	enc := jsontext.NewEncoder(dst)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return fmt.Errorf("mget response: not an object")
	}
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if err := enc.WriteToken(name); err != nil {
			return err
		}
		if name.String() != "docs" || dec.PeekKind() != '[' {
			v, err := dec.ReadValue()
			if err != nil {
				return err
			}
			if err := enc.WriteValue(v); err != nil {
				return err
			}
			continue
		}
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		if err := enc.WriteToken(jsontext.BeginArray); err != nil {
			return err
		}
		for dec.PeekKind() != ']' {
			v, err := dec.ReadValue()
			if err != nil {
				return err
			}
			out, err := filterMgetDoc(v, hidden, f)
			if err != nil {
				return err
			}
			if err := enc.WriteValue(out); err != nil {
				return err
			}
		}
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		if err := enc.WriteToken(jsontext.EndArray); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	return enc.WriteToken(jsontext.EndObject)
}

func filterMgetDoc(v jsontext.Value, hidden map[mgetKey]bool, f *fls.Filter) (jsontext.Value, error) {
	var head struct {
		Index string `json:"_index"`
		ID    string `json:"_id"`
		Error any    `json:"error"`
	}
	if err := json.Unmarshal(v, &head); err != nil {
		return nil, fmt.Errorf("mget response document: %w", err)
	}
	if head.Error != nil {
		return v, nil
	}
	if hidden[mgetKey{head.Index, head.ID}] {
		b, _ := json.Marshal(struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
			Found bool   `json:"found"`
		}{head.Index, head.ID, false})
		return b, nil
	}
	if f == nil {
		return v, nil
	}
	var out bytes.Buffer
	if err := f.Apply(&out, bytes.NewReader(v), fls.KindDocument, 200, ""); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(out.Bytes()), nil
}

// visibleIDs asks the cluster which of ids in index match the index's
// DLS filter.
func (rr *restrictedRequest) visibleIDs(r *http.Request, index string, ids []string, routing string) (map[string]bool, error) {
	filter, err := rr.dlsFilter([]string{index})
	if err != nil {
		return nil, err
	}
	values := make(esbody.Array, len(ids))
	for i, id := range ids {
		values[i] = esbody.String(id)
	}
	idsBody := &esbody.Object{}
	idsBody.Set("values", values)
	idsQ := &esbody.Object{}
	idsQ.Set("ids", idsBody)
	boolQ := &esbody.Object{}
	boolQ.Set("filter", esbody.Array{idsQ, filter})
	query := &esbody.Object{}
	query.Set("bool", boolQ)
	body := &esbody.Object{}
	body.Set("size", esbody.Number(fmt.Sprint(len(ids))))
	body.Set("_source", esbody.Bool(false))
	body.Set("query", query)
	raw, err := esbody.Encode(body)
	if err != nil {
		return nil, err
	}
	q := url.Values{"filter_path": {"hits.hits._id"}}
	if routing != "" {
		q.Set("routing", routing)
	}
	resp, err := rr.rs.Cluster.Send(r.Context(), http.MethodPost, "/"+url.PathEscape(index)+"/_search?"+q.Encode(), raw)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotFound {
		return map[string]bool{}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("visibility search answered %d: %.200s", resp.StatusCode, data)
	}
	var out struct {
		Hits struct {
			Hits []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("visibility search: %w", err)
	}
	visible := make(map[string]bool, len(out.Hits.Hits))
	for _, h := range out.Hits.Hits {
		visible[h.ID] = true
	}
	return visible, nil
}
