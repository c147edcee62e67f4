package authn

import (
	"net"
	"net/http"
	"strings"
)

// Authenticator scheme names, as configuration spells them.
const (
	SchemeSession = "session"
	SchemeBearer  = "bearer"
	SchemeBasic   = "basic"
	SchemeAPIKey  = "api_key"
	// SchemeServiceToken is Bearer service account tokens; it must come
	// before SchemeBearer, which refuses every bearer token it cannot read.
	SchemeServiceToken = "service_token"
)

// Named is an authenticator with its scheme name.
type Named struct {
	Scheme        string
	Authenticator Authenticator
}

// Route chooses the authenticators of requests to a site and path prefix.
type Route struct {
	// Host matches the request's host name, case-insensitively, without
	// the port and a trailing dot, as the site router reads it ("" matches
	// any host).
	Host string
	// PathPrefix matches the start of the request's path as the cluster
	// decodes it (percent-escapes decoded; "" or "/" match every path).
	PathPrefix string
	// Authenticators are tried in order, as a Chain.
	Authenticators []Named
}

// SchemeLister is implemented by authenticators that can say which schemes
// apply to a request (for the WWW-Authenticate challenges of a 401).
type SchemeLister interface {
	Schemes(r *http.Request) []string
}

// LoginRedirector is implemented by authenticators that can send a browser
// to an interactive login: LoginURL returns where, or "" when no
// interactive login applies to r.
type LoginRedirector interface {
	LoginURL(r *http.Request) string
}

// Routes authenticates each request with the authenticators configured for
// its site and path: the route with the longest matching prefix wins (a
// route naming the host beats one that does not, at equal length), and
// requests no route matches use the default list.
type Routes struct {
	def    []Named
	routes []Route
}

// NewRoutes returns the per-route authenticator selection.
func NewRoutes(def []Named, routes []Route) *Routes {
	return &Routes{def: def, routes: routes}
}

// For returns the authenticators of r.
//
// The host and path are read the way the site router and the cluster
// read them, so that no spelling of the same target (a fully qualified
// "host.", a percent-encoded letter in the path) falls back to the
// default list and its other authenticators.
func (rs *Routes) For(r *http.Request) []Named {
	host := requestHost(r)
	path := r.URL.Path
	best, bestLen, bestHost := rs.def, -1, false
	for _, rt := range rs.routes {
		if rt.Host != "" && !strings.EqualFold(strings.TrimSuffix(rt.Host, "."), host) {
			continue
		}
		if !strings.HasPrefix(path, rt.PathPrefix) {
			continue
		}
		n, named := len(rt.PathPrefix), rt.Host != ""
		if n > bestLen || n == bestLen && named && !bestHost {
			best, bestLen, bestHost = rt.Authenticators, n, named
		}
	}
	return best
}

// requestHost is the Host header without its port and trailing dot (as
// the site router canonicalises it: "example.com." is example.com).
func requestHost(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(host, ".")
}

// Authenticate implements Authenticator: the route's authenticators as a Chain.
func (rs *Routes) Authenticate(r *http.Request) (*Principal, error) {
	named := rs.For(r)
	chain := make(Chain, len(named))
	for i, n := range named {
		chain[i] = n.Authenticator
	}
	return chain.Authenticate(r)
}

// Schemes implements SchemeLister.
func (rs *Routes) Schemes(r *http.Request) []string {
	named := rs.For(r)
	out := make([]string, len(named))
	for i, n := range named {
		out[i] = n.Scheme
	}
	return out
}

// LoginURL implements LoginRedirector: the first of the route's
// authenticators that offers an interactive login decides.
func (rs *Routes) LoginURL(r *http.Request) string {
	for _, n := range rs.For(r) {
		if lr, ok := n.Authenticator.(LoginRedirector); ok {
			if u := lr.LoginURL(r); u != "" {
				return u
			}
		}
	}
	return ""
}

var (
	_ Authenticator   = (*Routes)(nil)
	_ SchemeLister    = (*Routes)(nil)
	_ LoginRedirector = (*Routes)(nil)
)
