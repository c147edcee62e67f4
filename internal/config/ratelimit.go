package config

import (
	"fmt"
	"net/netip"
)

// ExemptPrefixes parses ExemptAddresses: each an IP address (a single
// address) or a CIDR block.
func (r RateLimit) ExemptPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, a := range r.ExemptAddresses {
		if p, err := netip.ParsePrefix(a); err == nil {
			out = append(out, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(a)
		if err != nil || addr.Zone() != "" {
			return nil, fmt.Errorf("%q is not an IP address or CIDR block", a)
		}
		addr = addr.Unmap()
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out, nil
}
