package server

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/authz"
	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// Authorizer decides requests; *authz.Evaluator (behind a reloadable store)
// implements it.
type Authorizer interface {
	Decide(req authz.Request) authz.Decision
}

// withAuthorization lets the request through only when the authorizer allows
// it; everything else gets Elasticsearch's 403.
func withAuthorization(az Authorizer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		p := st.Principal
		if p == nil { // cannot happen behind withAuthentication; fail closed anyway
			st.Decision = "error"
			eserr.Security(http.StatusForbidden, "request has no authenticated principal").Write(w)
			return
		}
		d := az.Decide(authz.Request{User: p.Username, Roles: p.Roles, Action: st.Action, Indices: st.Indices})
		if !d.Allowed {
			st.Decision = "deny"
			st.Log.Info("access denied", zap.String("user", p.Username), zap.String("action", st.Action))
			eserr.Security(http.StatusForbidden, d.Reason).Write(w)
			return
		}
		st.Decision = "allow"
		next.ServeHTTP(w, r)
	})
}
