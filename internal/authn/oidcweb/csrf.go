package oidcweb

import (
	"net/http"
	"strings"
)

// csrfProblem says why a request authenticated by the session cookie may
// have been forged by another site, or "" when it may not. Safe methods
// pass. Other requests must carry the anti-CSRF header (a header a
// cross-site form cannot send, and that a cross-site script cannot send
// without a CORS preflight the proxy does not grant) or come from an
// allowed Origin: the site's own (as the request reached the proxy, or as
// RedirectURL names it) or a configured one. Without either, refused.
func (s *Service) csrfProblem(r *http.Request) string {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return ""
	}
	if _, ok := r.Header[http.CanonicalHeaderKey(s.o.XSRFHeader)]; ok {
		return ""
	}
	origin := strings.ToLower(r.Header.Get("Origin"))
	if s.allowedOrigin(r, origin) {
		return ""
	}
	if origin == "" {
		return "Request must contain a " + s.o.XSRFHeader + " header."
	}
	return "Request must contain a " + s.o.XSRFHeader + " header (origin [" + truncate(origin, 200) + "] is not allowed)."
}

// allowedOrigin: origin (lower case) is the site's own (as the request
// reached the proxy, or as RedirectURL names it) or a configured one.
func (s *Service) allowedOrigin(r *http.Request, origin string) bool {
	return origin != "" && origin != "null" && (s.origins[origin] || origin == requestOrigin(r))
}

// ForeignOrigin reports whether r carries the session cookie and says it
// comes from another origin (its Origin header: any cross-origin fetch
// sends one) than an allowed one. The response to such a request must not
// grant that origin access through CORS: the cluster's own CORS settings
// (Elasticsearch and OpenSearch echo any Origin when allow-origin is "*"
// and credentials are allowed) were never meant for the proxy's cookie,
// and with them another site of the same registrable domain (Lax cookies
// go along with same-site fetches), or any site with SameSite=None,
// would read whatever the user's session may read.
func (s *Service) ForeignOrigin(r *http.Request) bool {
	if s.sessionToken(r) == "" {
		return false
	}
	origin := strings.ToLower(r.Header.Get("Origin"))
	return origin != "" && !s.allowedOrigin(r, origin)
}

// CrossSiteRequest reports whether r carries the session cookie and was
// sent by another site than an allowed one, whatever its method: no
// anti-CSRF header, and its Origin is not allowed or, without an Origin
// (browsers send none on GET navigations), its Sec-Fetch-Site is
// cross-site or same-site. A link or a script on another site makes the
// browser send such a GET with the cookie (SameSite=Lax lets it through
// on top-level navigations): harmless for a read, which the other site
// cannot see, but not for the few cluster APIs that change something on
// GET; the server refuses those (an address typed by the user has
// Sec-Fetch-Site none and passes).
func (s *Service) CrossSiteRequest(r *http.Request) bool {
	if s.sessionToken(r) == "" {
		return false
	}
	if _, ok := r.Header[http.CanonicalHeaderKey(s.o.XSRFHeader)]; ok {
		return false
	}
	if origin := strings.ToLower(r.Header.Get("Origin")); origin != "" {
		return !s.allowedOrigin(r, origin)
	}
	switch strings.ToLower(r.Header.Get("Sec-Fetch-Site")) {
	case "cross-site", "same-site":
		return true
	}
	return false
}

// requestOrigin is the origin the request was sent to.
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + strings.ToLower(r.Host)
}
