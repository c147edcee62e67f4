package server

import (
	"net/http"

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
	// TLS is the site's own certificate, chosen by the TLS server name;
	// nil: the listener's (see siteCerts).
	TLS *CertReloader
}

// siteRouter sends each request to the site its Host names, or to the
// default chain.
type siteRouter struct {
	sites *hostTable[http.Handler]
	def   http.Handler
	// certs, when sites have their own certificates, and the handler of
	// requests whose Host is not their connection's (wrongCertificate).
	certs     *siteCerts
	wrongCert http.Handler
}

func newSiteRouter(def http.Handler, sites []Site, certs *siteCerts, wrongCert http.Handler) *siteRouter {
	sr := &siteRouter{sites: newHostTable[http.Handler](), def: def, certs: certs, wrongCert: wrongCert}
	for _, s := range sites {
		for _, h := range s.Hosts {
			sr.sites.add(h, s.Handler)
		}
	}
	return sr
}

// ServeHTTP implements http.Handler.
func (sr *siteRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if sr.certs != nil && sr.certs.misdirected(r) {
		sr.wrongCert.ServeHTTP(w, r)
		return
	}
	sr.handlerFor(r.Host).ServeHTTP(w, r)
}

// handlerFor picks the site of a Host header value (see hostTable).
func (sr *siteRouter) handlerFor(hostport string) http.Handler {
	if h, ok := sr.sites.lookup(hostport); ok {
		return h
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
