// Package ipfilter decides which client addresses may connect, with the
// rules of Elasticsearch's IP filtering (xpack.security.http.filter.allow
// and .deny): addresses, CIDR blocks or "_all"; an address an allow rule
// matches is allowed even when a deny rule matches it too; an address no
// rule matches is allowed; the listener's own address is never denied.
// Hostnames (which Elasticsearch resolves through DNS) are not supported.
package ipfilter

import (
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
)

// All is the rule that matches every address.
const All = "_all"

// Rules is a parsed allow and deny list. The zero value allows everything.
type Rules struct {
	allow, deny []rule
}

// rule is one entry as written, and what it matches.
type rule struct {
	text   string
	all    bool
	prefix netip.Prefix
}

func (r rule) matches(a netip.Addr) bool { return r.all || r.prefix.Contains(a) }

// Parse checks and compiles allow and deny lists; the error names the
// first entry that is not an address, a CIDR block or "_all".
func Parse(allow, deny []string) (*Rules, error) {
	var rs Rules
	var err error
	if rs.allow, err = parseList("allow", allow); err != nil {
		return nil, err
	}
	if rs.deny, err = parseList("deny", deny); err != nil {
		return nil, err
	}
	return &rs, nil
}

func parseList(kind string, entries []string) ([]rule, error) {
	out := make([]rule, 0, len(entries))
	for _, e := range entries {
		t := strings.TrimSpace(e)
		switch {
		case t == All:
			out = append(out, rule{text: t, all: true})
			continue
		case strings.Contains(t, "/"):
			p, err := netip.ParsePrefix(t)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a CIDR block: %v", kind, e, err)
			}
			out = append(out, rule{text: t, prefix: p.Masked()})
			continue
		}
		a, err := netip.ParseAddr(t)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not an IP address, a CIDR block or %s (hostnames are not supported)", kind, e, All)
		}
		out = append(out, rule{text: t, prefix: netip.PrefixFrom(a, a.BitLen())})
	}
	return out, nil
}

// Decide says whether a client at peer may connect to a listener at local,
// and for a refusal the rule that refused it, as Elasticsearch writes it
// in the audit log ("deny 10.0.0.0/8", "deny _all"). IPv4-mapped IPv6
// addresses are judged as IPv4.
func (rs *Rules) Decide(peer, local netip.Addr) (allowed bool, denyRule string) {
	if rs == nil {
		return true, ""
	}
	peer = peer.Unmap()
	if local.IsValid() && peer == local.Unmap() {
		return true, ""
	}
	for _, r := range rs.allow {
		if r.matches(peer) {
			return true, ""
		}
	}
	for _, r := range rs.deny {
		if r.matches(peer) {
			return false, "deny " + r.text
		}
	}
	return true, ""
}

// Filter holds the rules in force; Update replaces them (Elasticsearch's
// filter settings are dynamic too): the server decides new connections and
// the next request of open ones with them. A nil *Filter allows
// everything.
type Filter struct {
	rules atomic.Pointer[Rules]
}

// New returns a Filter with rules in force.
func New(rules *Rules) *Filter {
	f := &Filter{}
	f.rules.Store(rules)
	return f
}

// Update puts rules in force.
func (f *Filter) Update(rules *Rules) { f.rules.Store(rules) }

// Decide is Rules.Decide with the rules in force.
func (f *Filter) Decide(peer, local netip.Addr) (bool, string) {
	if f == nil {
		return true, ""
	}
	return f.rules.Load().Decide(peer, local)
}
