package server

import (
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/authn/apikey"
	"github.com/portcullis-proxy/portcullis/internal/secquery"
)

// apiKeyQueryAction is GET/POST /_security/_query/api_key (Kibana's API key
// page lists and counts keys with it).
const apiKeyQueryAction = apiKeyPrefix + "query"

// query answers the query API key API from the proxy's store, over every
// key for read_security/manage_api_key, over the caller's own keys for
// manage_own_api_key (hits, totals and aggregations alike), as
// Elasticsearch does.
func (s *apiKeyService) query(w http.ResponseWriter, r *http.Request, st *requestState) {
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
	now := s.now()
	serveSecurityQuery(w, r, st, securityQuery{
		schema: apikey.QuerySchema(), docs: docs, list: "api_keys",
		render:        func(i int) map[string]any { return keyInfo(&keys[i], now) },
		refusedParams: []string{"with_limited_by", "with_profile_uid"},
	}, now)
}
