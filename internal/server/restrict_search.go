package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/flsquery"
)

// planSearch rewrites a search-like request (search, count, explain,
// validate query, delete by query) so that the cluster runs it as if
// hidden documents and fields did not exist: the URL query moves into the
// body, hidden field references are neutralised (FLS), the query is
// wrapped with the per-index DLS filter; the response is filtered (FLS).
func (rr *restrictedRequest) planSearch() (*restrictionPlan, error) {
	kind := rr.searchKind()
	body, err := rr.bodyObject()
	if err != nil {
		return nil, err
	}
	values := rr.r.URL.Query()
	if err := rr.searchPipelineRefusal(kind); err != nil {
		return nil, err
	}
	if rr.dls {
		if err := dls.CheckURL(kind, values); err != nil {
			return nil, err
		}
	}
	body, consumed, err := dls.ApplyURLQuery(kind, body, values)
	if err != nil {
		return nil, err
	}
	rr.removeParams(consumed)
	if err := rr.moveURLSort(body); err != nil {
		return nil, err
	}
	if err := rr.moveURLSuggest(body, values); err != nil {
		return nil, err
	}
	rr.moveURLDocvalueFields(kind, body, values)
	if body, err = rr.restrictSearchBody(kind, body); err != nil {
		return nil, err
	}
	if err := rr.replaceBody(body); err != nil {
		return nil, err
	}
	plan := &restrictionPlan{}
	var pin *docPin
	if rr.dls && rr.st.Action == "indices:data/read/explain" {
		pin = &docPin{}
		if plan.answer, err = rr.explainVisibility(pin); err != nil {
			return nil, err
		}
	}
	if rr.fls {
		switch {
		case rr.st.Class.Route == "cat":
			// _cat/count answers a count (text, or JSON rows), no field:
			// a search filter would only fail on its shape.
		case rr.st.Action == "indices:data/read/search", rr.st.Action == "indices:data/read/async_search/submit":
			plan.filter, err = rr.searchFilter()
		case rr.st.Action == "indices:data/read/explain":
			plan.filter, err = rr.explainFilter()
		}
		if err != nil {
			return nil, err
		}
	}
	if pin != nil {
		plan.filter = pinnedExplain(pin, plan.filter)
	}
	return plan, nil
}

// pinnedExplain filters an _explain answer under DLS: its "get" part (the
// document, with _source= or stored_fields=) is read from the shard's
// searcher, which a refresh since the visibility check may have replaced;
// unless it is the version the check found visible (same _seq_no and
// _primary_term, and routing: sequence numbers are per shard) it is
// dropped. next, if not nil, filters the rest (FLS).
func pinnedExplain(pin *docPin, next bodyFilter) bodyFilter {
	return func(dst io.Writer, src io.Reader) error {
		var buf bytes.Buffer
		out := dst
		if next != nil {
			out = &buf
		}
		if err := dropUnpinnedGet(out, src, pin); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		return next(dst, &buf)
	}
}

func dropUnpinnedGet(dst io.Writer, src io.Reader, pin *docPin) error {
	dec := jsontext.NewDecoder(src)
	enc := jsontext.NewEncoder(dst)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return fmt.Errorf("explain response: not an object")
	}
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		name := tok.String() // before the next read voids tok
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if name == "get" {
			var got struct {
				Routing     *string `json:"_routing"`
				SeqNo       *int64  `json:"_seq_no"`
				PrimaryTerm *int64  `json:"_primary_term"`
			}
			if json.Unmarshal(v, &got) != nil || got.SeqNo == nil || got.PrimaryTerm == nil ||
				*got.SeqNo != pin.seqNo || *got.PrimaryTerm != pin.primaryTerm || deref(got.Routing) != pin.routing {
				continue
			}
		}
		if err := enc.WriteToken(jsontext.String(name)); err != nil {
			return err
		}
		if err := enc.WriteValue(v); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	return enc.WriteToken(jsontext.EndObject)
}

// restrictSearchBody neutralises hidden field references (FLS) and wraps
// the query with the per-index DLS filter.
func (rr *restrictedRequest) restrictSearchBody(kind dls.BodyKind, body *esbody.Object) (*esbody.Object, error) {
	var err error
	if rr.fls {
		if body, err = rr.rewriteFieldRefs(kind, body); err != nil {
			return nil, err
		}
	}
	if rr.dls {
		if err := dls.CheckExplanation(kind, body, rr.r.URL.Query()); err != nil {
			return nil, err
		}
		filter, err := rr.dlsFilter(rr.reachedIndices())
		if err != nil {
			return nil, err
		}
		if body, err = dls.Wrap(kind, body, filter); err != nil {
			return nil, err
		}
	}
	rr.withoutSearchPipeline(kind, body)
	return body, nil
}

// searchKind tells the dls package which body grammar applies.
func (rr *restrictedRequest) searchKind() dls.BodyKind {
	switch rr.st.Action {
	case "indices:data/read/explain":
		return dls.Explain
	case "indices:admin/validate/query":
		return dls.ValidateQuery
	case "indices:data/write/delete/byquery":
		return dls.DeleteByQuery
	}
	if containsSegment(rr.st.Class.Endpoint, "_count") {
		return dls.Count
	}
	if containsSegment(rr.st.Class.Endpoint, "_knn_search") {
		return dls.KnnSearch
	}
	return dls.Search
}

// reachedIndices are the concrete indices of the decision, sorted.
func (rr *restrictedRequest) reachedIndices() []string {
	out := make([]string, 0, len(rr.d.Access))
	for _, a := range rr.d.Access {
		out = append(out, a.Index)
	}
	slices.Sort(out)
	return out
}

// bodyObject is the request's JSON body as an object (a copy the planner
// may change), or an empty object when there is none.
func (rr *restrictedRequest) bodyObject() (*esbody.Object, error) {
	pb := rr.st.Body
	if pb == nil || pb.json == nil {
		return &esbody.Object{}, nil
	}
	obj, ok := pb.json.(*esbody.Object)
	if !ok {
		return nil, &eserr.Error{Status: http.StatusBadRequest, Type: "parsing_exception", Reason: fmt.Sprintf("request body must be an object, not %s", pb.json.Kind())}
	}
	return obj.Clone(), nil
}

// replaceBody makes body the request's body.
func (rr *restrictedRequest) replaceBody(body *esbody.Object) error {
	return setRequestBody(rr.st, rr.r, body)
}

// setRequestBody makes body the forwarded body of r (and the parsed body
// later stages see), creating a JSON body for a request that had none.
func setRequestBody(st *requestState, r *http.Request, body *esbody.Object) error {
	raw, err := esbody.Encode(body)
	if err != nil {
		return fmt.Errorf("encode rewritten body: %w", err)
	}
	pb := st.Body
	if pb == nil {
		pb = &parsedBody{body: &esbody.Body{ContentType: "application/json", MediaType: esbody.MediaJSON}}
		st.Body = pb
	}
	pb.json, pb.body.Raw = body, raw
	if pb.body.ContentType == "" {
		pb.body.ContentType = "application/json"
	}
	pb.body.Apply(r)
	return nil
}

// removeParams drops query-string parameters the planner moved into the body.
func (rr *restrictedRequest) removeParams(names []string) {
	if len(names) == 0 {
		return
	}
	q := rr.r.URL.Query()
	for _, n := range names {
		q.Del(n)
		delete(rr.st.Class.Params.Values, n)
	}
	rr.r.URL.RawQuery = q.Encode()
}

// moveURLSort moves the URL sort parameter into the body (where the
// cluster appends it to the body's sort) so that FLS sees it.
func (rr *restrictedRequest) moveURLSort(body *esbody.Object) error {
	param, ok := rr.st.Class.Params.Values["sort"]
	if !ok || !rr.fls {
		return nil
	}
	entries, err := flsquery.SortFromURL(param)
	if err != nil {
		return err
	}
	var sort esbody.Array
	if v, ok := body.Get("sort"); ok {
		switch s := v.(type) {
		case esbody.Array:
			sort = append(sort, s...)
		default:
			sort = append(sort, s)
		}
	}
	body.Set("sort", append(sort, entries...))
	rr.removeParams([]string{"sort"})
	return nil
}

// suggestURLParams are the URL parameters of a suggester given in the URL
// (RestSearchAction.parseSearchSource).
var suggestURLParams = []string{"suggest_field", "suggest_text", "suggest_mode", "suggest_size"}

// moveURLSuggest moves a suggester given in the URL into the body, where
// the cluster puts it too (a term suggestion on suggest_field, for
// suggest_text or else q, replacing the body's suggest), so that FLS
// checks its field: forwarded as it was, it suggested terms of hidden
// fields. The parameters are dropped from the URL either way (without
// suggest_field the cluster ignores the others).
func (rr *restrictedRequest) moveURLSuggest(body *esbody.Object, values url.Values) error {
	if !rr.fls || !slices.ContainsFunc(suggestURLParams, values.Has) {
		return nil
	}
	if values.Has("suggest_field") {
		field := values.Get("suggest_field")
		if field == "" {
			return &eserr.Error{Status: http.StatusBadRequest, Type: "illegal_argument_exception",
				Reason: "the [suggest_field] parameter must name a field"}
		}
		text := values.Get("q")
		if values.Has("suggest_text") {
			text = values.Get("suggest_text")
		}
		s, err := flsquery.SuggestFromURL(field, text, values.Get("suggest_mode"), values.Get("suggest_size"))
		if err != nil {
			return err
		}
		body.Set("suggest", s)
	}
	rr.removeParams(suggestURLParams)
	return nil
}

// moveURLDocvalueFields moves the docvalue_fields URL parameter of a
// search into the body, where the cluster appends its comma-separated
// entries too, so that FLS expands its patterns to visible fields: left in
// the URL, a pattern reaching a hidden text field made the cluster's error
// name that field.
func (rr *restrictedRequest) moveURLDocvalueFields(kind dls.BodyKind, body *esbody.Object, values url.Values) {
	if !rr.fls || kind != dls.Search || !values.Has("docvalue_fields") {
		return
	}
	if param := values.Get("docvalue_fields"); param != "" {
		var list esbody.Array
		if v, ok := body.Get("docvalue_fields"); ok {
			if a, isArray := esbody.AsArray(v); isArray {
				list = append(list, a...)
			} else {
				list = append(list, v)
			}
		}
		for _, f := range strings.Split(param, ",") {
			list = append(list, esbody.String(f))
		}
		body.Set("docvalue_fields", list)
	}
	rr.removeParams([]string{"docvalue_fields"})
}

// explainVisibility answers _explain of a document the role queries hide
// as the cluster answers for a missing one (404, "matched":false), so the
// explanation cannot tell hidden from missing; it records in pin the
// version found visible (see pinnedExplain).
func (rr *restrictedRequest) explainVisibility(pin *docPin) (func(http.ResponseWriter, *http.Request) bool, error) {
	index, err := rr.singleIndex()
	if err != nil {
		return nil, err
	}
	id := rr.st.Class.PathParams["id"]
	return rr.answerIfHidden(index, id, false, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		b, _ := json.Marshal(struct {
			Index   string `json:"_index"`
			ID      string `json:"_id"`
			Matched bool   `json:"matched"`
		}{index, id, false})
		_, _ = w.Write(b)
	}, func(_ *http.Request, p docPin) bool {
		*pin = p
		return true
	})
}
