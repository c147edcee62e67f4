package server

import (
	"crypto/tls"
	"net/http"

	"go.uber.org/zap"

	"github.com/portcullis-proxy/portcullis/internal/eserr"
)

// Certificates per site. A site may present its own certificate: the
// handshake picks it by the TLS server name (SNI), with the same host
// matching as the request router. The TLS version, cipher suites and
// client-certificate settings stay the listener's.
//
// A request whose Host belongs to another certificate than the server
// name its connection was made for is refused with 421 Misdirected
// Request: the client verified one tenant's certificate and is talking to
// another tenant. Browsers that reuse (coalesce) an HTTP/2 connection
// across names retry a 421 on a new connection, so legitimate clients
// recover. Where every site shares the listener's certificate there is
// nothing to check and nothing is refused.

// siteCerts maps host names to the certificate of the site they belong
// to; hosts of sites without their own certificate are not in it.
type siteCerts struct {
	table *hostTable[*CertReloader]
	def   *CertReloader
}

// newSiteCerts returns nil when no site has its own certificate.
func newSiteCerts(def *CertReloader, sites []Site) *siteCerts {
	sc := &siteCerts{table: newHostTable[*CertReloader](), def: def}
	own := false
	for _, s := range sites {
		if s.TLS == nil {
			continue
		}
		own = true
		for _, h := range s.Hosts {
			sc.table.add(h, s.TLS)
		}
	}
	if !own {
		return nil
	}
	return sc
}

// forName is the certificate served for a server name (or Host): the
// site's own, or the listener's.
func (sc *siteCerts) forName(name string) *CertReloader {
	if cr, ok := sc.table.lookup(name); ok {
		return cr
	}
	return sc.def
}

// serverConfig is the listener's tls.Config: each handshake gets the
// current configuration of the certificate its server name selects.
func (sc *siteCerts) serverConfig() *tls.Config {
	cfg := sc.def.ServerConfig()
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		return sc.forName(hello.ServerName).current.Load(), nil
	}
	return cfg
}

// misdirected reports whether r's Host belongs to another certificate
// than the one its connection was made for.
func (sc *siteCerts) misdirected(r *http.Request) bool {
	return r.TLS != nil && sc.forName(r.TLS.ServerName) != sc.forName(r.Host)
}

// wrongCertificate refuses a request whose Host and TLS server name
// belong to different certificates (see siteCerts).
func wrongCertificate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		st.Decision = "rejected"
		st.Log().Info("request for a host of another certificate than its connection's",
			zap.String("host", r.Host), zap.String("server_name", r.TLS.ServerName))
		(&eserr.Error{Status: http.StatusMisdirectedRequest, Type: "illegal_argument_exception",
			Reason: "host [" + r.Host + "] is not served on a connection made for [" + r.TLS.ServerName + "]; connect to it by its own name"}).Write(w)
	})
}
