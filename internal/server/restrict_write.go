package server

import (
	"errors"
	"fmt"
	"net/http"

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
	if err := rr.checkWrite(index, rr.st.Class.PathParams["id"], doc); err != nil {
		return nil, err
	}
	return &restrictionPlan{}, nil
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
