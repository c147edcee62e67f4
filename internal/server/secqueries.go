package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/secquery"
)

// The security query APIs (POST /_security/_query/api_key, /_query/role,
// /_query/user) run over documents the proxy keeps itself, since the
// cluster has no security index: secquery evaluates the body.

// securityQuery is one query API: its schema, the documents it runs over
// (already limited to what the caller may see), how a hit is shown, and
// the answer's list name ("api_keys", "roles", "users").
type securityQuery struct {
	schema *secquery.Schema
	docs   []secquery.Doc
	// render shows the document at index i of docs.
	render func(i int) map[string]any
	list   string
	// refusedParams are boolean parameters the proxy does not implement:
	// true is refused rather than ignored.
	refusedParams []string
}

// serveSecurityQuery answers a security query API request with q.
func serveSecurityQuery(w http.ResponseWriter, r *http.Request, st *requestState, q securityQuery, now time.Time) {
	params := r.URL.Query()
	typedKeys, err := boolParam(params.Get("typed_keys"))
	if err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "parameter [typed_keys]: "+err.Error())
		return
	}
	for _, p := range q.refusedParams {
		if on, err := boolParam(params.Get(p)); err != nil || on {
			refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", fmt.Sprintf("parameter [%s=%s] is not supported by the security proxy", p, params.Get(p)))
			return
		}
	}
	var body []byte
	if st.Body != nil && st.Body.body != nil {
		if len(st.Body.body.Raw) > 0 && st.Body.body.MediaType != esbody.MediaJSON {
			refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "the query body must be JSON")
			return
		}
		body = st.Body.body.Raw
	}
	search, err := secquery.ParseSearch(q.schema, body, now)
	var res secquery.Result
	if err == nil {
		res, err = search.Run(q.docs, typedKeys)
	}
	if err != nil {
		var qe *secquery.QueryError
		if errors.As(err, &qe) {
			refuseLocal(w, st, http.StatusBadRequest, qe.Type, qe.Reason)
			return
		}
		refuseLocal(w, st, http.StatusBadRequest, "parsing_exception", err.Error())
		return
	}
	list := make([]map[string]any, 0, len(res.Hits))
	for _, h := range res.Hits {
		item := q.render(h.Index)
		if h.Sort != nil {
			item["_sort"] = h.JSONSort()
		}
		list = append(list, item)
	}
	resp := map[string]any{"total": res.Total, "count": len(list), q.list: list}
	if res.Aggregations != nil {
		resp["aggregations"] = res.Aggregations
	}
	writeJSONValue(w, http.StatusOK, resp)
}
