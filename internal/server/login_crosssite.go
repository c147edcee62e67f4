package server

import (
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/authn"
)

// changesOnGET reports whether action is one of the cluster actions
// Elasticsearch and OpenSearch also serve on GET (and HEAD) that change
// something: segments flushed, searchers reopened, analyzers reloaded,
// k-NN graphs loaded into memory, enrollment credentials created. The
// session cookie's CSRF check lets safe methods through, so without this
// another site could make a logged-in browser run them with a link.
func changesOnGET(action string) bool {
	switch action {
	case "indices:admin/flush", "indices:admin/refresh", "indices:admin/synced_flush", "indices:admin/reload_analyzers",
		"cluster:admin/knn_warmup_action", "cluster:admin/xpack/security/enroll/kibana", "cluster:admin/xpack/security/enroll/node":
		return true
	}
	return false
}

// withoutCrossSiteChanges refuses, as a forged request (400, audited as
// tampered_request with the session's user, like the CSRF check's), a GET
// or HEAD that another site made a logged-in browser send
// (LoginService.CrossSiteRequest) when its action changes something
// (changesOnGET). Reads pass: the other site cannot see them.
func withoutCrossSiteChanges(login LoginService, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && changesOnGET(st.Action) && login.CrossSiteRequest(r) {
			refuseCSRF(w, st, &authn.CSRFError{Principal: st.Principal,
				Reason: "action [" + st.Action + "] changes the cluster and this request was sent by another site: send the anti-CSRF header (kbn-xsrf by default)"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
