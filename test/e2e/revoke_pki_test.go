package e2e

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPKICARemovedEndsOpenConnections: a PKI realm without its own
// certificate_authorities trusts the listener's client CAs. Removing a
// tenant's CA from tls.client_ca_file (reloaded) refused that tenant's new
// connections, but a connection opened before kept authenticating its
// certificate for as long as the client kept it busy; every request's
// chain is now verified with the CAs in force.
func TestPKICARemovedEndsOpenConnections(t *testing.T) {
	const canary = "CANARY-pki-ca-removed-3a7e"
	p, proxyCA, cert := pkiTenantProxy(t, "revpki-1", canary, 3, false)
	withCert := func() func() result {
		c := p.client(func(cfg *tls.Config) { cfg.Certificates = []tls.Certificate{cert} })
		return func() result { return do(t, c, "GET", p.URL+"/revpki-1/_search", "", "", nil, nil) }
	}
	open := withCert() // keeps one connection open (HTTP/2)
	if r := open(); r.Status != 200 || !strings.Contains(r.Body, canary) {
		t.Fatalf("the tenant's certificate before its CA is removed: %d %s", r.Status, r.Body)
	}
	writeFile(t, filepath.Join(p.Dir, "ca.pem"), proxyCA) // the tenant's CA removed
	if !eventually(10*time.Second, func() bool {
		c := p.client(func(cfg *tls.Config) { cfg.Certificates = []tls.Certificate{cert} })
		resp, err := c.Get(p.URL + "/revpki-1/_search")
		if err != nil {
			return true // the handshake refused the certificate
		}
		resp.Body.Close()
		return resp.StatusCode == 401
	}) {
		t.Fatal("the listener did not drop the tenant's CA for new connections")
	}
	if r := open(); r.Status != 401 || strings.Contains(r.Body, canary) {
		t.Fatalf("a connection opened before the tenant's CA was removed still authenticates its certificate: %d %s", r.Status, r.Body)
	}
}

// TestPKIRealmCARemoved: the PKI realm's own certificate_authorities file
// was read once at startup: a tenant's CA removed from it kept
// authenticating the tenant's certificates until a restart. It is now
// reloaded like the other security files.
func TestPKIRealmCARemoved(t *testing.T) {
	const canary = "CANARY-pki-realm-ca-81d2"
	p, proxyCA, cert := pkiTenantProxy(t, "revpkr-1", canary, 4, true)
	c := p.client(func(cfg *tls.Config) { cfg.Certificates = []tls.Certificate{cert} })
	if r := do(t, c, "GET", p.URL+"/revpkr-1/_search", "", "", nil, nil); r.Status != 200 || !strings.Contains(r.Body, canary) {
		t.Fatalf("the tenant's certificate before its CA is removed: %d %s", r.Status, r.Body)
	}
	writeFile(t, filepath.Join(p.Dir, "realm-ca.pem"), proxyCA) // the tenant's CA removed from the realm's CAs
	if !eventually(20*time.Second, func() bool { return do(t, c, "GET", p.URL+"/revpkr-1/_search", "", "", nil, nil).Status == 401 }) {
		t.Fatal("the realm still trusts a CA removed from its certificate_authorities")
	}
}

// pkiTenantProxy starts a TLS proxy whose listener trusts a tenant CA
// besides its own (and, with realmCAs, whose PKI realm's own
// certificate_authorities, realm-ca.pem, do too), maps the pki1 realm to
// read on index, and seeds index with canary. It returns the proxy, the
// listener's own CA (PEM: what the CA files hold once the tenant's is
// removed) and a certificate of the tenant.
func pkiTenantProxy(t *testing.T, index, canary string, serial int64, realmCAs bool) (*proxy, string, tls.Certificate) {
	t.Helper()
	cluster := openSearchURL(t)
	o, su := superuserOpts(t, cluster)
	o.TLS, o.ClientAuth = true, "optional"
	o.Roles = "e2e_pki_tenant:\n  indices:\n    - names: [\"" + index + "\"]\n      privileges: [read]\n"
	tenantCA := newCert(t, "tenant CA", nil, true, serial)
	var proxyCA string
	p := startProxyWith(t, o, func(dir string) string {
		ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		proxyCA = string(ca)
		writeFile(t, filepath.Join(dir, "ca.pem"), proxyCA+string(tenantCA.CertPEM))
		writeFile(t, filepath.Join(dir, "role_mapping.yml"), "tenant:\n  roles: [e2e_pki_tenant]\n  rules: {field: {realm.name: pki1}}\n")
		pki := "  pki:\n    enabled: true\n    role_mapping: role_mapping.yml\n"
		if realmCAs {
			writeFile(t, filepath.Join(dir, "realm-ca.pem"), proxyCA+string(tenantCA.CertPEM))
			pki += "    certificate_authorities: realm-ca.pem\n"
		}
		return pki
	})
	p.waitReady()
	plain := p.client(nil)
	t.Cleanup(func() { dropIndices(t, plain, cluster, index) })
	if r := do(t, plain, "PUT", p.URL+"/"+index+"/_doc/1?refresh=true", su.Name, su.Password, strings.NewReader(`{"m":"`+canary+`"}`), map[string]string{"Content-Type": "application/json"}); r.Status >= 300 {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	return p, proxyCA, newClientCert(t, pkix.Name{CommonName: "tenant-app"}, tenantCA)
}
