package oidcweb

import (
	"net/http"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// ServeHTTP serves the endpoints under PathPrefix; any other path under it
// is 404 (the prefix is reserved: nothing under it reaches the upstream).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.EscapedPath() {
	case LoginPath:
		s.only(w, r, s.login, http.MethodGet, http.MethodHead)
	case CallbackPath:
		s.only(w, r, s.callback, http.MethodGet)
	case LogoutPath:
		s.only(w, r, s.logout, http.MethodGet, http.MethodPost)
	case BackchannelPath:
		s.backchannel(w, r)
	case SessionPath:
		s.only(w, r, s.info, http.MethodGet, http.MethodHead)
	case LoggedOutPath:
		s.only(w, r, s.loggedOut, http.MethodGet, http.MethodHead)
	default:
		eserr.Security(http.StatusNotFound, "no endpoint ["+r.Method+" "+r.URL.EscapedPath()+"] under the proxy's reserved prefix "+PathPrefix).Write(w)
	}
}

// only runs h for the listed methods, and answers 405 otherwise.
func (s *Service) only(w http.ResponseWriter, r *http.Request, h http.HandlerFunc, methods ...string) {
	for _, m := range methods {
		if r.Method == m {
			h(w, r)
			return
		}
	}
	for _, m := range methods {
		w.Header().Add("Allow", m)
	}
	(&eserr.Error{Status: http.StatusMethodNotAllowed, Type: "illegal_argument_exception",
		Reason: "method [" + r.Method + "] is not allowed on [" + r.URL.EscapedPath() + "]"}).Write(w)
}
