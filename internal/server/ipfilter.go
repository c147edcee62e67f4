package server

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/portcullis-proxy/portcullis/internal/ipfilter"
)

// filteredListener drops connections the IP filter refuses as soon as
// they are accepted, before a TLS handshake or a byte of HTTP is read, as
// Elasticsearch does; each refusal is reported (connection_denied).
type filteredListener struct {
	net.Listener
	filter *ipfilter.Filter
	denied func(addr, rule string)
}

// Accept returns the next connection the filter allows.
func (l *filteredListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ok, rule := l.filter.Decide(addrOf(c.RemoteAddr()), addrOf(c.LocalAddr()))
		if ok {
			return c, nil
		}
		_ = c.Close()
		l.denied(c.RemoteAddr().String(), rule)
	}
}

// addrOf is the IP of a TCP address (the zero Addr for others, which no
// rule but "_all" matches).
func addrOf(a net.Addr) netip.Addr {
	if t, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(t.IP); ok {
			return ip.Unmap()
		}
	}
	return netip.Addr{}
}

// withIPFilterRecheck decides every request's connection again with the
// rules in force: rules updated since a connection was accepted (SIGHUP)
// end it at its next request, instead of serving a client the filter now
// refuses for as long as it keeps the connection busy. The connection is
// dropped without an answer, as at accept, and the refusal is reported
// (connection_denied).
func withIPFilterRecheck(filter *ipfilter.Filter, denied func(addr, rule string), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var peer, local netip.Addr
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
			peer = ap.Addr().Unmap()
		}
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			local = addrOf(a)
		}
		if ok, rule := filter.Decide(peer, local); !ok {
			denied(r.RemoteAddr, rule)
			panic(http.ErrAbortHandler) // closes the connection (resets the stream on HTTP/2)
		}
		next.ServeHTTP(w, r)
	})
}
