package e2e

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRoleMappingAPI: a mapping created with PUT /_security/role_mapping
// gives carol's client certificate (PKI realm) a role at once, next to the
// mappings of the realm's file; invalid mappings are refused; deleting it
// takes the role away. The canary of an index the role does not grant
// never shows.
func TestRoleMappingAPI(t *testing.T) {
	os_ := openSearchURL(t)
	o, su := superuserOpts(t, os_)
	o.TLS, o.ClientAuth = true, "optional"
	n := time.Now().UnixNano()
	pub, secret := fmt.Sprintf("e2e-rm-pub-%d", n), fmt.Sprintf("e2e-rm-secret-%d", n)
	const canary = "CANARY-ROLE-MAPPING-API"
	o.Roles = "e2e_rm_reader:\n  indices:\n    - names: [\"e2e-rm-pub-*\"]\n      privileges: [read]\n"
	p := startProxyWith(t, o, func(dir string) string {
		writeFile(t, filepath.Join(dir, "role_mapping.yml"), "# no file mapping\n")
		return "  pki:\n    enabled: true\n    role_mapping: role_mapping.yml\n  native_role_mappings: role_mappings.json\n"
	})
	p.waitReady()
	plain := p.client(nil)
	carol := p.client(func(cfg *tls.Config) {
		cfg.Certificates = []tls.Certificate{newClientCert(t, pkix.Name{CommonName: "carol", Organization: []string{"e2e"}}, p.CA)}
	})
	hj := map[string]string{"Content-Type": "application/json"}
	for ix, v := range map[string]string{pub: "public", secret: canary} {
		if r := do(t, plain, "PUT", p.URL+"/"+ix+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"k":"`+v+`"}`), hj); r.Status >= 300 {
			t.Fatalf("seed %s: %d %s", ix, r.Status, r.Body)
		}
	}
	t.Cleanup(func() { do(t, plain, "DELETE", p.URL+"/"+pub+","+secret, su.Name, su.Password, nil, nil) })
	reads := func(c *http.Client, index string) result {
		return do(t, c, "GET", p.URL+"/"+index+"/_search", "", "", nil, nil)
	}

	if r := reads(carol, pub); r.Status != 403 {
		t.Fatalf("carol, unmapped: %d %s", r.Status, r.Body)
	}
	mapping := `{"roles":["e2e_rm_reader"],"enabled":true,"rules":{"all":[{"field":{"realm.name":"pki1"}},{"field":{"dn":"CN=carol*"}}]}}`
	if r := do(t, plain, "PUT", p.URL+"/_security/role_mapping/carol_reader", su.Name, su.Password, strings.NewReader(mapping), hj); r.Status != 200 || !strings.Contains(r.Body, `"created":true`) {
		t.Fatalf("creating the mapping: %d %s", r.Status, r.Body)
	}
	if r := reads(carol, pub); r.Status != 200 || !strings.Contains(r.Body, "public") {
		t.Fatalf("carol, mapped: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/" + secret + "/_search", "/e2e-rm-*/_search", "/_search"} {
		if r := do(t, carol, "GET", p.URL+path, "", "", nil, nil); strings.Contains(r.Body, canary) {
			t.Fatalf("carol, %s showed the canary: %d %s", path, r.Status, r.Body)
		}
	}
	if r := do(t, plain, "GET", p.URL+"/_security/role_mapping/carol_reader", su.Name, su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"e2e_rm_reader"`) {
		t.Fatalf("reading the mapping: %d %s", r.Status, r.Body)
	}
	for _, bad := range []string{`{"roles":["x"],"rules":{"field":{"nope.field":"x"}}}`, `{"roles":["x"]}`, `{"roles":["x"],"rules":{"any":[]},"bogus":1}`} {
		if r := do(t, plain, "PUT", p.URL+"/_security/role_mapping/bad", su.Name, su.Password, strings.NewReader(bad), hj); r.Status != 400 {
			t.Errorf("mapping %s: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := do(t, carol, "PUT", p.URL+"/_security/role_mapping/self", "", "", strings.NewReader(mapping), hj); r.Status != 403 {
		t.Fatalf("carol creating a mapping: %d %s", r.Status, r.Body)
	}
	if r := do(t, plain, "DELETE", p.URL+"/_security/role_mapping/carol_reader", su.Name, su.Password, nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"found":true`) {
		t.Fatalf("deleting the mapping: %d %s", r.Status, r.Body)
	}
	if r := reads(carol, pub); r.Status != 403 {
		t.Fatalf("carol after the mapping was deleted: %d %s", r.Status, r.Body)
	}
	audit, _ := os.ReadFile(filepath.Join(p.Dir, "audit.json"))
	for _, want := range []string{`"event.action":"put_role_mapping"`, `"event.action":"delete_role_mapping"`} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("the audit log lacks %s", want)
		}
	}
}
