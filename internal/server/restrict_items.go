package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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
	if it.Op == "update" {
		st.addItemAccess(access)
		return &itemRefusal{status: http.StatusBadRequest, reason: reasonBulkUpdateDLSFLS}
	}
	written, ref := writtenAccess(st, it, index, access)
	if ref != nil {
		st.addItemAccess(access)
		return ref
	}
	access = []authz.IndexAccess{written}
	st.addItemAccess(access)
	rr := rs.itemRequest(r, st, access)
	switch it.Op {
	case "index", "create":
		if !rr.dls || !rs.WriteDLS {
			return nil
		}
		if err := rr.checkWrite(access[0].Index, it.ID, it.Source); err != nil {
			return itemRefusalOf(err)
		}
		if it.ID == "" {
			return nil
		}
		// An index item with an _id replaces the document there: it
		// must be one the caller can see (see planReplace). A create item
		// over a hidden document is refused the same way: the cluster's
		// conflict would quote the hidden document's version (planCreate).
		routing := it.Routing
		if routing == "" {
			routing = st.Class.Params.Values["routing"]
		}
		ref, err := rr.docRefOf(r, index, access[0].Index, it.ID, routing)
		var exists, visible bool
		if err == nil {
			exists, visible, _, err = rr.latestVisible(r, access[0].Index, ref)
		}
		if err != nil {
			st.Log().Error("document visibility check failed", zap.Error(err))
			return &itemRefusal{status: http.StatusServiceUnavailable, reason: "the security proxy could not check the document's visibility"}
		}
		if exists && !visible {
			return &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf("action [%s] is unauthorized for user [%s]: document [%s] of index [%s] is not visible under document level security",
				bulkItemAction(it), st.Principal.Username, it.ID, index)}
		}
	case "delete":
		if !rr.dls {
			return nil
		}
		routing := it.Routing
		if routing == "" {
			routing = st.Class.Params.Values["routing"] // the _bulk default
		}
		// Judged on the latest version (a real-time GET): a bulk item
		// cannot be pinned to the version a search found, like a DELETE.
		ref, err := rr.docRefOf(r, index, access[0].Index, it.ID, routing)
		var visible bool
		if err == nil {
			_, visible, _, err = rr.latestVisible(r, access[0].Index, ref)
		}
		if err != nil {
			st.Log().Error("document visibility check failed", zap.Error(err))
			return &itemRefusal{status: http.StatusServiceUnavailable, reason: "the security proxy could not check the document's visibility"}
		}
		if !visible {
			return &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf("action [%s] is unauthorized for user [%s]: document [%s] of index [%s] is not visible under document level security",
				bulkItemAction(it), st.Principal.Username, it.ID, index)}
		}
	}
	return nil
}

// writtenAccess is, among the accesses a _bulk item's index name reaches,
// that of the index the cluster writes the item to: an alias's write
// index, not the first of its indices (the write-side DLS checks must read
// that index's documents and apply its role queries). An item whose target
// cannot be told is refused, as a single-document write reaching several
// indices is.
func writtenAccess(st *requestState, it esbody.BulkItem, name string, access []authz.IndexAccess) (authz.IndexAccess, *itemRefusal) {
	if target, ok := st.snapshot.WriteTarget(name); ok {
		for _, a := range access {
			if a.Index == target {
				return a, nil
			}
		}
	} else if len(access) == 1 {
		return access[0], nil // a name the cluster does not have yet
	}
	return authz.IndexAccess{}, &itemRefusal{status: http.StatusForbidden, reason: fmt.Sprintf(
		"action [%s] is unauthorized for user [%s] on indices [%s]: a document request must reach exactly one index, the security proxy cannot tell which of %d the cluster writes to",
		bulkItemAction(it), st.Principal.Username, name, len(access))}
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

// mgetKey names one document of an _mget answer: its concrete index, _id
// and routing ("" when it has none).
type mgetKey struct{ index, id, routing string }

// planMget enforces DLS and FLS on _mget: documents the role queries hide
// answer as missing ones ("found":false), visible ones are FLS-filtered.
// Visibility is asked of the cluster (one search per index, for each
// document's exact _id and routing) after the audit record, just before
// the _mget is forwarded, with realtime=false; each document that comes
// back must then be the version the check found visible (same routing,
// _seq_no and _primary_term), or it answers as missing: a copy of the _id
// on another shard or a version written since is never returned.
func (rr *restrictedRequest) planMget() (*restrictionPlan, error) {
	pb := rr.st.Body
	def, hasDef := defaultIndex(rr.st)
	defRouting := rr.st.Class.Params.Values["routing"]
	byIndex := map[string][]docRef{}
	for _, doc := range pb.mget {
		idx := doc.Index
		if idx == "" && hasDef {
			idx = def
		}
		routing := doc.Routing
		if routing == "" {
			routing = defRouting
		}
		byIndex[idx] = append(byIndex[idx], docRef{id: doc.ID, routing: routing})
	}
	for _, id := range pb.mgetIDs {
		byIndex[def] = append(byIndex[def], docRef{id: id, routing: defRouting})
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
	var pins *mgetPins
	plan := &restrictionPlan{}
	if rr.dls {
		for name := range byIndex {
			if _, ok := concrete[name]; !ok {
				return nil, rr.unsupported(fmt.Sprintf("cannot tell which index [%s] of the _mget request reaches", name))
			}
		}
		if err := rr.refusePinnedReadParams("refresh"); err != nil {
			return nil, err
		}
		setRawParams(rr.r, "realtime", "false")
		rr.st.Class.Params.Values["realtime"] = "false"
		pins = &mgetPins{restricted: map[string]bool{}, visible: map[mgetKey]docPin{}}
		for _, a := range rr.d.Access {
			if len(a.Queries) > 0 {
				pins.restricted[a.Index] = true
			}
		}
		if err := mgetVersionRefusal(pb.mget, def, hasDef, concrete, pins.restricted); err != nil {
			return nil, err
		}
		plan.answer = func(w http.ResponseWriter, r *http.Request) bool {
			for name, refs := range byIndex {
				ix := concrete[name]
				if !pins.restricted[ix] {
					continue
				}
				visible, err := rr.visibleDocs(r, ix, refs)
				if err != nil {
					rr.st.Log().Error("document visibility check failed", zap.Error(err))
					eserr.Security(http.StatusServiceUnavailable, "the security proxy could not check the documents' visibility").Write(w)
					return true
				}
				for ref, pin := range visible {
					pins.visible[mgetKey{ix, ref.id, ref.routing}] = pin
				}
			}
			return false
		}
	}
	plan.filter = func(dst io.Writer, src io.Reader) error {
		return filterMget(dst, src, pins, docFilter)
	}
	return plan, nil
}

// mgetVersionRefusal refuses, under DLS, a document of an _mget on an
// index with a role query that sets version or version_type: the cluster
// checks the version of the stored document whether or not the role query
// hides it, and answers a version_conflict_engine_exception item quoting
// its current version where a hidden document must read as missing. The
// same parameters of a single-document read are refused
// (refusePinnedReadParams).
func mgetVersionRefusal(docs []esbody.MgetDoc, def string, hasDef bool, concrete map[string]string, restricted map[string]bool) error {
	for _, doc := range docs {
		idx := doc.Index
		if idx == "" && hasDef {
			idx = def
		}
		if !restricted[concrete[idx]] || doc.Raw == nil {
			continue
		}
		for _, n := range []string{"version", "version_type"} {
			if doc.Raw.Has(n) {
				return &eserr.Error{Status: http.StatusBadRequest, Type: "security_exception",
					Reason: fmt.Sprintf("[%s] is not supported by the security proxy on document reads if document level security is enabled", n)}
			}
		}
	}
	return nil
}

// mgetPins is what the visibility checks of an _mget found: the indices
// under DLS, and the version of each visible document of those.
type mgetPins struct {
	restricted map[string]bool
	visible    map[mgetKey]docPin
}

// hides reports whether a document of the answer must answer as missing:
// it is of an index under DLS and is not the version found visible.
func (p *mgetPins) hides(index, id string, routing *string, seqNo, primaryTerm *int64) bool {
	if p == nil || !p.restricted[index] {
		return false
	}
	key := mgetKey{index: index, id: id}
	if routing != nil {
		key.routing = *routing
	}
	pin, ok := p.visible[key]
	return !ok || seqNo == nil || primaryTerm == nil || *seqNo != pin.seqNo || *primaryTerm != pin.primaryTerm
}

// filterMget streams an _mget answer: each element of docs[] is read on
// its own (memory bounded by one document), answered as missing when
// hidden, FLS-filtered otherwise.
func filterMget(dst io.Writer, src io.Reader, pins *mgetPins, f *fls.Filter) error {
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
			out, err := filterMgetDoc(v, pins, f)
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

func filterMgetDoc(v jsontext.Value, pins *mgetPins, f *fls.Filter) (jsontext.Value, error) {
	var head struct {
		Index       string  `json:"_index"`
		Type        string  `json:"_type"`
		ID          string  `json:"_id"`
		Error       any     `json:"error"`
		Found       bool    `json:"found"`
		Routing     *string `json:"_routing"`
		SeqNo       *int64  `json:"_seq_no"`
		PrimaryTerm *int64  `json:"_primary_term"`
	}
	if err := json.Unmarshal(v, &head); err != nil {
		return nil, fmt.Errorf("mget response document: %w", err)
	}
	if head.Error != nil {
		return v, nil
	}
	if head.Found && pins.hides(head.Index, head.ID, head.Routing, head.SeqNo, head.PrimaryTerm) {
		// As the cluster answers for a missing document: Elasticsearch
		// 7 names its _type, and an answer without it told the hidden
		// document from a missing one.
		b, _ := json.Marshal(struct {
			Index string `json:"_index"`
			Type  string `json:"_type,omitempty"`
			ID    string `json:"_id"`
			Found bool   `json:"found"`
		}{head.Index, head.Type, head.ID, false})
		return b, nil
	}
	if f == nil {
		return v, nil
	}
	var out bytes.Buffer
	if err := f.DocumentBytes(&out, v); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(out.Bytes()), nil
}
