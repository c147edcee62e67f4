package ipfilter

import (
	"net/netip"
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	local := netip.MustParseAddr("10.1.1.1")
	for _, tc := range []struct {
		name        string
		allow, deny []string
		peer        string
		allowed     bool
		rule        string
	}{
		{"no rules", nil, nil, "192.168.1.5", true, ""},
		{"checklist 84: an allow-list", []string{"10.0.0.0/8"}, []string{"_all"}, "192.168.1.5", false, "deny _all"},
		{"inside the allow-list", []string{"10.0.0.0/8"}, []string{"_all"}, "10.2.3.4", true, ""},
		{"checklist 85: allowed and denied is allowed", []string{"192.168.1.5"}, []string{"192.168.0.0/16"}, "192.168.1.5", true, ""},
		{"a deny block", nil, []string{"192.168.0.0/16"}, "192.168.7.7", false, "deny 192.168.0.0/16"},
		{"outside a deny block", nil, []string{"192.168.0.0/16"}, "172.16.0.1", true, ""},
		{"the first deny rule that matches is named", nil, []string{"192.168.7.7", "_all"}, "192.168.7.7", false, "deny 192.168.7.7"},
		{"IPv6", []string{"fd00::/8"}, []string{"_all"}, "fd00::1", true, ""},
		{"IPv6 denied", []string{"fd00::/8"}, []string{"_all"}, "2001:db8::1", false, "deny _all"},
		{"an IPv4-mapped peer is IPv4", nil, []string{"192.168.0.0/16"}, "::ffff:192.168.1.1", false, "deny 192.168.0.0/16"},
		{"the listener's own address is never denied", nil, []string{"_all"}, "10.1.1.1", true, ""},
		{"a CIDR block written with host bits", nil, []string{"192.168.1.77/24"}, "192.168.1.9", false, "deny 192.168.1.77/24"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Parse(tc.allow, tc.deny)
			if err != nil {
				t.Fatal(err)
			}
			allowed, rule := New(rs).Decide(netip.MustParseAddr(tc.peer), local)
			if allowed != tc.allowed || rule != tc.rule {
				t.Errorf("Decide(%s) = %v %q, want %v %q", tc.peer, allowed, rule, tc.allowed, tc.rule)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ allow, deny []string }{
		{[]string{"example.com"}, nil},
		{nil, []string{"10.0.0.0/33"}},
		{nil, []string{"10.0.0.*"}},
		{nil, []string{""}},
	} {
		if _, err := Parse(tc.allow, tc.deny); err == nil || !strings.Contains(err.Error(), "is not") {
			t.Errorf("Parse(%q, %q): %v, want an error naming the entry", tc.allow, tc.deny, err)
		}
	}
}

func TestUpdateAppliesToLaterDecisions(t *testing.T) {
	peer := netip.MustParseAddr("192.168.1.5")
	f := New(nil)
	if ok, _ := f.Decide(peer, netip.Addr{}); !ok {
		t.Fatal("no rules must allow")
	}
	rs, _ := Parse(nil, []string{"_all"})
	f.Update(rs)
	if ok, rule := f.Decide(peer, netip.Addr{}); ok || rule != "deny _all" {
		t.Fatalf("after Update: %v %q", ok, rule)
	}
	var none *Filter
	if ok, _ := none.Decide(peer, netip.Addr{}); !ok {
		t.Fatal("a nil filter must allow")
	}
}
