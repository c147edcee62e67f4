package server

import (
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authn"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/dls"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/fls"
	"github.com/portcullis-proxy/portcullis/internal/rewrite/flsquery"
)

// views returns the field-level security view of every reached index (a
// nil view: no FLS), built on the indices' current mappings. notBefore,
// when not zero, asks for mappings fetched no earlier than that.
func (rr *restrictedRequest) viewsSince(notBefore time.Time) (fls.Views, error) {
	var need []string
	for _, a := range rr.d.Access {
		if a.Fields != nil {
			need = append(need, a.Index)
		}
	}
	var maps map[string]*fls.Mapping
	if len(need) > 0 {
		var err error
		if maps, err = rr.rs.Mappings.Get(rr.r.Context(), need, notBefore); err != nil {
			return nil, fmt.Errorf("field level security needs the indices' mappings: %w", err)
		}
	}
	vs := make(fls.Views, len(rr.d.Access))
	for _, a := range rr.d.Access {
		if a.Fields == nil {
			vs[a.Index] = nil
			continue
		}
		// An index the cluster no longer has gets a view without mapping:
		// names alone decide, and whatever needs the mapping is hidden.
		vs[a.Index] = fls.NewView(a.Fields, maps[a.Index])
	}
	return vs, nil
}

func (rr *restrictedRequest) views() (fls.Views, error) {
	if rr.cachedViews == nil {
		vs, err := rr.viewsSince(time.Time{})
		if err != nil {
			return nil, err
		}
		rr.cachedViews = vs
	}
	return rr.cachedViews, nil
}

// responseFilter filters responses of the given shape with the reached
// indices' views.
func (rr *restrictedRequest) responseFilter(kind fls.Kind, index string) (bodyFilter, error) {
	vs, err := rr.views()
	if err != nil {
		return nil, err
	}
	log := rr.st.Log()
	f := &fls.Filter{Policy: vs, OnUnknownIndex: func(ix string) {
		log.Warn("response names an index the decision did not reach; its fields are hidden", zap.String("index", ix))
	}}
	return func(dst io.Writer, src io.Reader) error {
		return f.Apply(dst, src, kind, 200, index)
	}, nil
}

func (rr *restrictedRequest) searchFilter() (bodyFilter, error) {
	return rr.responseFilter(fls.KindSearch, "")
}

func (rr *restrictedRequest) explainFilter() (bodyFilter, error) {
	return rr.responseFilter(fls.KindDocument, "")
}

func (rr *restrictedRequest) docFilter(source bool) (bodyFilter, error) {
	if source {
		index, err := rr.singleIndex()
		if err != nil {
			return nil, err
		}
		return rr.responseFilter(fls.KindSource, index)
	}
	return rr.responseFilter(fls.KindDocument, "")
}

// dlsFilter is the DLS filter of the given concrete indices for the user.
func (rr *restrictedRequest) dlsFilter(indices []string) (esbody.Value, error) {
	var in []dls.IndexDLS
	for _, ix := range dls.FromAccess(rr.d.Access) {
		for _, want := range indices {
			if ix.Index == want {
				in = append(in, ix)
			}
		}
	}
	return rr.rs.Queries.Filter(dlsUser(rr.st.Principal), in)
}

// dlsUser is what role templates may read about the caller.
func dlsUser(p *authn.Principal) dls.User {
	return dls.User{Username: p.Username, FullName: p.FullName, Email: p.Email, Roles: p.Roles, Metadata: p.Metadata}
}

// rewriteFieldRefs neutralises references to hidden fields in a
// search-like body (request-side FLS): they behave as fields that do not
// exist.
func (rr *restrictedRequest) rewriteFieldRefs(kind dls.BodyKind, body *esbody.Object) (*esbody.Object, error) {
	return rr.rewriteFieldRefsFor(flsAPI(kind), body)
}

// rewriteFieldRefsFor is rewriteFieldRefs for any body flsquery knows.
func (rr *restrictedRequest) rewriteFieldRefsFor(api flsquery.API, body *esbody.Object) (*esbody.Object, error) {
	vs, err := rr.views()
	if err != nil {
		return nil, err
	}
	scope := flsquery.Scope{Indices: make([]flsquery.IndexFields, 0, len(vs))}
	for _, ix := range rr.reachedIndices() {
		f := flsquery.IndexFields{Index: ix}
		if v := vs[ix]; v != nil {
			f.Fields = v
		}
		scope.Indices = append(scope.Indices, f)
	}
	return flsquery.RewriteBody(api, body, scope)
}

// flsAPI maps the dls body kinds onto flsquery's.
func flsAPI(kind dls.BodyKind) flsquery.API {
	switch kind {
	case dls.Count:
		return flsquery.Count
	case dls.Explain:
		return flsquery.Explain
	case dls.ValidateQuery:
		return flsquery.ValidateQuery
	case dls.DeleteByQuery:
		return flsquery.DeleteByQuery
	case dls.UpdateByQuery:
		return flsquery.UpdateByQuery
	case dls.KnnSearch:
		return flsquery.KnnSearch
	}
	return flsquery.Search
}
