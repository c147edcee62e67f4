package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAnonymousAccess (checklist 12) through the binary against the real
// cluster: without credentials, the anonymous role's index is readable and
// nothing else (the canary of another index never shows); a refusal is 403,
// or 401 with a challenge under authz_exception: false; a wrong password
// is still 401.
func TestAnonymousAccess(t *testing.T) {
	os_ := openSearchURL(t)
	n := time.Now().UnixNano()
	pub, secret := fmt.Sprintf("e2e-anon-pub-%d", n), fmt.Sprintf("e2e-anon-secret-%d", n)
	const canary = "CANARY-ANONYMOUS-SECRET"
	for _, authzException := range []bool{true, false} {
		t.Run(fmt.Sprintf("authz_exception=%v", authzException), func(t *testing.T) {
			o, su := superuserOpts(t, os_)
			o.Roles = "e2e_public:\n  indices:\n    - names: [\"e2e-anon-pub-*\"]\n      privileges: [read]\n"
			p := startProxyWith(t, o, func(string) string {
				return fmt.Sprintf("  anonymous:\n    roles: [e2e_public]\n    authz_exception: %v\n", authzException)
			})
			p.waitReady()
			c := p.client(nil)
			hj := map[string]string{"Content-Type": "application/json"}
			for ix, v := range map[string]string{pub: "public", secret: canary} {
				if r := do(t, c, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+v+`"}`), hj); r.Status >= 300 {
					t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
				}
			}
			t.Cleanup(func() { do(t, c, "DELETE", p.URL+"/"+pub+","+secret, su.Name, su.Password, nil, nil) })

			for _, path := range []string{"/_search", "/e2e-anon-*/_search", "/" + pub + "/_search"} {
				r := do(t, c, "GET", p.URL+path, "", "", nil, nil)
				if r.Status != 200 || !strings.Contains(r.Body, pub) || strings.Contains(r.Body, canary) {
					t.Fatalf("anonymous %s: %d %s", path, r.Status, r.Body)
				}
			}
			r := do(t, c, "GET", p.URL+"/"+secret+"/_search", "", "", nil, nil)
			want := 403
			if !authzException {
				want = 401
			}
			if r.Status != want || strings.Contains(r.Body, canary) || (want == 401 && r.Header.Get("WWW-Authenticate") == "") {
				t.Fatalf("anonymous, the secret index: %d %s (WWW-Authenticate %q), want %d", r.Status, r.Body, r.Header.Get("WWW-Authenticate"), want)
			}
			if r := do(t, c, "GET", p.URL+"/"+pub+"/_search", su.Name, "wrong", nil, nil); r.Status != 401 {
				t.Fatalf("a wrong password became anonymous: %d %s", r.Status, r.Body)
			}
		})
	}
}
