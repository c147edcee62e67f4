package server

import (
	"net"
	"strings"
)

// hostTable maps host names to values the way sites are chosen: exact
// names (case-insensitive, port and trailing dot ignored) beat wildcards
// ("*.example.com": every subdomain of example.com), and the longest
// wildcard wins. The request router and the certificate selection share
// it, so a Host and a TLS server name always pick the same site.
type hostTable[T any] struct {
	exact    map[string]T
	suffixes []hostSuffix[T]
}

type hostSuffix[T any] struct {
	suffix string // ".example.com"
	value  T
}

func newHostTable[T any]() *hostTable[T] {
	return &hostTable[T]{exact: map[string]T{}}
}

// add maps host (a name or "*." + name) to v.
func (t *hostTable[T]) add(host string, v T) {
	host = strings.ToLower(host)
	if rest, ok := strings.CutPrefix(host, "*"); ok {
		t.suffixes = append(t.suffixes, hostSuffix[T]{suffix: rest, value: v})
		return
	}
	t.exact[host] = v
}

// lookup finds the value of a Host header value or TLS server name.
func (t *hostTable[T]) lookup(hostport string) (T, bool) {
	host := canonicalHost(hostport)
	if v, ok := t.exact[host]; ok {
		return v, true
	}
	var best T
	bestLen := 0
	for _, s := range t.suffixes {
		if strings.HasSuffix(host, s.suffix) && len(host) > len(s.suffix) && len(s.suffix) > bestLen {
			best, bestLen = s.value, len(s.suffix)
		}
	}
	return best, bestLen > 0
}

// canonicalHost drops the port and a trailing dot and lowers the case.
func canonicalHost(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}
