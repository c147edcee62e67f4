package server

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/portcullis-proxy/portcullis/internal/authn/oidcweb"
)

// LoginService is the browser login (*oidcweb.Service): its endpoints live
// under oidcweb.PathPrefix, and its cookies must not reach the upstream.
type LoginService interface {
	http.Handler
	// StripCookies removes the login's cookies from a request.
	StripCookies(r *http.Request)
	// ForeignOrigin reports whether a request carries the session cookie
	// and an Origin the login does not allow: its response must grant that
	// origin no CORS access.
	ForeignOrigin(r *http.Request) bool
	// CrossSiteRequest reports whether a request carries the session
	// cookie and was sent by another site, without the anti-CSRF header.
	CrossSiteRequest(r *http.Request) bool
}

// mountLogin routes the reserved prefix to the login endpoints, through the
// framing checks and panic recovery. They never reach the upstream. Their
// logins, logouts and refusals are recorded by a before they answer.
func mountLogin(r *mux.Router, login LoginService, a Auditor) {
	rec := loginRecorder(a)
	// The endpoints record their outcomes themselves (rec); the refusal
	// writer records what they refuse before getting there (framing), as
	// in the cluster chain.
	h := withAuditedRefusals(a, withRecover(withFraming(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		st := stateOf(req)
		st.Route, st.Decision = "login", "allow"
		login.ServeHTTP(w, oidcweb.WithRecorder(req, rec))
	}))))
	r.PathPrefix(oidcweb.PathPrefix).Handler(h)
}

// withoutProxyCookies removes the login's cookies once the request is
// authenticated: a session token in the upstream's logs would be a
// credential. The response to a request that carries the session cookie
// from an origin the login does not allow loses the upstream's CORS
// headers (withoutCORS).
func withoutProxyCookies(login LoginService, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign := login.ForeignOrigin(r) // before the cookie goes
		login.StripCookies(r)
		if foreign {
			w = withoutCORS(w)
		}
		next.ServeHTTP(w, r)
	})
}

// wantsHTML: a browser navigating to a page (GET/HEAD asking for HTML),
// which is sent to log in instead of getting a 401. API calls (fetch with
// kbn-xsrf, clients asking for JSON) get the 401.
func wantsHTML(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if r.Header.Get("kbn-xsrf") != "" || r.Header.Get("X-Requested-With") != "" {
		return false
	}
	return strings.Contains(strings.ToLower(r.Header.Get("Accept")), "text/html")
}
