package server

import (
	"net"
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
