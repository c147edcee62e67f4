package server

import (
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"

	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/flsquery"
)

// Response shapes planFieldFiltered filters.
const (
	filterMappings    = fls.KindMapping
	filterTermVectors = fls.KindDocument
)

// planFieldFiltered filters the answer of an API whose answer names
// fields (mappings, get index, term vectors) under FLS. Document-level
// security does not apply to them (Elasticsearch: "APIs that are not
// document-based are unfiltered").
func (rr *restrictedRequest) planFieldFiltered(kind fls.Kind) (*restrictionPlan, error) {
	if !rr.fls {
		return &restrictionPlan{}, nil
	}
	if rr.st.Action == "indices:admin/mappings/fields/get" {
		kind = fls.KindFieldMapping
	}
	f, err := rr.responseFilter(kind, "")
	if err != nil {
		return nil, err
	}
	return &restrictionPlan{filter: f}, nil
}

// planFieldCaps filters _field_caps under FLS. Its index_filter is a query
// evaluated on the indices' documents, so under DLS it would let hidden
// documents decide which indices answer: refused there.
func (rr *restrictedRequest) planFieldCaps() (*restrictionPlan, error) {
	if rr.dls && rr.st.Body != nil {
		if obj, err := rr.bodyObject(); err != nil || obj.Has("index_filter") {
			return nil, rr.unsupported("an index_filter is evaluated on documents hidden by document level security")
		}
	}
	if !rr.fls {
		return &restrictionPlan{}, nil
	}
	if rr.st.Body != nil {
		body, err := rr.bodyObject()
		if err != nil {
			return nil, err
		}
		if body, err = rr.rewriteFieldRefsFor(flsquery.FieldCaps, body); err != nil {
			return nil, err
		}
		if err := rr.replaceBody(body); err != nil {
			return nil, err
		}
	}
	f, err := rr.responseFilter(fls.KindFieldCaps, "")
	if err != nil {
		return nil, err
	}
	return &restrictionPlan{filter: f}, nil
}

// planTermsEnum gives no terms from indices under DLS, as Elasticsearch
// does, and none for a field FLS hides.
func (rr *restrictedRequest) planTermsEnum() (*restrictionPlan, error) {
	empty := func(w http.ResponseWriter, _ *http.Request) bool {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = w.Write(dls.EmptyTermsEnumResponse(len(rr.d.Access)))
		return true
	}
	if rr.dls && len(dls.TermsEnumIndices(dls.FromAccess(rr.d.Access))) < len(rr.d.Access) {
		return &restrictionPlan{answer: empty}, nil
	}
	if rr.fls {
		body, err := rr.bodyObject()
		if err != nil {
			return nil, err
		}
		if body.Has("index_filter") {
			return nil, rr.unsupported("an index_filter may name fields hidden by field level security")
		}
		field, _ := body.Get("field")
		fs, isString := field.(esbody.String)
		if !isString {
			return nil, rr.unsupported("the terms_enum request names no field")
		}
		vs, err := rr.views()
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if v != nil && !v.Visible(string(fs)) {
				return &restrictionPlan{answer: empty}, nil
			}
		}
	}
	return &restrictionPlan{}, nil
}
