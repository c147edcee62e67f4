package server

import (
	"net"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// Site is a tenant served on the same listener as the default one: its
// own authentication, roles, audit trail and upstream, chosen by the
// request's Host (an edge gateway for several tenants).
type Site struct {
	// Name identifies the site in logs.
	Name string
	// Hosts are lower-case host names; "*.example.com" matches every
	// subdomain of example.com.
	Hosts []string
	// Handler is the site's whole chain (the Handler of a Server built with
	// the site's options).
	Handler http.Handler
}

// siteRouter sends each request to the site its Host names, or to the
// default chain.
type siteRouter struct {
	exact    map[string]http.Handler
	suffixes []siteSuffix
	def      http.Handler
}

type siteSuffix struct {
	suffix  string // ".example.com"
	handler http.Handler
}

func newSiteRouter(def http.Handler, sites []Site) *siteRouter {
	sr := &siteRouter{exact: map[string]http.Handler{}, def: def}
	for _, s := range sites {
		for _, h := range s.Hosts {
			h = strings.ToLower(h)
			if rest, ok := strings.CutPrefix(h, "*"); ok {
				sr.suffixes = append(sr.suffixes, siteSuffix{suffix: rest, handler: s.Handler})
			} else {
				sr.exact[h] = s.Handler
			}
		}
	}
	return sr
}

// ServeHTTP implements http.Handler.
func (sr *siteRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sr.handlerFor(r.Host).ServeHTTP(w, r)
}

// handlerFor picks the site of a Host header value (port and a trailing
// dot ignored, case-insensitive); an exact name beats a wildcard, and the
// longest wildcard wins.
func (sr *siteRouter) handlerFor(hostport string) http.Handler {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if h, ok := sr.exact[host]; ok {
		return h
	}
	var best http.Handler
	bestLen := 0
	for _, s := range sr.suffixes {
		if strings.HasSuffix(host, s.suffix) && len(host) > len(s.suffix) && len(s.suffix) > bestLen {
			best, bestLen = s.handler, len(s.suffix)
		}
	}
	if best != nil {
		return best
	}
	return sr.def
}

// misdirected refuses every request: the default chain when unknown hosts
// are refused (Options.RefuseUnknownHosts). The refusal is audited as a
// tampered request (a Host the proxy does not serve) by the audit stage
// around it.
func misdirected() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		st.Decision = "rejected"
		st.Log().Info("request for a host no site serves", zap.String("host", r.Host))
		(&eserr.Error{Status: http.StatusMisdirectedRequest, Type: "illegal_argument_exception",
			Reason: "no site of the security proxy serves host [" + r.Host + "]"}).Write(w)
	})
}
