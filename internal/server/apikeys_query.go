package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/authn/apikey"
	"github.com/portcullis-proxy/portcullis/internal/esapi/esbody"
	"github.com/portcullis-proxy/portcullis/internal/secquery"
)

// apiKeyQueryAction is GET/POST /_security/_query/api_key (Kibana's API key
// page lists and counts keys with it).
const apiKeyQueryAction = apiKeyPrefix + "query"

// query answers the query API key API from the proxy's store: the query,
// sort, paging and aggregations of the body (secquery.ParseSearch), over
// every key for read_security/manage_api_key, over the caller's own keys
// for manage_own_api_key, as Elasticsearch does.
func (s *apiKeyService) query(w http.ResponseWriter, r *http.Request, st *requestState) {
	q := r.URL.Query()
	typedKeys, err := boolParam(q.Get("typed_keys"))
	if err != nil {
		refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", "parameter [typed_keys]: "+err.Error())
		return
	}
	for _, p := range []string{"with_limited_by", "with_profile_uid"} {
		if on, err := boolParam(q.Get(p)); err != nil || on {
			refuseLocal(w, st, http.StatusBadRequest, "illegal_argument_exception", fmt.Sprintf("parameter [%s=%s] is not supported by the security proxy", p, q.Get(p)))
			return
		}
	}
	var body []byte
	if st.Body != nil && st.Body.body != nil {
		if len(st.Body.body.Raw) > 0 && st.Body.body.MediaType != esbody.MediaJSON {
			refuseLocal(w, st, http.StatusBadRequest, "x_content_parse_exception", "the query API key body must be JSON")
			return
		}
		body = st.Body.body.Raw
	}
	now := s.now()
	search, err := secquery.ParseSearch(apikey.QuerySchema(), body, now)
	if err != nil {
		var qe *secquery.QueryError
		if errors.As(err, &qe) {
			refuseLocal(w, st, http.StatusBadRequest, qe.Type, qe.Reason)
			return
		}
		refuseLocal(w, st, http.StatusBadRequest, "parsing_exception", err.Error())
		return
	}
	keys := s.store.Find(apikey.Filter{})
	if st.ownAPIKeysOnly {
		mine := keys[:0:0]
		for _, k := range keys {
			if ownedBy(&k, st.Principal) {
				mine = append(mine, k)
			}
		}
		keys = mine
	}
	docs := make([]secquery.Doc, len(keys))
	for i := range keys {
		docs[i] = keys[i].QueryDoc()
	}
	res := search.Run(docs, typedKeys)
	list := make([]map[string]any, 0, len(res.Hits))
	for _, h := range res.Hits {
		info := keyInfo(&keys[h.Index], now)
		if h.Sort != nil {
			info["_sort"] = h.JSONSort()
		}
		list = append(list, info)
	}
	resp := map[string]any{"total": res.Total, "count": len(list), "api_keys": list}
	if res.Aggregations != nil {
		resp["aggregations"] = res.Aggregations
	}
	writeJSONValue(w, http.StatusOK, resp)
}
