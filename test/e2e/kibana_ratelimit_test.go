package e2e

import (
	"fmt"
	"testing"
)

// TestKibanaSharedAddressLockout: behind Kibana every user's requests come
// from Kibana's address, each with the user's Basic credentials (Kibana's
// basic login sends them on every request). Ten wrong passwords typed into
// Kibana's login form by anyone locked that address out, and every user of
// Kibana got 429 with it. With Kibana's address in
// security.login_rate_limit.exempt_addresses, the others keep working while
// the user name that failed is still locked out.
func TestKibanaSharedAddressLockout(t *testing.T) {
	os_ := openSearchURL(t)
	for _, exempt := range []bool{false, true} {
		t.Run(fmt.Sprintf("exempt=%v", exempt), func(t *testing.T) {
			o, su := superuserOpts(t, os_)
			o.MaxFailures = 10
			if exempt {
				o.LoginExempt = []string{"127.0.0.1"} // "Kibana" is this test, on loopback
			}
			p := startProxy(t, o)
			p.waitReady()
			c := p.client(nil)
			for i := 0; i < 10; i++ {
				if r := do(t, c, "GET", p.URL+"/_security/_authenticate", "mallory", fmt.Sprintf("guess-%d", i), nil, nil); r.Status != 401 {
					t.Fatalf("guess %d: %d %s", i, r.Status, r.Body)
				}
			}
			r := do(t, c, "GET", p.URL+"/_security/_authenticate", su.Name, su.Password, nil, nil)
			if !exempt {
				if r.Status != 429 {
					t.Fatalf("without the exemption the shared address should be locked out: %d %s", r.Status, r.Body)
				}
				return
			}
			if r.Status != 200 {
				t.Fatalf("another user through the exempt address: %d %s", r.Status, r.Body)
			}
			if r := do(t, c, "GET", p.URL+"/_security/_authenticate", "mallory", "guess-x", nil, nil); r.Status != 429 {
				t.Fatalf("the user name that failed ten times: %d %s", r.Status, r.Body)
			}
		})
	}
}
